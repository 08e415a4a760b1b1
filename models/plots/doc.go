// Package plots draws PNG charts of a churn model's validation: ROC
// curves, cumulative gains, calibration and feature importance.
//
// The charts are written beside model.json so that a data scientist can
// judge a model at a glance, and they compare models on the same axes: each
// chart takes one Curve per model, the validation labels and predicted
// probabilities of that model, and draws it in a colour and dash of its
// own.
//
// The summary numbers in the legends, ROC AUC and the share of churners
// caught in the top 10%, come from package metrics, so they match the
// metrics.json written beside the charts. The curves themselves are
// computed here, treating rows with equal probability as one threshold so
// that no curve depends on how ties happen to be ordered, and are thinned
// to at most a few hundred points, which keeps a chart of half a million
// rows as small and fast to draw as one of a thousand.
package plots
