// Package metrics measures how well a binary churn model ranks and
// calibrates, and recalibrates its scores.
//
// Every function takes labels y, each exactly 0 or 1, beside one score per
// row. The ranking metrics (ROCAUC, PRAUC, TopFraction) accept any ordered
// score, probabilities or log-odds alike; the probability metrics (LogLoss,
// Brier, Calibration, Summarize) need probabilities in [0, 1]. A metric that
// is undefined for its input, such as ROC AUC when only one class is
// present, or whose input is malformed (lengths that differ, no rows, a
// label that is not 0 or 1, a NaN score) is NaN; the Fit functions return
// an error instead, since a calibrator fitted to such input would be wrong
// rather than merely undefined.
//
// Tied scores are never split by an arbitrary order: ROC AUC counts a tied
// positive–negative pair as half right, average precision and calibration
// bins treat a run of equal scores as one threshold. Only TopFraction, which
// must cut at an exact row count, breaks ties, by row index, so its result
// does not depend on the sort algorithm.
//
// Each function sorts at most once, with a linear-time radix sort, because
// it runs on hundreds of thousands of rows per model, segment and backtest
// cutoff; Summarize shares one sort among all its metrics.
package metrics
