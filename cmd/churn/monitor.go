package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"text/tabwriter"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/lifecycle/monitor"
	"github.com/churnlabs/churn/models/lifecycle/sqlstore"
	"github.com/churnlabs/churn/models/registry"
)

func runMonitor(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "monitor", "--snapshots FILE (--model DIR | --registry DIR | --db URL|FILE) [flags]",
		`Checks the recorded scores (churn score --record, churn serve) against what
happened. For every recorded week whose label has matured (the snapshots
reach the horizon after it), the scores given then are compared with who
churned within the horizon, by the rule training labels with; accounts whose
outcome the snapshots cannot tell yet (censored) are left out. Per model
version, and per segment: ROC AUC with DeLong's confidence interval, PR-AUC
(average precision), the observed churn rate beside the mean score, the churn
rate and lift of the top tenth by score, and (json) calibration by decile,
rates with Wilson intervals.

The store is --db, else churn.db beside --model's folder or in --registry.
The horizon is --horizon, else that of --model or of the registry's
champion, else 12 weeks.`)
	snapshots := fs.String("snapshots", "", "snapshot file (.parquet or .csv) reaching past the recorded weeks")
	modelDir := fs.String("model", "", "model directory: the default store beside it and the default horizon")
	regDir := fs.String("registry", "", "registry directory: its store and its champion's horizon")
	db := dbFlag(fs, "the score history")
	horizon := fs.Int("horizon", 0, "label horizon in weeks (default: the model's)")
	format := fs.String("format", "table", "output format: table or json")
	normalize := weeksFlag(fs)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if err := required(fs, "snapshots"); err != nil {
		return err
	}
	if *modelDir != "" && *regDir != "" {
		return usageError(fs, "give at most one of --model and --registry")
	}
	if *modelDir == "" && *regDir == "" && *db == "" {
		return usageError(fs, "name the score history: --db, --model or --registry")
	}
	if isSet(fs, "horizon") && *horizon < 1 {
		return usageError(fs, "--horizon %d: want at least 1 week", *horizon)
	}
	if *format != "table" && *format != "json" {
		return usageError(fs, "--format %q: want table or json", *format)
	}
	addr := *db
	switch {
	case addr != "":
	case *modelDir != "":
		addr = registry.DefaultDB(*modelDir)
	default:
		addr = filepath.Join(*regDir, lifecycle.DefaultDBName)
	}
	store, err := sqlstore.Open(ctx, addr)
	if err != nil {
		return fmt.Errorf("--db: %w", err)
	}
	defer store.Close()
	h := *horizon
	var horizons map[string]int
	if h == 0 {
		var from string
		if h, from, err = defaultHorizon(store, *modelDir, *regDir); err != nil {
			return err
		}
		if horizons, err = versionHorizons(ctx, store, *modelDir, h); err != nil {
			return err
		}
		if len(horizons) > 0 {
			from += "; the versions trained for another judged over their own"
		}
		// Say which horizon labels, as a wrong one changes every figure.
		fmt.Fprintf(e.stderr, "churn monitor: horizon %d weeks, %s (--horizon sets one for all)\n", h, from)
	}
	tab, err := buildTable(ctx, e, *snapshots, *normalize, nil)
	if err != nil {
		return err
	}
	if !tab.HasChurned {
		return fmt.Errorf("%s: no churned column: outcomes cannot be told", *snapshots)
	}
	rep, err := monitor.Run(ctx, store, monitor.Fates(tab), monitor.Options{Horizon: h, Horizons: horizons, AsOf: tab.Last})
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeMonitorJSON(e.stdout, rep)
	}
	return writeMonitorTable(e.stdout, rep, store.String())
}

// defaultHorizon is the horizon of the model at modelDir, or of the
// registry's champion, or features.DefaultHorizon without either, and
// where it came from.
func defaultHorizon(store *sqlstore.Store, modelDir, regDir string) (int, string, error) {
	dir := modelDir
	if regDir != "" {
		_, d, err := registry.Open(regDir, store).ChampionDir()
		switch {
		case errors.Is(err, registry.ErrNoChampion):
			return features.DefaultHorizon, "the default: the registry has no champion", nil
		case err != nil:
			return 0, "", fmt.Errorf("--registry %s: %w (give --horizon)", regDir, err)
		}
		dir = d
	}
	if dir == "" {
		return features.DefaultHorizon, "the default", nil
	}
	a, err := models.Load(dir)
	if err != nil {
		return 0, "", err
	}
	if a.Horizon < 1 {
		return 0, "", fmt.Errorf("%s has no label horizon (a customer-table model): give --horizon", dir)
	}
	return a.Horizon, "model " + a.Version + "'s", nil
}

