#!/usr/bin/env python3
"""The feature builder's work done the idiomatic pandas way, for timing.

Reads the same snapshot CSV that `churn features` reads and computes the same
point-in-time features with groupby + time-based rolling windows (4 and 12
calendar weeks, means over the weeks reported), trends, weeks since login,
overdue weeks, tenure, coverage, long-run means, log ARR, weeks to renewal, segment dummies
and extras. Prints the seconds for reading and for building.

    /usr/bin/python3 features/pandas_bench.py snapshots.csv
"""
import sys
import time

import numpy as np
import pandas as pd


def build(df):
    df = df.sort_values(["account_id", "week"], kind="stable").reset_index(drop=True)
    g = df.groupby("account_id", sort=False)
    out = pd.DataFrame({"account_id": df["account_id"], "week": df["week"]})
    df["one"] = 1.0
    df["overdue_any"] = (df["overdue_invoices"] > 0).astype(float)
    cols = ["logins", "frequency", "sla_breaches", "one", "overdue_any"]
    r4 = g.rolling("28D", on="week")[cols].sum().reset_index(drop=True)
    r12 = g.rolling("84D", on="week")[cols].sum().reset_index(drop=True)
    for c in ["logins", "frequency", "sla_breaches"]:
        out[c + "_4w_mean"] = r4[c] / r4["one"]
        out[c + "_4w_sum"] = r4[c]
        out[c + "_12w_mean"] = r12[c] / r12["one"]
        out[c + "_12w_sum"] = r12[c]
        if c != "sla_breaches":
            prior_n = r12["one"] - r4["one"]
            prior = (r12[c] - r4[c]) / prior_n.where(prior_n > 0)
            out[c + "_trend"] = np.log((out[c + "_4w_mean"] + 1) / (prior + 1)).fillna(0)
    last_login = df["week"].where(df["logins"] > 0)
    last_login = last_login.groupby(df["account_id"], sort=False).ffill()
    first = g["week"].transform("min")
    wsl = (df["week"] - last_login).dt.days / 7
    out["weeks_since_login"] = wsl.fillna((df["week"] - first).dt.days / 7 + 1)
    out["recency_days"] = df["recency_days"]
    out["overdue_invoices"] = df["overdue_invoices"]
    out["overdue_weeks_12w"] = r12["overdue_any"]
    out["tenure_weeks"] = (df["week"] - first).dt.days / 7
    out["weeks_reported_12w"] = r12["one"]
    rows_so_far = g.cumcount() + 1
    for c in ["logins", "frequency"]:
        out[c + "_lifetime_mean"] = g[c].cumsum() / rows_so_far
    out["log_arr"] = np.log1p(g["arr"].ffill())
    renewal = g["renewal_date"].ffill()
    out["weeks_to_renewal"] = (renewal - df["week"]).dt.days / 7
    seg = g["segment"].ffill()
    for s in sorted(seg.dropna().unique()):
        out["segment_" + s] = (seg == s).astype(float)
    for c in df.columns:
        if c not in KNOWN and c not in ("one", "overdue_any"):
            out[c] = df[c]
    return out


KNOWN = {"account_id", "week", "logins", "frequency", "recency_days", "sla_breaches",
         "overdue_invoices", "churned", "arr", "segment", "renewal_date", "renewal_type"}


def main():
    path = sys.argv[1]
    t0 = time.perf_counter()
    df = pd.read_csv(path, parse_dates=["week", "renewal_date"])
    t1 = time.perf_counter()
    out = build(df)
    t2 = time.perf_counter()
    print(f"pandas {pd.__version__}: {len(df)} rows, {out.shape[1] - 2} features")
    print(f"pandas read_csv {t1 - t0:.2f}s, build {t2 - t1:.2f}s, total {t2 - t0:.2f}s")


if __name__ == "__main__":
    main()
