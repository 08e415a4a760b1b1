// Package gbm fits gradient-boosted trees for churn: a histogram learner
// for the binary log-loss in the manner of XGBoost's "hist" method, in
// pure Go.
//
// Each feature is cut into at most MaxBins quantile bins of its training
// values, plus a bin for NaN, and every tree grows level by level to
// Depth on sums of log-loss gradients and hessians over those bins. Each
// split tries sending NaN either way and keeps the better; leaf values
// are Newton steps, -G/(H+Lambda), shrunk by LearningRate; the base
// score is the training log-odds. Thresholds are stored in the features'
// own units and the trees are tree.Trees, so a model scores raw rows
// exactly as training routed them, and TreeSHAP explains every score
// exactly.
//
// Fit is fast because its row loops touch little memory and do little
// work per row:
//
//   - a bin is stored as its index in a node histogram, row-major within
//     a group of features, and one goroutine per group reads each row's
//     gradient once for all the group's features;
//   - a row's gradient and hessian are fixed-point integers packed into
//     one int64, so a histogram update is a single addition (see
//     quant.go for the precision this keeps);
//   - only the smaller child of a split is summed from its rows; the
//     larger one is its parent's histogram minus its sibling's.
//
// Integer sums do not depend on the order of the rows, the row sample
// and the dither of the fixed-point rounding are drawn per fixed block of
// rows, and each goroutine owns its features' histograms, so the model
// is the same bit for bit for any number of goroutines.
package gbm
