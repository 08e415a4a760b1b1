package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/publish"
	"github.com/churnlabs/churn/features/retention"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/crm"
	"github.com/churnlabs/churn/models/maturity"
	"github.com/churnlabs/churn/models/plays"
	"github.com/churnlabs/churn/models/ranking"
)

func runScore(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "score", "(--snapshots FILE | --table FILE) --model DIR [flags]",
		`Scores every account that is active at its latest snapshot week and ranks
them, highest risk first: churn probability within the model's horizon,
health colour, ARR, ARR at risk (probability x ARR), renewal date and days
to it, the change since the previous week's score, and the top three drivers
in plain words. The health cut-offs come from the model's validation data
(red: the riskiest tenth) unless --red/--yellow set them; the output states
which.

With --record it also stores every scored account's score, health,
log-odds, top contributions and model version for its week in the score
history (--db; by default churn.db beside the model folder, or the registry's own
for a model kept in a registry), replacing
what that model recorded for the same week, and the change since last
week and the history then come from the scores recorded as shown.


With --table, a model trained on a customer table (train --table) scores
every row of a table with the same columns (the label may be absent): csv
and json give each row's id, probability, log-odds, base value and one
contribution per original column (a categorical column's one-hot parts
summed), which add up to the log-odds; table lists the riskiest rows with
their top drivers. Categories the model never saw are scored as missing and
reported on stderr.

It also compares the scored week with the training weeks, per feature and
for the score: the population stability index (PSI, over ten quantile bins
of the training rows and a bin of missing values) and the share of missing
values. It warns on stderr, naming them, of the features whose PSI exceeds
--drift-warn (below 0.1 is stable, 0.1 to 0.25 moderate, above 0.25 a
major shift) or whose share of missing values rose by more than
--drift-missing. A model trained before churn recorded the training
distribution is scored without the check, with a note.

--out FILE writes the ranking to FILE (atomically) instead of standard
output, in --format or, without it, the format FILE's extension names
(.parquet, .csv, .json). --format parquet needs --out: one row per
account with the CSV's columns, the model version, the log-odds, the base
value and one contribution_<feature> column per model feature.

--format crm --crm salesforce|hubspot writes a CSV for the CRM's import:
external account id, churn probability, health, top drivers as text,
renewal date, model version and the time scored, under each CRM's
customary names (Salesforce custom fields such as Churn_Probability__c, a
percentage; HubSpot property internal names such as churn_probability, a
fraction).

--partition i/N scores only part i (1 to N) of the accounts, so that N
jobs on as many machines can score a very large book: an account is in
part i when the 64-bit FNV-1a hash of its id, modulo N, is i-1 (the same
on every run, machine and version). Each job reads the whole file (the
parts are scored as of the same week) but builds and holds only its own
accounts; concatenated and sorted by churn_probability (then account_id),
the parts are the whole ranking. Filters and --top apply within the part;
--record, which replaces a week's scores whole, does not combine with it.`)
	snapshots := fs.String("snapshots", "", "snapshot file (.parquet or .csv)")
	modelDir := fs.String("model", "", "model directory written by \"churn train\"")
	format := fs.String("format", "table", "output format: table, csv, json, parquet (needs --out) or crm (needs --crm)")
	crmName := fs.String("crm", "", "with --format crm: the CRM to write an import file for: "+strings.Join(crm.Names(), " or "))
	out := fs.String("out", "", "write the ranking to this file instead of standard output (format from its extension unless --format)")
	partition := fs.String("partition", "", "score only part i/N of the accounts (1 <= i <= N), by a stable hash of the account id")
	segment := fs.String("segment", "", "only accounts in this segment (one the model knows)")
	renewal := fs.Int("renewal-within", 0, "only accounts renewing within this many days (0: all)")
	top := fs.Int("top", 0, "only the first N accounts (0: all)")
	sort := fs.String("sort", ranking.ByProbability, "order: probability, arr_at_risk or before_renewal (likeliest to leave before the renewal date first; needs a model trained with --survival)")
	red := fs.Float64("red", 0, "churn probability from which an account is red (default: from validation)")
	yellow := fs.Float64("yellow", 0, "churn probability from which an account is yellow (default: from validation)")
	normalize := weeksFlag(fs)
	segFile := fs.String("segments", "", "YAML segment file (see churn plays): colour each account by its renewal segment's health cut-offs (set by hand or learned by churn train --segments) and add its segment and cut-offs to the output")
	playSegment := fs.String("play-segment", "", "with --segments: only accounts in this renewal segment")
	ladderFile := fs.String("maturity", "", "maturity ladder (YAML, see churn report --maturity): add each account's maturity level and what it lacks for the next to the table and CSV")
	record := fs.Bool("record", false, "store the scores in the score history (--db)")
	db := dbFlag(fs, "with --record, the score history")
	driftWarn := fs.Float64("drift-warn", 0.2, "warn of features whose PSI from the training weeks exceeds this (0: no drift check)")
	driftMissing := fs.Float64("drift-missing", 0.1, "warn of features whose share of missing values rose by more than this (0: off)")
	fs.String("table", "", "customer table (.csv or .parquet) to score with a model from train --table")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	table := fs.Lookup("table").Value.String()
	if table != "" {
		if isSet(fs, "snapshots") {
			return usageError(fs, "give one of --snapshots and --table")
		}
		if *record || *db != "" {
			return usageError(fs, "--record keeps account-weeks: a customer table's rows have none")
		}
		if err := required(fs, "model"); err != nil {
			return err
		}
		for _, name := range []string{"segment", "renewal-within", "sort", "red", "yellow", "normalize-weeks"} {
			if isSet(fs, name) {
				return usageError(fs, "--%s is for snapshots: a customer table has no segments, renewals or weeks", name)
			}
		}
		for _, name := range []string{"partition", "out", "crm", "maturity", "segments", "play-segment"} {
			if isSet(fs, name) {
				return usageError(fs, "--%s is for snapshots", name)
			}
		}
		if *top < 0 {
			return usageError(fs, "--top %d: want a number of rows, 0 or more (0: all)", *top)
		}
		if *format != "table" && *format != "csv" && *format != "json" {
			return usageError(fs, "--format %q: want table, csv or json", *format)
		}
		return scoreTable(ctx, e, table, *modelDir, *format, *top)
	}
	if !(*driftWarn >= 0) || !(*driftMissing >= 0 && *driftMissing <= 1) {
		return usageError(fs, "--drift-warn %v, --drift-missing %v: want a PSI of 0 or more and a share in [0, 1] (0: off)", *driftWarn, *driftMissing)
	}
	if *db != "" && !*record {
		return usageError(fs, "--db names where --record stores the scores: add --record")
	}
	if err := required(fs, "snapshots", "model"); err != nil {
		return err
	}
	if *renewal < 0 {
		return usageError(fs, "--renewal-within %d: want a number of days, 0 or more (0: all)", *renewal)
	}
	if *top < 0 {
		return usageError(fs, "--top %d: want a number of accounts, 0 or more (0: all)", *top)
	}
	q := ranking.Query{Segment: *segment, PlaySegment: *playSegment, RenewalWithinDays: *renewal, Limit: *top, Sort: *sort}
	if err := q.Check(); err != nil {
		return usageError(fs, "--sort: %v", err)
	}
	var part features.Partition
	if *partition != "" {
		p, err := features.ParsePartition(*partition)
		if err != nil {
			return usageError(fs, "--partition: %v", err)
		}
		if *record {
			return usageError(fs, "--record replaces the scores of the week whole: record the whole book, not --partition %s", p)
		}
		part = p
	}
	if *out != "" && !isSet(fs, "format") {
		switch ext := strings.ToLower(filepath.Ext(*out)); ext {
		case ".parquet", ".csv", ".json":
			*format = ext[1:]
		default:
			return usageError(fs, "--out %s: give --format (table, csv, json or parquet): the extension %q names none", *out, ext)
		}
	}
	var crmCols crm.Columns
	if *format == "crm" {
		var err error
		if crmCols, err = crm.Lookup(*crmName); err != nil {
			return usageError(fs, "--format crm --crm %q: want one of %s", *crmName, strings.Join(crm.Names(), ", "))
		}
	} else if *crmName != "" {
		return usageError(fs, "--crm is for --format crm")
	}
	switch *format {
	case "table", "csv", "json", "crm":
	case "parquet":
		if *out == "" {
			return usageError(fs, "--format parquet writes a file: give --out FILE")
		}
	default:
		return usageError(fs, "--format %q: want table, csv, json, parquet or crm", *format)
	}
	var segs *plays.Segments
	if *segFile != "" {
		if isSet(fs, "red") || isSet(fs, "yellow") {
			return usageError(fs, "--red and --yellow set the model's cut-offs, --segments each segment's: set them by hand in the segment file's health")
		}
		var err error
		if segs, err = plays.Read(*segFile); err != nil {
			return err
		}
		if *playSegment != "" && !slices.Contains(segs.Names(), *playSegment) {
			return usageError(fs, "--play-segment %q: %s has the segments %s", *playSegment, *segFile, strings.Join(segs.Names(), ", "))
		}
	} else if *playSegment != "" {
		return usageError(fs, "--play-segment needs --segments FILE")
	}
	var ladder *maturity.Ladder
	if *ladderFile != "" {
		if *format != "table" && *format != "csv" {
			return usageError(fs, "--maturity adds columns to the table and CSV formats, not %s", *format)
		}
		var err error
		if ladder, err = maturity.ReadLadder(*ladderFile); err != nil {
			return err
		}
	}
	a, err := models.Load(*modelDir)
	if err != nil {
		return err
	}
	if a.Spec.Table != nil {
		return fmt.Errorf("%s was trained on a customer table: score one with --table FILE", *modelDir)
	}
	if q.Sort == ranking.ByBeforeRenewal && a.Hazard == nil {
		return usageError(fs, "--sort %s: %s has no survival curves; train it with churn train --survival", q.Sort, *modelDir)
	}
	if *segment != "" && !slices.Contains(a.Spec.Segments, *segment) {
		// A segment the model does not know matches no account: an empty
		// list would read as "no one at risk".
		if len(a.Spec.Segments) == 0 {
			return usageError(fs, "--segment %q: the model was trained without segments", *segment)
		}
		return usageError(fs, "--segment %q: the model knows the segments %s", *segment, strings.Join(a.Spec.Segments, ", "))
	}
	h, err := health(a.Health, *red, *yellow)
	if err != nil {
		return err
	}
	a.Health = h
	if err := segs.Check(a); err != nil {
		// Before the snapshots are read, which can take minutes.
		return fmt.Errorf("%s: %w", *segFile, err)
	}
	var col *retention.Collector
	if ladder != nil {
		// The indicators look back further than the rows scoring keeps,
		// and at columns it does not: the history is read in the same pass.
		col = retention.NewCollector(*snapshots)
	}
	// The table and the book grow together while the features are built
	// and scored: at Go's default the heap may double what is live.
	tightenGC(bookGC)
	book, tab, err := loadBook(ctx, e, *snapshots, *normalize, a, part, col)
	if err != nil {
		return err
	}
	var extra []column
	if col != nil {
		hist, err := col.History()
		if err != nil {
			return err
		}
		if err := ladder.CheckColumns(hist.Columns); err != nil {
			return fmt.Errorf("%s: %w", *ladderFile, err)
		}
		extra = maturityColumns(ladder, hist)
	}
	if a.Hazard != nil {
		extra = append(survivalColumns(), extra...)
	}
	for _, u := range tab.UnknownSegments {
		fmt.Fprintf(e.stderr, "warning: %s: segment %q (%d accounts) is not one the model was trained on: "+
			"those accounts are scored with every segment indicator 0\n", *snapshots, u.Segment, u.Accounts)
	}
	if segs != nil {
		if err := plays.Apply(book, segs); err != nil {
			return fmt.Errorf("%s: %w", *segFile, err)
		}
	}
	if err := warnDrift(e.stderr, *modelDir, book, *driftWarn, *driftMissing); err != nil {
		return err
	}
	if *record {
		// Every scored account is recorded, whatever the filters show.
		if err := recordBook(ctx, e.stderr, *db, *modelDir, book); err != nil {
			return err
		}
	}
	extra = rankingColumns(book, extra)
	accounts := book.Rank(q)
	scoredAt := time.Now()
	write := func(w io.Writer) error {
		// A million accounts take a while to print: an interrupt stops it.
		w = &ctxWriter{ctx: ctx, w: w}
		switch *format {
		case "csv":
			if segs != nil {
				// The segment's columns close the file, as they close
				// its Parquet twin.
				return writeRankingCSV(w, accounts, append(slices.Clone(extra), segmentColumns()...)...)
			}
			return writeRankingCSV(w, accounts, extra...)
		case "json":
			return writeRankingJSON(w, book, accounts)
		case "parquet":
			return writeRankingParquet(w, book, accounts)
		case "crm":
			return crm.WriteCSV(w, crmCols, book, accounts, scoredAt)
		}
		return writeRankingTable(w, book, accounts, extra...)
	}
	if *out == "" {
		return write(e.stdout)
	}
	if err := publish.File(*out, write); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	if part.Count > 0 {
		fmt.Fprintf(e.stderr, "wrote %s: part %s, %d accounts\n", *out, part, len(accounts))
	} else {
		fmt.Fprintf(e.stderr, "wrote %s: %d accounts\n", *out, len(accounts))
	}
	return nil
}

