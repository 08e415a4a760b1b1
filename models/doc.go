// Package models fits, validates, stores and explains churn models.
//
// Every model scores a feature row in log-odds and explains the score:
// contributions per feature that, with a base value, add up to the
// log-odds. The learners live in subpackages (logistic, gbm, golearn for
// golearn's decision tree and forest, tree for the trees they share,
// hybrid for a GBM boosted from a logistic regression's log-odds);
// this package fits them by name, validates them out of time against
// historical churn, calibrates their probabilities and writes the chosen
// one as a self-describing Artifact (model.json).
//
// Calibration is Platt scaling on log-odds, an affine map, so a
// calibrated score is still explained exactly: contributions are scaled
// by the same factor and the base value absorbs the shift.
package models
