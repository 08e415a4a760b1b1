#!/usr/bin/python3
"""Peer figures for `churn train --table`: scikit-learn logistic regression
and XGBoost (hist) under the same 5-fold stratified cross-validation, on a
customer table as a data scientist would prepare it with pandas.

Text columns are one-hot encoded (pandas get_dummies), numbers are read as
numbers (a blank is NaN), the logistic pipeline imputes the mean, and
XGBoost routes NaN itself.

usage: tables.py FILE --label COL [--drop COL,...] [--folds 5] [--seed 1]
Time the whole process: /usr/bin/time -f %e /usr/bin/python3 tables.py ...
"""
import argparse
import time

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
import xgboost as xgb


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--label", required=True)
    p.add_argument("--drop", default="")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    df = pd.read_csv(a.file, na_values=["", " "], keep_default_na=True)
    y = df[a.label].astype(str).str.lower().map(
        {"1": 1, "0": 0, "yes": 1, "no": 0, "true": 1, "false": 0}).values
    X = df.drop(columns=[a.label] + [c for c in a.drop.split(",") if c])
    X = pd.get_dummies(X, dtype=float).astype(float)
    folds = StratifiedKFold(n_splits=a.folds, shuffle=True, random_state=a.seed)
    learners = {
        "sklearn-logistic": lambda: make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=5000)),
        "xgboost": lambda: xgb.XGBClassifier(n_estimators=300, max_depth=4, learning_rate=0.05,
                                             tree_method="hist", n_jobs=a.threads),
    }
    print(f"rows={len(y)} positives={int(y.sum())} features={X.shape[1]}")
    for name, make in learners.items():
        aucs = []
        t0 = time.perf_counter()
        for tr, va in folds.split(X, y):
            m = make()
            m.fit(X.iloc[tr], y[tr])
            aucs.append(roc_auc_score(y[va], m.predict_proba(X.iloc[va])[:, 1]))
        secs = time.perf_counter() - t0
        print(f"{name}: AUC {np.mean(aucs):.4f} ± {np.std(aucs):.4f}  ({a.folds} folds, {secs:.2f} s)")


if __name__ == "__main__":
    main()
