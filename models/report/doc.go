// Package report assembles and writes the retention report of churn
// report: report.json with every number, one PNG chart per figure, and a
// self-contained report.html (inline style, charts as data URIs) that can
// be mailed on its own.
//
// A Report holds the retention statistics of features/retention
// (Measure's churn, revenue retention, cohorts and indicators), the
// adoption score of models/adoption, the uplift of an intervention and
// notes on what was left out. Charts draws the figures with models/plots'
// style, WriteHTML lays out the page from report.html.tmpl, WriteText
// prints the headline figures for a terminal, and Save writes every file
// atomically, the HTML last.
//
// It sits in the models layer because it draws and shows a model's
// score; the statistics it presents stay in features/retention, which
// imports nothing from models.
package report
