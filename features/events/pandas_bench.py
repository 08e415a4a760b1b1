#!/usr/bin/env python3
"""The events roll-up done the idiomatic pandas way, for timing.

Does what

    churn snapshots --events EVENTS.csv --account account_id --time ts \\
        --sum amount --count-distinct user_id --churn-after-silence 90d --out OUT.csv

does, on the file genevents writes (make bench-events): every row is an
activity; per account and Monday-to-Sunday week (UTC), logins = days with an
event, frequency = events, recency_days = days from the last event on or
before the week's Sunday to that Sunday, amount = the week's sum,
distinct_user_id = its distinct users; an account's weeks run from the week of
its first event to the last complete week of the data, weeks without events
zero-filled, unless it churns first: churn is declared on its FIRST silence
of 90 days (the first event day L with no event on L+1..L+90), in the week
holding L+90, which is its last week (churned = 1). Accounts whose first
event is after the last complete week get no row.

    /usr/bin/python3 features/events/pandas_bench.py EVENTS.csv [--out OUT.csv]
        [--method resample|groupby] [--check CHURN_OUT.csv]

--method resample (the default) buckets weeks with groupby + resample, as
the issue names it; --method groupby buckets them with a vectorised Monday
column and one groupby, which is faster in pandas 1.5: the benchmark reports
the faster. --check compares the result with the snapshots churn wrote from
the same file, row for row, and exits 1 on any difference. Prints the
seconds of each phase (reading the CSV included) and the peak RSS.
"""
import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd

SILENCE = pd.Timedelta(days=90)
DAY = pd.Timedelta(days=1)
WEEK = pd.Timedelta(days=7)


def read(path):
    df = pd.read_csv(path, usecols=["ts", "account_id", "user_id", "amount"],
                     dtype={"account_id": str, "user_id": str, "amount": float})
    # Times are RFC 3339 in UTC ("2024-01-01T06:36:54Z"): the day is the
    # UTC date.
    df["day"] = pd.to_datetime(df["ts"], format="%Y-%m-%dT%H:%M:%SZ").dt.normalize()
    return df.drop(columns="ts")


def weekly_resample(df):
    """Per account-week aggregates with groupby + resample (weeks labelled
    by their Monday); empty weeks inside an account's span come out as
    zero rows."""
    r = (df.set_index("day")
         .groupby("account_id")
         .resample("W-MON", label="left", closed="left"))
    wk = r.agg({"amount": "sum", "user_id": ["size", "nunique"]})
    wk.columns = ["amount", "frequency", "distinct_user_id"]
    days = df.drop_duplicates(["account_id", "day"]).set_index("day")
    rd = days.groupby("account_id").resample("W-MON", label="left", closed="left")["user_id"]
    wk["logins"] = rd.size()
    wk["last_day"] = (days.assign(d=days.index).groupby("account_id")
                      .resample("W-MON", label="left", closed="left")["d"].max())
    wk.index.names = ["account_id", "week"]
    return wk.reset_index()


def weekly_groupby(df):
    """The same aggregates with a Monday column and one groupby."""
    df["week"] = df["day"] - pd.to_timedelta(df["day"].dt.dayofweek, unit="D")
    g = df.groupby(["account_id", "week"], sort=False)
    wk = g.agg(amount=("amount", "sum"), frequency=("user_id", "size"),
               distinct_user_id=("user_id", "nunique"), logins=("day", "nunique"),
               last_day=("day", "max"))
    return wk.reset_index()


