#!/usr/bin/python3
"""The CDNOW peer: what a careful pandas + XGBoost notebook makes of the same
weekly snapshots, scored on the same rows, labels and out-of-time split as
`churn train`, so that the README's walkthrough figures can be reproduced.

Features per customer-week, from rows up to that week only: days since the
last purchase; purchases, dollars and CDs over the last 4 and 12 weeks; the
same per week since the first week (rates: totals would grow with tenure,
and validation customers are a year older than training ones); weeks since
the first purchase; average order value. Labels and split come from
`churn features`, joined on account and week.

    churn snapshots --events CDNOW_master.txt --account customer_id --time date \\
        --time-format 20060102 --sum dollar_value --sum number_of_cds \\
        --churn-after-silence 90d --out cdnow.csv
    churn features --snapshots cdnow.csv --horizon 12 --valid-weeks 13 --format csv --out feat
    /usr/bin/python3 notebooks/cdnow_peer.py cdnow.csv feat

Needs Debian's python3-pandas, python3-sklearn and python3-xgboost.
"""
import sys
import time

import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score


def build(path):
    s = pd.read_csv(path, dtype={"account_id": str}, parse_dates=["week"])
    s = s.sort_values(["account_id", "week"], kind="stable").reset_index(drop=True)
    g = s.groupby("account_id", sort=False)
    f = s[["account_id", "week", "recency_days"]].copy()
    f["tenure_weeks"] = g.cumcount()  # the roll-up writes every week from the first purchase
    for col in ["frequency", "dollar_value", "number_of_cds"]:
        for w in (4, 12):
            f[f"{col}_{w}w"] = g[col].transform(lambda x: x.rolling(w, min_periods=1).sum())
        f[f"{col}_rate"] = g[col].cumsum() / (f["tenure_weeks"] + 1)
    f["avg_order_value"] = f["dollar_value_rate"] / f["frequency_rate"]
    return f


def main():
    snapshots, featdir = sys.argv[1], sys.argv[2]
    t = time.perf_counter()
    f = build(snapshots)
    print(f"pandas features: {time.perf_counter() - t:.1f} s")
    sets = {}
    for part in ("train", "valid"):
        rows = pd.read_csv(f"{featdir}/{part}.csv", dtype={"account_id": str}, parse_dates=["week"],
                           usecols=["account_id", "week", "label"])
        sets[part] = rows.merge(f, on=["account_id", "week"], how="left", validate="1:1")
    tr, va = sets["train"], sets["valid"]
    cols = [c for c in f.columns if c not in ("account_id", "week")]
    print(f"train {len(tr)} rows, valid {len(va)} rows, {len(cols)} features")
    print(f"recency alone     ROC AUC {roc_auc_score(va.label, va.recency_days):.4f}")
    m = xgb.XGBClassifier(n_estimators=300, max_depth=4, learning_rate=0.05, tree_method="hist", n_jobs=2)
    t = time.perf_counter()
    m.fit(tr[cols], tr.label)
    fit = time.perf_counter() - t
    print(f"xgboost           ROC AUC {roc_auc_score(va.label, m.predict_proba(va[cols])[:, 1]):.4f} (fit {fit:.1f} s)")


if __name__ == "__main__":
    main()
