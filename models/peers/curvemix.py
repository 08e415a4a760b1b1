#!/usr/bin/python3
"""The survival curve as a second opinion on the fixed-horizon score
(`make bench-curve-mix`; README, "Accuracy against a notebook", "A lead,
not built").

usage: curvemix.py --churn BIN --scorerows BIN --out DIR
                   [--worlds 'SEED:MIX;SEED:MIX'] [--accounts N] [--weeks W]
                   [--weight W] [--earlier WEEKS]

For every simulated world (`churn gen --seed S --mix M`), on the accuracy
bench's label and split (accuracy.py):

direct    `churn features --format csv`, then `churn train --features DIR
          --model gbm --no-refit`: the first fit, scored on the validation
          rows by scorerows.
curve     `churn train --survival --model gbm --no-refit` on the snapshots
          cut at the week before the validation weeks, so the served hazard's
          labels stop where the direct model's do; scorerows gives each
          validation row its 1 - S(12). With --earlier, a second hazard on the
          snapshots cut that many weeks before the validation weeks.
mixed     (1 - W) x the direct log-odds + W x logit(1 - S(12)).
soft      XGBoost with our GBM's settings on our training rows, once on the
          labels and once on soft labels (1 - a) x label + a x the curve's
          in-sample 1 - S(12), a = 0.25 and 0.5: whether a single model
          fitted on the curve's opinion keeps the mix's gain.

ROC AUC is of the scores; log-loss is after the bench's out-of-fold Platt
calibration (two halves of the accounts). Every figure is a change from the
direct model (or, for soft labels, from XGBoost on the labels), on the same
rows.

Needs Debian's python3-pandas, python3-sklearn and python3-xgboost.
"""
import argparse
import datetime
import io
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ beside the sources
import accuracy  # noqa: E402  the bench's label, split and calibration

SOFT = (0.25, 0.5)


def scores(a, model, rows):
    out = subprocess.run([a.scorerows, model, rows], check=True, capture_output=True, text=True).stdout
    return pd.read_csv(io.StringIO(out), dtype={accuracy.ID: str})


def curve(a, snap, cut, d, feat):
    """The served hazard of the snapshots up to the week cut, scored on the
    validation and training rows."""
    s = pd.read_csv(snap, dtype={accuracy.ID: str})
    path = f"{d}/snapshots-to-{cut}.csv"
    s[s.week <= cut.isoformat()].to_csv(path, index=False)
    model = f"{d}/curve-to-{cut}"
    accuracy.run([a.churn, "train", "--snapshots", path, "--survival", "--model", "gbm", "--no-refit",
                  "--no-plots", "--out", model], stdout=subprocess.DEVNULL)
    return (scores(a, model, f"{feat}/valid.csv").curve_within_horizon.values,
            scores(a, model, f"{feat}/train.csv").curve_within_horizon.values)


def judge(y, z, fold):
    return roc_auc_score(y, z), accuracy.ll(y, accuracy.oof_platt(z, y, fold))


def xgb_margins(train, valid, cols, target, threads):
    """Our GBM's settings in XGBoost: 250 trees of depth 3 at 0.03, leaves
    of 5, 80% of the rows and of the columns, boosting from even odds."""
    prm = dict(objective="binary:logistic", max_depth=3, eta=0.03, min_child_weight=5, subsample=0.8,
               colsample_bytree=0.8, reg_lambda=1.0, tree_method="hist", nthread=threads, seed=1, base_score=0.5)
    b = xgb.train(prm, xgb.DMatrix(train[cols].values, label=target), num_boost_round=250)
    return b.predict(xgb.DMatrix(valid[cols].values), output_margin=True)


