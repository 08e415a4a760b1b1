#!/usr/bin/python3
"""Accuracy against a notebook: our end-to-end pipeline and a careful pandas +
XGBoost notebook, on the same label and the same out-of-time split, side by
side (`make bench-accuracy`).

usage: accuracy.py --churn BIN --scorerows BIN --out DIR
                   [--worlds 'SEED:MIX;SEED:MIX'] [--accounts N] [--weeks W]
                   [--cdnow FILE] [--boot B] [--check]

For every data set (simulated worlds from `churn gen --seed S --mix M`, and
CDNOW's purchase log rolled up by `churn snapshots`):

ours      `churn features --format csv` then `churn train --features DIR
          --model all`, as a user runs them; each validation row is scored
          with the saved model as `churn score` would (scorerows). ROC AUC
          and PR-AUC are the served scores'; log-loss is the out-of-fold
          Platt one that metrics.json reports (each validation row
          calibrated on the other half of the accounts).
notebook  its own features from the raw snapshots (windows of 4/12/26/52
          weeks, recent against long-run means, 12-week slopes and
          volatility, weeks since the last breach / overdue invoice /
          activity, tenure, days to renewal, seat usage), XGBoost (hist)
          with a small grid and early stopping on an inner time split of
          the training weeks (never the validation weeks), then refitted on
          every training row with the tree count found. It labels the rows
          itself by the horizon rule and takes the split's weeks from our
          summary.json, and the run stops if its rows or labels differ from
          ours in any way. Its log-loss is shown raw and, for the comparison,
          with the same out-of-fold Platt calibration as ours.

The AUC difference gets a paired bootstrap 95% interval: accounts are
resampled (rows of one account are not independent), both models scored on
the same resampled rows.

--check runs a tiny world with a quick notebook and only checks that both
sides count the same validation rows and churners (make bench-accuracy-check).

Needs Debian's python3-pandas, python3-sklearn and python3-xgboost.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

HORIZON = 12
warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
VALID_WEEKS = 13
ID = "account_id"


def run(cmd, **kw):
    print("  $ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


# ---------------------------------------------------------------- labels


def notebook_labels(snap, horizon):
    """The horizon rule, written again from its description: a row at week w
    is 1 when the account's churn week falls in (w, w+h], 0 when the account
    is seen at w+h or later without churning by then, and left out
    otherwise (the churn week itself included)."""
    acc = snap.groupby(ID, sort=False).agg(last=("week", "max"))
    churn = snap.loc[snap.churned == 1].groupby(ID, sort=False).week.min().rename("churn_week")
    acc = acc.join(churn)
    rows = snap[[ID, "week"]].join(acc, on=ID)
    end = rows.week + pd.Timedelta(weeks=horizon)
    cw = rows.churn_week
    pos = cw.notna() & (rows.week < cw) & (cw <= end)
    neg = (rows["last"] >= end) & (cw.isna() | (cw > end))
    label = pd.Series(np.nan, index=rows.index)
    label[neg] = 0
    label[pos] = 1
    return label


def split_rows(snap, summary):
    """Our split's weeks, read from churn features' summary.json so the two
    sides cannot drift apart, and the notebook's own labels."""
    sp = summary["split"]
    train_last = pd.Timestamp(sp["train"]["last_week"])
    v0, v1 = pd.Timestamp(sp["valid"]["first_week"]), pd.Timestamp(sp["valid"]["last_week"])
    label = notebook_labels(snap, sp["horizon_weeks"])
    keep = label.notna()
    tr = keep & (snap.week <= train_last)
    va = keep & (snap.week >= v0) & (snap.week <= v1)
    return label, tr, va


def check_alignment(name, snap, label, mask, ours):
    """Stops the run when the notebook's rows or labels differ from ours."""
    mine = snap.loc[mask, [ID, "week"]].assign(label=label[mask].astype(int))
    theirs = ours[[ID, "week", "label"]].astype({"label": int})
    m = mine.merge(theirs, on=[ID, "week"], how="outer", suffixes=("_nb", "_ours"), indicator=True)
    bad = m[(m._merge != "both") | (m.label_nb != m.label_ours)]
    if len(bad):
        raise SystemExit(f"{name}: the notebook's rows or labels differ from ours on {len(bad)} rows:\n{bad.head()}")
    return len(mine), int(mine.label.sum())