def rollup(df, weekly):
    until = df["day"].max()
    last = until - pd.Timedelta(days=until.dayofweek)  # Monday of its week
    if until.dayofweek != 6:
        last -= WEEK  # the last complete week
    end = last + 6 * DAY

    # Churn: the first event day followed by 90 silent days, reached by end.
    days = df[["account_id", "day"]].drop_duplicates().sort_values(["account_id", "day"])
    nxt = days.groupby("account_id")["day"].shift(-1)
    gap = nxt.isna() | (nxt - days["day"] > SILENCE)
    reached = (days["day"] + SILENCE)[gap].groupby(days["account_id"][gap]).min()
    first = days.groupby("account_id")["day"].min()
    acc = pd.DataFrame({"first": first})
    acc["churn"] = reached.reindex(acc.index)
    acc.loc[acc["churn"] > end, "churn"] = pd.NaT
    acc = acc[acc["first"] <= end]
    first_mon = acc["first"] - pd.to_timedelta(acc["first"].dt.dayofweek, unit="D")
    churn_mon = acc["churn"] - pd.to_timedelta(acc["churn"].dt.dayofweek.fillna(0), unit="D")
    stop = churn_mon.fillna(last)

    # Every week of every account's life, zero-filled.
    n = ((stop - first_mon) // WEEK + 1).astype(int)
    ids = np.repeat(acc.index.values, n.values)
    offs = np.arange(n.sum()) - np.repeat(np.cumsum(n.values) - n.values, n.values)
    weeks = np.repeat(first_mon.values, n.values) + offs * np.timedelta64(7, "D")
    grid = pd.DataFrame({"account_id": ids, "week": weeks})
    out = grid.merge(weekly(df), on=["account_id", "week"], how="left")
    for c in ["amount", "frequency", "distinct_user_id", "logins"]:
        out[c] = out[c].fillna(0)
    out = out.sort_values(["account_id", "week"], kind="stable").reset_index(drop=True)
    last_day = out.groupby("account_id")["last_day"].ffill()
    out["recency_days"] = ((out["week"] + 6 * DAY - last_day) // DAY).astype(int)
    out["sla_breaches"] = 0
    out["overdue_invoices"] = 0
    out["churned"] = (out["week"] == out["account_id"].map(churn_mon)).astype(int)
    out["week"] = out["week"].dt.strftime("%Y-%m-%d")
    for c in ["logins", "frequency", "distinct_user_id"]:
        out[c] = out[c].astype(int)
    return out[["account_id", "week", "logins", "frequency", "recency_days", "sla_breaches",
                "overdue_invoices", "churned", "amount", "distinct_user_id"]]


def check(ours, theirs_path):
    """Compares pandas' snapshots with churn's; returns the differences."""
    theirs = pd.read_csv(theirs_path, dtype={"account_id": str, "week": str})
    if list(theirs.columns) != list(ours.columns):
        return [f"columns: churn {list(theirs.columns)}, pandas {list(ours.columns)}"]
    if len(theirs) != len(ours):
        return [f"rows: churn {len(theirs)}, pandas {len(ours)}"]
    bad = []
    for c in ours.columns:
        a, b = ours[c].to_numpy(), theirs[c].to_numpy()
        if c == "amount":
            diff = ~np.isclose(a, b, rtol=0, atol=1e-6)
        else:
            diff = a != b
        if diff.any():
            i = int(np.argmax(diff))
            bad.append(f"{c}: {int(diff.sum())} rows differ, first {ours['account_id'][i]} "
                       f"{ours['week'][i]}: churn {b[i]!r}, pandas {a[i]!r}")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("events")
    ap.add_argument("--out", help="snapshot CSV to write (timed)")
    ap.add_argument("--method", choices=["resample", "groupby"], default="resample")
    ap.add_argument("--check", help="churn's snapshot CSV of the same file, to compare with")
    a = ap.parse_args()
    weekly = weekly_resample if a.method == "resample" else weekly_groupby
    t0 = time.perf_counter()
    df = read(a.events)
    t1 = time.perf_counter()
    out = rollup(df, weekly)
    t2 = time.perf_counter()
    if a.out:
        out.to_csv(a.out, index=False)
    t3 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pandas {pd.__version__} ({a.method}): {len(df)} events -> {len(out)} snapshots; "
          f"read_csv + times {t1 - t0:.2f}s, roll-up {t2 - t1:.2f}s, write {t3 - t2:.2f}s, "
          f"total {t3 - t0:.2f}s; peak RSS {rss:.0f} MB")
    if a.check:
        bad = check(out, a.check)
        for b in bad:
            print("check:", b, file=sys.stderr)
        if bad:
            sys.exit(1)
        print(f"check: the same {len(out)} snapshots as {a.check}")


if __name__ == "__main__":
    main()