def evaluate(a, seed, mix, d):
    snap = accuracy.prepare_world(a, seed, seed, mix, d)
    feat, direct = f"{d}/features", f"{d}/direct"
    accuracy.run([a.churn, "features", "--snapshots", snap, "--horizon", str(accuracy.HORIZON), "--valid-weeks",
                  str(accuracy.VALID_WEEKS), "--format", "csv", "--out", feat], stdout=subprocess.DEVNULL)
    accuracy.run([a.churn, "train", "--features", feat, "--model", "gbm", "--no-refit", "--no-plots",
                  "--out", direct], stdout=subprocess.DEVNULL)
    ours = scores(a, direct, f"{feat}/valid.csv")
    with open(f"{feat}/summary.json") as fh:
        first = datetime.date.fromisoformat(json.load(fh)["split"]["valid"]["first_week"])
    y, z = ours.label.values, ours.log_odds.values
    fold = accuracy.fnv_fold(ours[accuracy.ID].values)
    r = {"world": seed, "mix": mix or "default", "direct": judge(y, z, fold)}

    c, c_train = curve(a, snap, first - datetime.timedelta(weeks=1), d, feat)
    r["curve_auc"] = roc_auc_score(y, c)
    r["mixed"] = judge(y, (1 - a.weight) * z + a.weight * accuracy.logit(c), fold)
    if a.earlier:
        e, _ = curve(a, snap, first - datetime.timedelta(weeks=a.earlier), d, feat)
        r["mixed_earlier"] = judge(y, (1 - a.weight) * z + a.weight * accuracy.logit(e), fold)

    train, valid = pd.read_csv(f"{feat}/train.csv"), pd.read_csv(f"{feat}/valid.csv")
    cols = [k for k in train.columns if k not in (accuracy.ID, "week", "label")]
    hard = xgb_margins(train, valid, cols, train.label.values, a.threads)
    r["xgb"] = judge(y, hard, fold)
    r["xgb_mixed"] = judge(y, (1 - a.weight) * hard + a.weight * accuracy.logit(c), fold)
    for s in SOFT:
        target = (1 - s) * train.label.values + s * c_train
        r[f"soft_{s}"] = judge(y, xgb_margins(train, valid, cols, target, a.threads), fold)
    return r


def change(r, key, base):
    (auc, ll), (a0, l0) = r[key], r[base]
    return f"{auc:.4f} / {ll:.5f} ({auc - a0:+.4f} / {ll - l0:+.5f})"


def table(rs, a):
    head = ["world", "direct", "curve alone, AUC", f"mixed at {a.weight}"]
    if a.earlier:
        head.append(f"mixed, curve's labels {a.earlier} weeks before validation")
    head += ["XGBoost, labels", "XGBoost mixed"] + [f"XGBoost, soft labels a = {s}" for s in SOFT]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rs:
        row = [f"{r['world']} {r['mix']}", "%.4f / %.5f" % r["direct"], f"{r['curve_auc']:.4f}",
               change(r, "mixed", "direct")]
        if a.earlier:
            row.append(change(r, "mixed_earlier", "direct"))
        row += ["%.4f / %.5f" % r["xgb"], change(r, "xgb_mixed", "xgb")] + [change(r, f"soft_{s}", "xgb") for s in SOFT]
        lines.append("| " + " | ".join(row) + " |")
    keys = [("mixed", "direct")] + ([("mixed_earlier", "direct")] if a.earlier else []) + \
        [("xgb_mixed", "xgb")] + [(f"soft_{s}", "xgb") for s in SOFT]
    lines.append("")
    for k, base in keys:
        d = np.array([[r[k][0] - r[base][0], r[k][1] - r[base][1]] for r in rs])
        lines.append(f"{k}: mean ROC AUC {d[:, 0].mean():+.4f} (higher on {(d[:, 0] > 0).sum()} of {len(rs)}), "
                     f"mean log-loss {d[:, 1].mean():+.5f} (lower on {(d[:, 1] < 0).sum()} of {len(rs)})")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser()
    accuracy.world_flags(p)
    p.add_argument("--weight", type=float, default=0.25)
    p.add_argument("--earlier", type=int, default=13)
    a = p.parse_args()
    rs = []
    for seed, mix in accuracy.worlds(a.worlds):
        d = f"{a.out}/world-{seed}"
        os.makedirs(d, exist_ok=True)
        print(f"world {seed} {mix or 'default'}:", flush=True)
        rs.append(evaluate(a, seed, mix, d))
        with open(f"{a.out}/curvemix.json", "w") as fh:
            json.dump(rs, fh, indent=2, default=float)
        print(table(rs[-1:], a).split("\n\n")[0], flush=True)
    accuracy.publish(table(rs, a), f"{a.out}/curvemix.md")


if __name__ == "__main__":
    sys.exit(main())