# ---------------------------------------------------------------- features


def rolling(cs, pos, w):
    """Sum over the last w weeks of each account from cs, the per-account
    running sum (pos: weeks since the account's first week on a complete
    weekly grid, so the row w back is the same account's when pos >= w)."""
    prev = cs.shift(w)
    prev[pos < w] = 0
    return cs - prev.fillna(0)


def notebook_features(snap):
    """A data scientist's afternoon: every numeric behaviour on a complete
    weekly grid (missing weeks are unknown, not zero), then windows, trends
    and recency. Every figure at week w uses rows up to w only."""
    s = snap.sort_values([ID, "week"]).reset_index(drop=True)
    t0 = s.week.min()
    s["k"] = ((s.week - t0).dt.days // 7).astype(int)
    span = s.groupby(ID, sort=False).k.agg(["min", "max"])
    n = (span["max"] - span["min"] + 1).values
    grid = pd.DataFrame({ID: np.repeat(span.index.values, n)})
    grid["k"] = np.repeat(span["min"].values, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    grid = grid.merge(s, on=[ID, "k"], how="left")
    grid["pos"] = grid.groupby(ID, sort=False).cumcount()
    pos = grid.pos
    gb = grid.groupby(ID, sort=False)
    skip = {ID, "week", "k", "pos", "churned", "segment", "renewal_date", "renewal_type"}
    cols = [c for c in s.columns if c not in skip and pd.api.types.is_numeric_dtype(s[c])]
    f = pd.DataFrame({ID: grid[ID], "k": grid.k})
    f["tenure_weeks"] = pos
    seen = grid[cols[0]].notna().astype(float)
    cnt = {w: rolling(seen.groupby(grid[ID], sort=False).cumsum(), pos, w) for w in (4, 12, 26, 52)}
    f["weeks_reported_12w"] = cnt[12]
    tt = pos.astype(float)
    for c in cols:
        v = grid[c].astype(float)
        z = v.fillna(0)
        gz = z.groupby(grid[ID], sort=False)
        f[c] = v
        means = {}
        for w in (4, 12, 26, 52):
            means[w] = rolling(gz.cumsum(), pos, w) / cnt[w].replace(0, np.nan)
            f[f"{c}_mean_{w}w"] = means[w]
        f[f"{c}_lifetime_mean"] = gz.cumsum() / seen.groupby(grid[ID], sort=False).cumsum().replace(0, np.nan)
        f[f"{c}_ratio_4_26"] = np.log1p(means[4].clip(lower=0)) - np.log1p(means[26].clip(lower=0))
        f[f"{c}_ratio_4_52"] = np.log1p(means[4].clip(lower=0)) - np.log1p(means[52].clip(lower=0))
        # Least-squares slope and volatility over the last 12 weeks.
        sy = rolling(gz.cumsum(), pos, 12)
        sty = rolling((z * tt).groupby(grid[ID], sort=False).cumsum(), pos, 12)
        st = rolling((seen * tt).groupby(grid[ID], sort=False).cumsum(), pos, 12)
        stt = rolling((seen * tt * tt).groupby(grid[ID], sort=False).cumsum(), pos, 12)
        syy = rolling((z * z).groupby(grid[ID], sort=False).cumsum(), pos, 12)
        nn = cnt[12]
        den = nn * stt - st * st
        slope = (nn * sty - st * sy) / den.replace(0, np.nan)
        f[f"{c}_slope_12w"] = slope / (means[12].abs() + 1)
        var = (syy / nn.replace(0, np.nan) - (sy / nn.replace(0, np.nan)) ** 2).clip(lower=0)
        f[f"{c}_std_12w"] = np.sqrt(var)
        f[f"{c}_delta_12w"] = v - gb[c].shift(12)
        # Weeks since the behaviour was last non-zero (breach, overdue
        # invoice, activity), and since it was last zero for activity.
        last_nz = pos.where(v > 0).groupby(grid[ID], sort=False).ffill()
        f[f"{c}_weeks_since_nonzero"] = pos - last_nz
    if {"seats", "active_users"} <= set(cols):
        f["seat_usage"] = grid.active_users / grid.seats.replace(0, np.nan)
        f["seat_usage_mean_12w"] = f.active_users_mean_12w / f.seats_mean_12w.replace(0, np.nan)
        if "logins" in cols:
            f["logins_per_active_user_4w"] = f.logins_mean_4w / f.active_users_mean_4w.replace(0, np.nan)
        if "arr" in cols:
            f["arr_per_seat"] = grid.arr / grid.seats.replace(0, np.nan)
    if "renewal_date" in grid.columns:
        f["days_to_renewal"] = (pd.to_datetime(grid.renewal_date) - grid.week).dt.days
    if "segment" in grid.columns:
        for seg in sorted(s.segment.dropna().unique()):
            f[f"segment_{seg}"] = (grid.segment == seg).astype(float).where(grid.segment.notna())
    f = f[grid.week.notna().values].copy()
    f["week"] = grid.week[grid.week.notna()].values
    return f.drop(columns=["k"])


# ---------------------------------------------------------------- models


def fit_notebook(X, y, weeks, horizon, threads, quick):
    """XGBoost with a small grid and early stopping on the latest training
    weeks (an inner time split with a horizon's gap, as the outer split
    has), then refitted on every training row with the tree count found."""
    wk = np.sort(weeks.unique())
    inner_v0 = wk[-VALID_WEEKS] if len(wk) > VALID_WEEKS + horizon + 4 else wk[len(wk) // 2]
    fit_mask = (weeks <= inner_v0 - pd.Timedelta(weeks=horizon)).values
    es_mask = (weeks >= inner_v0).values
    if len(np.unique(y[fit_mask])) < 2 or len(np.unique(y[es_mask])) < 2:
        # Too little history for a horizon's gap (the tiny check world):
        # stop on the latest quarter of the training weeks instead.
        inner_v0 = wk[(3 * len(wk)) // 4]
        fit_mask, es_mask = (weeks < inner_v0).values, (weeks >= inner_v0).values
    grid = [dict(max_depth=3, min_child_weight=5), dict(max_depth=5, min_child_weight=10)]
    if quick:
        grid = grid[:1]
    best = None
    for g in grid:
        m = xgb.XGBClassifier(n_estimators=40 if quick else 2000, learning_rate=0.2 if quick else 0.03,
                              subsample=0.8, colsample_bytree=0.8, reg_lambda=1.0, tree_method="hist",
                              n_jobs=threads, eval_metric="logloss", early_stopping_rounds=100,
                              random_state=1, **g)
        m.fit(X[fit_mask], y[fit_mask], eval_set=[(X[es_mask], y[es_mask])], verbose=False)
        p = m.predict_proba(X[es_mask])[:, 1]
        auc = roc_auc_score(y[es_mask], p)
        print(f"    notebook grid {g}: inner AUC {auc:.4f}, {m.best_iteration + 1} trees", flush=True)
        if best is None or auc > best[0]:
            best = (auc, g, m.best_iteration + 1)
    _, g, trees = best
    m = xgb.XGBClassifier(n_estimators=trees, learning_rate=0.2 if quick else 0.03, subsample=0.8,
                          colsample_bytree=0.8, reg_lambda=1.0, tree_method="hist", n_jobs=threads,
                          random_state=1, **g)
    m.fit(X, y)
    return m, f"depth {g['max_depth']}, {trees} trees"


def fnv_fold(ids):
    """The half of the accounts a row belongs to, as churn's out-of-fold
    calibration splits them: FNV-1a 32 of the account id, low bit."""
    out = np.empty(len(ids), dtype=np.uint8)
    cache = {}
    for i, a in enumerate(ids):
        b = cache.get(a)
        if b is None:
            h = 0x811C9DC5
            for c in a.encode():
                h = ((h ^ c) * 0x01000193) & 0xFFFFFFFF
            b = cache[a] = h & 1
        out[i] = b
    return out


def fit_platt(z, y):
    """Platt scaling with Platt's smoothed targets, as churn fits it:
    Newton steps, halved until the loss falls."""
    npos = y.sum()
    nneg = len(y) - npos
    t = np.where(y == 1, (npos + 1) / (npos + 2), 1 / (nneg + 2))

    def loss(a, b):
        u = a * z + b
        return np.sum(np.logaddexp(0, u) - t * u)

    a, b = 0.0, np.log((npos + 1) / (nneg + 1))
    cur = loss(a, b)
    for _ in range(100):
        p = 0.5 * (1 + np.tanh(0.5 * (a * z + b)))
        g = np.array([np.sum((p - t) * z), np.sum(p - t)])
        w = p * (1 - p)
        h = np.array([[np.sum(w * z * z) + 1e-9, np.sum(w * z)], [np.sum(w * z), np.sum(w) + 1e-9]])
        step = np.linalg.solve(h, g)
        k = 1.0
        while k > 1e-6 and loss(a - k * step[0], b - k * step[1]) > cur:
            k /= 2
        a, b = a - k * step[0], b - k * step[1]
        new = loss(a, b)
        if cur - new < 1e-12 * max(1, abs(cur)):
            break
        cur = new
    return a, b


def oof_platt(z, y, fold):
    p = np.empty(len(z))
    for k in (0, 1):
        a, b = fit_platt(z[fold != k], y[fold != k])
        if not a > 0:
            a, b = 1.0, 0.0
        p[fold == k] = 0.5 * (1 + np.tanh(0.5 * (a * z[fold == k] + b)))
    return p


def logit(p):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def ll(y, p):
    return log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])


def boot_diff(y, a, b, ids, reps, metric, seed=1):
    """Paired bootstrap over accounts of metric(y, a) - metric(y, b): the
    95% interval and the share of resamples where the difference is at
    least 0. Rows are drawn an account at a time, as an account's weeks
    are not independent."""
    codes, uniq = pd.factorize(ids)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniq) + 1))
    groups = [order[bounds[i]:bounds[i + 1]] for i in range(len(uniq))]
    rng = np.random.default_rng(seed)
    d = []
    for _ in range(reps):
        pick = rng.integers(0, len(groups), len(groups))
        idx = np.concatenate([groups[i] for i in pick])
        yy = y[idx]
        if yy.min() == yy.max():
            continue
        d.append(metric(yy, a[idx]) - metric(yy, b[idx]))
    d = np.array(d)
    return np.percentile(d, 2.5), np.percentile(d, 97.5), float((d >= 0).mean())