// loadBook builds the features of a snapshot file for a's spec and the
// book of its active accounts in part (all for the zero Partition),
// scoring their weekly histories as the rows are built: memory then grows
// with the accounts, not with the weeks of history the file holds (see
// ranking.Load). The table it returns keeps each account's latest row.
//
// col, when not nil, collects the retention history in the same pass.
func loadBook(ctx context.Context, e *env, path string, normalizeWeeks bool, a *models.Artifact, part features.Partition,
	col *retention.Collector) (*ranking.Book, *features.Table, error) {
	e.progress.begin("reading " + path + ", building features and scoring")
	defer e.progress.end()
	opt := features.BuildOptions{
		Progress:  func(rows int) { e.progress.update("%d rows", rows) },
		Partition: part,
	}
	if col != nil {
		opt.Observe = col.Observe
	}
	return ranking.Load(ctx, a, snapshotSource(e, path, normalizeWeeks), opt)
}

// maturityColumns are churn score --maturity's columns: each account's
// maturity level at its scored week and the indicators it lacks for the
// next ("-" at the top level), placed by the ladder on the history.
func maturityColumns(l *maturity.Ladder, hist *retention.History) []column {
	type placed struct {
		level int
		next  string
	}
	cache := map[*ranking.Account]placed{}
	place := func(a *ranking.Account) placed {
		if p, ok := cache[a]; ok {
			return p
		}
		p := placed{next: "-"}
		level, lacks, found := l.PlaceAt(hist, a.AccountID, a.Week)
		if found {
			p.level = level
			var ds []string
			for _, ind := range lacks {
				ds = append(ds, ind.String())
			}
			if len(ds) > 0 {
				p.next = "next: " + strings.Join(ds, "; ")
			}
		}
		cache[a] = p
		return p
	}
	return []column{
		{"maturity_level", func(a *ranking.Account) string {
			if p := place(a); p.level > 0 {
				return strconv.Itoa(p.level)
			}
			return ""
		}},
		{"maturity_next", func(a *ranking.Account) string { return place(a).next }},
	}
}

