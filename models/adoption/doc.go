// Package adoption builds a product-adoption score: the best few leading
// indicators of a retention History as 0/1 inputs of a logistic regression,
// fitted on the training weeks of an out-of-time split, and how well it
// ranks churn on the validation weeks beside the full churn model (ROC
// AUC, PR AUC, the churners in the riskiest tenth).
//
// Build ranks the indicators on reference weeks up to the split's last
// training week, so that nothing about the validation weeks guides the
// choice, and takes those whose difference in retention is significant,
// one per column, none nearly a copy of one taken before it. The
// indicators and their evaluation are features/retention's
// (FindIndicatorsSample, Sample.Meets, History.Meets); the fit and the
// metrics are models/logistic's and models/metrics'. That is why the
// score lives here, above the domain layer, and not in retention: it
// fits a model.
package adoption