# ---------------------------------------------------------------- driver


def prepare_world(a, name, seed, mix, d):
    snap = f"{d}/snapshots.csv"
    cmd = [a.churn, "gen", "--accounts", str(a.accounts), "--weeks", str(a.weeks), "--seed", str(seed),
           "--out", snap]
    if mix:
        cmd += ["--mix", mix]
    run(cmd, stdout=subprocess.DEVNULL)
    return snap


def prepare_cdnow(a, d):
    snap = f"{d}/snapshots.csv"
    run([a.churn, "snapshots", "--events", a.cdnow, "--account", "customer_id", "--time", "date",
         "--time-format", "20060102", "--sum", "dollar_value", "--sum", "number_of_cds",
         "--churn-after-silence", "90d", "--out", snap], stdout=subprocess.DEVNULL)
    return snap


def evaluate(a, name, snap, d):
    t = time.perf_counter()
    feat, model = f"{d}/features", f"{d}/model"
    run([a.churn, "features", "--snapshots", snap, "--horizon", str(HORIZON), "--valid-weeks",
         str(VALID_WEEKS), "--format", "csv", "--out", feat], stdout=subprocess.DEVNULL)
    train_cmd = [a.churn, "train", "--features", feat, "--model", "all", "--no-plots", "--out", model]
    if a.check:
        train_cmd[5] = "logistic"
    run(train_cmd, stdout=subprocess.DEVNULL)
    # The model served is refitted on every matured row, validation's
    # included (churn train's refit); the validation weeks are scored by
    # the fit that never saw them, kept in first-fit/.
    scored = f"{model}/first-fit" if os.path.isdir(f"{model}/first-fit") else model
    with open(f"{d}/ours.csv", "w") as out:
        run([a.scorerows, scored, f"{feat}/valid.csv"], stdout=out)
    ours_secs = time.perf_counter() - t
    with open(f"{feat}/summary.json") as fh:
        summary = json.load(fh)
    with open(f"{model}/metrics.json") as fh:
        metrics = json.load(fh)
    ours = pd.read_csv(f"{d}/ours.csv", dtype={ID: str}, parse_dates=["week"])
    ours_train = pd.read_csv(f"{feat}/train.csv", dtype={ID: str}, parse_dates=["week"], usecols=[ID, "week", "label"])

    t = time.perf_counter()
    s = pd.read_csv(snap, dtype={ID: str}, parse_dates=["week"])
    label, tr, va = split_rows(s, summary)
    n_tr, pos_tr = check_alignment(name + " train", s, label, tr, ours_train)
    n_va, pos_va = check_alignment(name + " valid", s, label, va, ours)
    f = notebook_features(s)
    cols = [c for c in f.columns if c not in (ID, "week")]
    rows = s[[ID, "week"]].assign(label=label)
    trs = rows[tr].merge(f, on=[ID, "week"], how="left", validate="1:1")
    vas = ours[[ID, "week", "label"]].merge(f, on=[ID, "week"], how="left", validate="1:1")
    m, desc = fit_notebook(trs[cols], trs.label.astype(int).values, trs.week, summary["split"]["horizon_weeks"],
                           a.threads, a.check)
    p_nb = m.predict_proba(vas[cols])[:, 1]
    # Kept beside ours.csv, so a later look at the two sides (another
    # metric, a subset of accounts) need not fit the notebook again.
    vas[[ID, "week", "label"]].assign(probability=p_nb).to_csv(f"{d}/notebook.csv", index=False)
    nb_secs = time.perf_counter() - t

    y = ours.label.astype(int).values
    fold = fnv_fold(ours[ID].values)
    p_ours = ours.probability.values
    r = {"name": name, "rows": n_va, "churners": pos_va, "train_rows": n_tr, "train_churners": pos_tr,
         "chosen": metrics["chosen"], "notebook": f"xgboost {desc}, {len(cols)} features",
         "ours_secs": ours_secs, "nb_secs": nb_secs}
    chosen = next(e for e in metrics["models"] if e["name"] == metrics["chosen"])
    r["ours_auc"] = roc_auc_score(y, p_ours)
    r["ours_auc_metrics_json"] = chosen["valid_auc"]
    r["ours_pr"] = average_precision_score(y, p_ours)
    q_ours = oof_platt(ours.log_odds.values, y, fold)
    r["ours_ll"] = ll(y, q_ours)
    r["ours_ll_metrics_json"] = chosen["valid_log_loss"]
    r["nb_auc"] = roc_auc_score(y, p_nb)
    r["nb_pr"] = average_precision_score(y, p_nb)
    r["nb_ll_raw"] = ll(y, p_nb)
    q_nb = oof_platt(logit(p_nb), y, fold)
    r["nb_ll"] = ll(y, q_nb)
    if not a.check:
        r["ci_lo"], r["ci_hi"], r["p_ge"] = boot_diff(y, p_ours, p_nb, ours[ID].values, a.boot, roc_auc_score)
        # The log-loss difference of the two out-of-fold calibrations, as
        # resampled: at a few hundred churners it moves by more than the
        # gaps the table shows, and the interval says by how much.
        lo, hi, ge = boot_diff(y, q_ours, q_nb, ours[ID].values, a.boot, ll)
        r["ll_ci_lo"], r["ll_ci_hi"], r["p_ll_lt"] = lo, hi, 1 - ge
    return r


