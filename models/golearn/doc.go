// Package golearn fits the decision tree and random forest baselines
// with golearn (github.com/sjwhitworth/golearn) and returns them as
// tree.Ensemble values, the representation every tree model of the
// project shares, so they score and explain like the others: LogOdds
// is the log-odds of churn and Explain its exact path-dependent
// TreeSHAP attribution.
//
// golearn is used for what it does well, choosing splits; the rest is
// done here, because golearn cannot do it:
//
//   - Probabilities. golearn's classifiers predict classes only: its
//     random forest is a majority vote, and with churn as the minority
//     class every tree votes "stays" for every account (a validation AUC
//     of 0.5 on the package's synthetic data). So each golearn tree is
//     translated split for split, and each leaf gets the smoothed
//     log-odds of churn among the training rows that reach it.
//   - Size. golearn's CART recounts the classes of every row for every
//     candidate threshold, so its cost grows nearly with the square of
//     the rows: on 30 features of mostly distinct values one core takes
//     1.5 s for 1,000 rows, 4.3 s for 2,000, 18 s for 5,000 and 63 s for
//     10,000, with 0.4 GB allocated at 5,000. It cannot fit the
//     hundreds of thousands of account-weeks a training set holds, so
//     FitTree hands it a stratified sample of TreeParams.MaxRows rows
//     and then routes every training row through the translated tree
//     for the leaf values and the covers TreeSHAP needs.
//   - Missing values. golearn has none, so it fits on rows whose NaNs
//     are replaced by the feature's training median, and each
//     translated split sends NaN the way the median goes.
//   - Reproducibility. golearn's random forest draws from math/rand's
//     global source, which cannot be seeded since Go 1.24, and its ID3
//     breaks ties between splits in map order. FitForest grows the same
//     forest, golearn's ID3 trees on bootstrap samples and random
//     feature subsets, but draws the samples itself from a seeded stream
//     per tree and has ID3 weigh its candidates in a fixed order.
//
// FitForest also corrects golearn's ID3, which scores a numeric split as
// x < v but cuts at x <= v: on counts, where values tie, it then splits
// off one value more than it meant to, or loses a clean split entirely.
package golearn