// health applies --red and --yellow over the model's cut-offs.
func health(h models.Health, red, yellow float64) (models.Health, error) {
	if red == 0 && yellow == 0 {
		return h, nil
	}
	if red != 0 {
		h.Red = red
	}
	if yellow != 0 {
		h.Yellow = yellow
	}
	if !(0 < h.Yellow && h.Yellow < h.Red && h.Red <= 1) {
		return h, fmt.Errorf("health cut-offs yellow %g and red %g: want 0 < yellow < red <= 1", h.Yellow, h.Red)
	}
	h.Rule = "set on the command line"
	return h, nil
}

// warnDrift writes to w a warning naming the variables of book's week that
// drifted from the training weeks: a PSI above warn, or a share of missing
// values up by more than missing. A threshold of 0 turns its check off.
func warnDrift(w io.Writer, modelDir string, book *ranking.Book, warn, missing float64) error {
	if warn == 0 && missing == 0 {
		return nil
	}
	if book.Model.Drift == nil {
		fmt.Fprintf(w, "note: %s has no training distribution (trained before churn recorded one): drift not checked; retrain to check it\n", modelDir)
		return nil
	}
	drifts, err := book.Drift()
	if err != nil {
		return fmt.Errorf("drift of week %s: %w", book.AsOf, err)
	}
	var parts []string
	for _, d := range models.Drifted(drifts, warn) {
		parts = append(parts, fmt.Sprintf("%s (PSI %.2f, %s)", d.Name, d.PSI, psiLevel(d.PSI)))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "warning: week %s drifted from the training weeks (PSI above --drift-warn %g): %s\n",
			book.AsOf, warn, strings.Join(parts, ", "))
	}
	parts = parts[:0]
	if missing > 0 {
		for _, d := range drifts {
			if d.MissingChange() > missing {
				parts = append(parts, fmt.Sprintf("%s (%.0f%% -> %.0f%%)", d.Name, 100*d.TrainMissing, 100*d.Missing))
			}
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "warning: week %s has more missing values than the training weeks (up by more than --drift-missing %g): %s\n",
			book.AsOf, missing, strings.Join(parts, ", "))
	}
	return nil
}

// psiLevel names a PSI by the usual conventions.
func psiLevel(psi float64) string {
	switch {
	case psi > 0.25:
		return "major"
	case psi >= 0.1:
		return "moderate"
	}
	return "stable"
}