def interval(r, metric, places):
    """The bootstrap interval of a difference, " [lo, hi]", from r's
    metric + "ci_lo" and "ci_hi"; empty when it was not resampled."""
    if metric + "ci_lo" not in r:
        return ""
    return f" [{r[metric + 'ci_lo']:+.{places}f}, {r[metric + 'ci_hi']:+.{places}f}]"


def table(rs, boot):
    lines = []
    for r in rs:
        lines.append(f"## {r['name']}: {r['rows']} validation rows, {r['churners']} churners "
                     f"(train {r['train_rows']} rows, {r['train_churners']} churners)")
        lines.append(f"ours: churn train --model all chose {r['chosen']} ({r['ours_secs']:.0f} s end to end); "
                     f"notebook: {r['notebook']} ({r['nb_secs']:.0f} s)")
        lines.append(f"{'':10s} {'ours':>8s} {'notebook':>9s} {'diff':>8s}")
        lines.append(f"{'ROC AUC':10s} {r['ours_auc']:8.4f} {r['nb_auc']:9.4f} {r['ours_auc'] - r['nb_auc']:+8.4f}"
                     + (f"  95% CI{interval(r, '', 4)}, ours >= notebook in {100 * r['p_ge']:.0f}%"
                        f" of {boot} account resamples" if "ci_lo" in r else ""))
        lines.append(f"{'PR-AUC':10s} {r['ours_pr']:8.4f} {r['nb_pr']:9.4f} {r['ours_pr'] - r['nb_pr']:+8.4f}")
        lines.append(f"{'log-loss':10s} {r['ours_ll']:8.5f} {r['nb_ll']:9.5f} {r['ours_ll'] - r['nb_ll']:+8.5f}"
                     + (f"  95% CI{interval(r, 'll_', 5)}, ours lower in {100 * r['p_ll_lt']:.0f}%"
                        if "ll_ci_lo" in r else "")
                     + f"  (out-of-fold Platt both; notebook raw {r['nb_ll_raw']:.4f}; "
                     f"metrics.json says ours {r['ours_ll_metrics_json']:.4f}, AUC {r['ours_auc_metrics_json']:.4f})")
        lines.append("")
    lines.append("| data set | rows / churners | ROC AUC ours | notebook | diff [95% CI] | PR-AUC ours | notebook "
                 "| log-loss ours | notebook | diff [95% CI] |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in rs:
        lines.append(f"| {r['name']} | {r['rows']} / {r['churners']} | {r['ours_auc']:.4f} | {r['nb_auc']:.4f} | "
                     f"{r['ours_auc'] - r['nb_auc']:+.4f}{interval(r, '', 4)} | {r['ours_pr']:.4f} | {r['nb_pr']:.4f} | "
                     f"{r['ours_ll']:.5f} | {r['nb_ll']:.5f} | {r['ours_ll'] - r['nb_ll']:+.5f}{interval(r, 'll_', 5)} |")
    return "\n".join(lines)


def world_flags(p):
    """The flags of a bench on simulated worlds: the binaries, the output
    directory and the worlds' seeds, mixes and size."""
    p.add_argument("--churn", required=True)
    p.add_argument("--scorerows", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--worlds", default="11:;12:usage=0.4,support=2.5,billing=2.5;13:noise=2,abrupt=3;14:churn=0.4")
    p.add_argument("--accounts", type=int, default=3000)
    p.add_argument("--weeks", type=int, default=104)
    p.add_argument("--threads", type=int, default=2)


def worlds(spec):
    """The (seed, mix) of every SEED:MIX in spec, ";"-separated."""
    for w in spec.split(";"):
        if w.strip():
            seed, _, mix = w.partition(":")
            yield seed.strip(), mix.strip()


def publish(text, path):
    """Prints a run's final table and writes it to path, Markdown."""
    print()
    print(text)
    with open(path, "w") as fh:
        fh.write(text + "\n")


def main():
    p = argparse.ArgumentParser()
    world_flags(p)
    p.add_argument("--cdnow", default="")
    p.add_argument("--boot", type=int, default=500)
    p.add_argument("--check", action="store_true")
    a = p.parse_args()
    rs = []

    def done(r):
        # Each data set's figures are printed and saved as soon as they are
        # known: on a busy host the whole run takes long.
        rs.append(r)
        print("\n" + table([r], a.boot).split("\n| data set")[0], flush=True)
        with open(f"{a.out}/accuracy.json", "w") as fh:
            json.dump(rs, fh, indent=2, default=float)

    if a.cdnow and not a.check:
        d = f"{a.out}/cdnow"
        os.makedirs(d, exist_ok=True)
        print("cdnow:", flush=True)
        done(evaluate(a, "cdnow", prepare_cdnow(a, d), d))
    for seed, mix in worlds(a.worlds):
        name = f"sim seed {seed}" + (f" mix {mix}" if mix else " default mix")
        d = f"{a.out}/world-{seed}"
        os.makedirs(d, exist_ok=True)
        print(f"{name}:", flush=True)
        done(evaluate(a, name, prepare_world(a, name, seed, mix, d), d))
        if a.check:
            r = rs[-1]
            print(f"check {name}: both sides count {r['rows']} validation rows, {r['churners']} churners, "
                  f"{r['train_rows']} training rows, {r['train_churners']} churners: aligned")
    publish(table(rs, a.boot), f"{a.out}/accuracy.md")


if __name__ == "__main__":
    sys.exit(main())