// versionHorizons returns the horizons of the model versions the store
// knows (a registry records each version's with it) and of the model at
// modelDir, where they differ from h: each version is judged over the
// horizon it was trained for, so that its realized AUC compares with its
// validation AUC after a retrain changed the horizon.
func versionHorizons(ctx context.Context, store *sqlstore.Store, modelDir string, h int) (map[string]int, error) {
	versions, err := store.ModelVersions(ctx)
	if err != nil {
		return nil, err
	}
	horizons := monitor.VersionHorizons(versions, h)
	if modelDir != "" {
		a, err := models.Load(modelDir)
		if err != nil {
			return nil, err
		}
		delete(horizons, a.Version) // h is its own
	}
	return horizons, nil
}

// writeMonitorJSON writes rep indented; monitor.Report writes NaN as
// null.
func writeMonitorJSON(w io.Writer, rep *monitor.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeMonitorTable prints one line per model version and segment, then
// each version's calibration by decile.
func writeMonitorTable(w io.Writer, rep *monitor.Report, store string) error {
	pct := rep.Confidence * 100
	fmt.Fprintf(w, "Realized outcomes in %s: horizon %d weeks (each version's in HORIZON), snapshots to %s\n", store, rep.Horizon, rep.AsOf)
	fmt.Fprintf(w, "%d matured weeks", len(rep.Matured))
	if len(rep.Matured) > 0 {
		fmt.Fprintf(w, " (%s to %s)", rep.Matured[0], rep.Matured[len(rep.Matured)-1])
	}
	fmt.Fprintf(w, "; %d recorded weeks not matured yet", len(rep.Immature))
	fmt.Fprintf(w, "; %d censored scores and %d of accounts not in the snapshots left out\n", rep.Censored, rep.Unknown)
	if len(rep.Groups) == 0 {
		fmt.Fprintln(w, "nothing to compare yet: no recorded week has matured")
		return nil
	}
	fmt.Fprintf(w, "intervals: %g%%; ROC AUC by DeLong, PR-AUC by logit (Boyd et al. 2013), rates by Wilson\n\n", pct)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tHORIZON\tSEGMENT\tWEEKS\tROWS\tCHURNED\tMEAN SCORE\tROC AUC\tPR-AUC\tTOP 10% CHURNED\tLIFT")
	for _, g := range rep.Groups {
		seg := g.Segment
		if seg == "" {
			seg = "(all)"
		}
		fmt.Fprintf(tw, "%s\t%dw\t%s\t%d\t%d\t%s\t%.1f%%\t%s\t%s\t%s\t%s\n", g.ModelVersion, g.Horizon, seg, g.Weeks, g.Rows,
			ratePct(g.ChurnRate), 100*g.MeanPredicted, auc(g.AUC), auc(g.PRAUC), ratePct(g.TopDecile.Rate), fixed(g.TopDecile.Lift))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := writeShadowTable(w, rep); err != nil {
		return err
	}
	for _, g := range rep.Groups {
		if g.Segment != "" {
			continue
		}
		fmt.Fprintf(w, "\nCalibration of %s by decile (mean score vs churned)\n", g.ModelVersion)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DECILE\tROWS\tMEAN SCORE\tCHURNED")
		for i, d := range g.Deciles {
			fmt.Fprintf(tw, "%d\t%d\t%.1f%%\t%s\n", i+1, d.Rows, 100*d.MeanPredicted, ratePct(d.Observed))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// writeShadowTable prints each shadow against the model shown beside it,
// on the account-weeks both scored: the answer to "is the challenger
// better on live traffic?".
func writeShadowTable(w io.Writer, rep *monitor.Report) error {
	if len(rep.Shadows) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nShadows against the model shown, on the account-weeks both scored (DeLong's paired test, %g%% interval)\n", rep.Confidence*100)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHAMPION\tCHALLENGER\tWEEKS\tROWS\tCHURNED\tCHAMPION AUC\tCHALLENGER AUC\tDIFFERENCE\tP\tVERDICT")
	for _, c := range rep.Shadows {
		diff, p := "-", "-"
		if !math.IsNaN(c.Difference.Estimate) {
			diff = fmt.Sprintf("%+.3f [%+.3f, %+.3f]", c.Difference.Estimate, c.Difference.Lower, c.Difference.Upper)
			p = fmt.Sprintf("%.3g", c.P)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", c.Champion, c.Challenger, c.Weeks, c.Rows, c.Positives,
			fixed3(c.ChampionAUC), fixed3(c.ChallengerAUC), diff, p, c.Verdict)
	}
	return tw.Flush()
}

func fixed3(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.3f", x)
}

func ratePct(i monitor.Interval) string {
	if math.IsNaN(i.Estimate) {
		return "-"
	}
	return fmt.Sprintf("%.1f%% [%.1f, %.1f]", 100*i.Estimate, 100*i.Lower, 100*i.Upper)
}

func auc(i monitor.Interval) string {
	if math.IsNaN(i.Estimate) {
		return "- (one class)"
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", i.Estimate, i.Lower, i.Upper)
}

func fixed(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "-"
	}
	return fmt.Sprintf("%.2f", x)
}
