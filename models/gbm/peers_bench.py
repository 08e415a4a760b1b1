#!/usr/bin/python3
"""The GBM against XGBoost and scikit-learn on the same train.csv/valid.csv.

usage: peers_bench.py CHURN FEATURES_DIR OUT_DIR PEERS_SCRIPT [ROUNDS]

Each round times the whole `churn train --features DIR --model gbm
--no-refit` process (300 trees, depth 4, learning rate 0.05, every row and
feature, leaves of 1 in hessian: XGBoost's settings in learners.py; one fit, as
XGBoost's, where the default would refit on both sides with four
calibration folds after validating), then runs the peers' yardstick,
which times XGBoost's and scikit-learn's fits alone. The host's speed drifts
by 20% or more from minute to minute, so the two run back to back, round
after round, and the medians and the per-round ratios are what to compare.
"""
import json
import re
import statistics
import subprocess
import sys
import time


def main():
    churn, features, out, peers = sys.argv[1:5]
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    wholes, fits, xgbs, ratios = [], [], [], []
    for i in range(rounds):
        start = time.perf_counter()
        subprocess.run([churn, "train", "--features", features, "--model", "gbm", "--trees", "300",
                        "--depth", "4", "--learning-rate", "0.05", "--min-child-weight", "1", "--subsample", "1",
                        "--colsample", "1", "--no-refit", "--no-plots", "--out", out],
                       check=True, stdout=subprocess.DEVNULL)
        whole = time.perf_counter() - start
        with open(f"{out}/metrics.json") as f:
            m = json.load(f)["models"][0]
        text = subprocess.run(["/usr/bin/python3", peers, f"{features}/train.csv", f"{features}/valid.csv",
                               "--label", "label"], check=True, capture_output=True, text=True).stdout
        if i == 0:
            print(text, end="")
        xgb = re.search(r"^xgboost-hist\s+fit_s=\s*([0-9.]+).*auc=([0-9.]+)", text, re.M)
        xfit, xauc = float(xgb.group(1)), float(xgb.group(2))
        wholes.append(whole)
        fits.append(m["fit_seconds"])
        xgbs.append(xfit)
        ratios.append(whole / xfit)
        print(f"round {i + 1}: churn whole process {whole:.2f} s (fit {m['fit_seconds']:.2f} s, "
              f"AUC {m['uncalibrated']['roc_auc']:.4f} raw, {m['calibrated']['roc_auc']:.4f} calibrated); "
              f"xgboost fit {xfit:.2f} s (AUC {xauc:.4f}); ratio {whole / xfit:.2f}", flush=True)
    print(f"median: churn whole process {statistics.median(wholes):.2f} s (fit {statistics.median(fits):.2f} s), "
          f"xgboost fit {statistics.median(xgbs):.2f} s; ratio median {statistics.median(ratios):.2f}, "
          f"best {min(ratios):.2f}, worst {max(ratios):.2f}")


if __name__ == "__main__":
    main()
