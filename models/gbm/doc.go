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
// work per row (bins.go and boost.go say more):
//
//   - a row's gradient and hessian are fixed-point integers packed into
//     one int64, so a histogram update is a single addition (see
//     quant.go for the precision this keeps);
//   - a row stores only the bins of its features outside their modes,
//     each as its index in a node histogram; a mode's entry is the
//     node's sum less the other bins';
//   - the rows are kept sorted by how many bins they store, so that the
//     loop over a row's bins runs as many times as the last row's and
//     its exit is predicted;
//   - each split partitions its node's rows into its children's without
//     a branch, block by block, and only the smaller child is summed
//     from its rows: the larger is its parent's histogram minus its
//     sibling's;
//   - the workers split the rows, taking blocks as they finish, each
//     into histograms of its own that are then added up.
//
// Integer sums do not depend on the order of the rows or on which worker
// adds which, and the row sample and the dither of the fixed-point
// rounding are hashes of the seed, the tree and the training row, so the
// model is the same bit for bit for any number of goroutines.
package gbm
