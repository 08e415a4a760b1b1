// Package features turns weekly account snapshots into point-in-time
// feature rows and churn labels.
//
// The domain types live here: a Snapshot is one account's week as the
// contract describes it, a Builder folds an account's snapshots into
// features one week at a time (so a feature at week w can only ever see
// rows up to w), and a Dataset is the labelled, out-of-time split that
// the models package trains on. Reading and writing files is left to the
// adapter packages csvfile and parquetfile.
//
// Build reads a file once. Another consumer of the same snapshots, such as
// the history of package retention, can share that pass through
// BuildOptions.Observe rather than read the file again.
//
// This is the domain layer: it and its subpackages import nothing from
// models, serve or cmd, which build on it (layers_test.go enforces it).
package features
