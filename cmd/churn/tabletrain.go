package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/features/events"
	"github.com/churnlabs/churn/features/publish"
	"github.com/churnlabs/churn/models"
)

// tableFlags are train's flags for a static customer table.
type tableFlags struct {
	path, label, id, drop, time string
	folds                       int
	// groups are --signal-groups, for the model's spec.
	groups map[string]string
}

// readCustomers reads a customer table, CSV (delimiter guessed, .gz too)
// or Parquet.
func readCustomers(ctx context.Context, e *env, path string) (*features.Customers, error) {
	e.progress.begin("reading " + path)
	defer e.progress.end()
	r, err := events.OpenPath(path, "")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer r.Close()
	return features.ReadCustomers(ctx, r)
}

// trainTable fits every kind on a customer table with cross-validation
// and writes the chosen model into dir, as train does for snapshots.
func trainTable(ctx context.Context, e *env, tf tableFlags, kinds []string, p models.Params, seed uint64, noPlots bool, out string, dir *publish.Dir) error {
	c, err := readCustomers(ctx, e, tf.path)
	if err != nil {
		return err
	}
	var drop []string
	for _, d := range strings.Split(tf.drop, ",") {
		if d = strings.TrimSpace(d); d != "" {
			drop = append(drop, d)
		}
	}
	t, warnings, err := features.InferTable(c, features.TableOptions{Label: tf.label, ID: tf.id, Drop: drop, Time: tf.time})
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "warning: %s: %s\n", tf.path, w)
	}
	ds, _, err := features.EncodeTable(c, t, true)
	if err != nil {
		return err
	}
	spec := features.Spec{Table: t, SignalGroups: tf.groups}
	if err := spec.CheckSignalGroups(); err != nil {
		return fmt.Errorf("--signal-groups: %w", err)
	}
	var res *models.Result
	var sp *features.Split
	if tf.time != "" {
		// Out of time, as for snapshots: the latest rows validate the
		// model fitted on the earlier ones, which is the model saved.
		if sp, err = features.SplitTableByTime(c, ds, tf.time, features.DefaultValidShare); err != nil {
			return err
		}
		res, err = models.Train(ctx, sp, spec, models.TrainOptions{Kinds: kinds, Params: models.TableParams(p),
			Progress: fitProgress(e), Step: func(kind, step string) { e.progress.begin(step + " " + kind) }})
	} else {
		res, err = models.TrainCV(ctx, ds, spec, models.CVOptions{Kinds: kinds, Params: p, Folds: tf.folds, Seed: seed,
			Step: func(kind, step string) { e.progress.begin(step + " " + kind) }})
	}
	e.progress.end()
	if err != nil {
		return fmt.Errorf("%s: %w", tf.path, err)
	}
	e.progress.begin("writing " + out)
	defer e.progress.end()
	if err := saveModels(dir.Path(), res); err != nil {
		return err
	}
	if !noPlots {
		if err := ctx.Err(); err != nil {
			return err
		}
		// The probabilities are out of fold for every row, or of the
		// latest rows when the split is out of time.
		labels := ds.Label
		if sp != nil {
			labels = sp.Valid.Label
		}
		if err := writePlots(dir.Path(), labels, res); err != nil {
			return err
		}
	}
	if err := commit(ctx, dir); err != nil {
		return err
	}
	e.progress.end()
	if sp != nil {
		fmt.Fprintf(e.stdout, "trained on %d customers (%s to %s by %s), validated out of time on the latest %d (%s to %s); %d columns as %d features\n",
			sp.TrainStats.Rows, sp.TrainStats.First, sp.TrainStats.Last, tf.time, sp.ValidStats.Rows,
			sp.ValidStats.First, sp.ValidStats.Last, len(t.Columns), len(ds.Features))
	} else {
		fmt.Fprintf(e.stdout, "trained on %d customers (%d churned), %d columns as %d features; %s\n",
			ds.Len(), res.Report.Train.Positives, len(t.Columns), len(ds.Features), res.Report.Validation)
	}
	if err := res.Report.WriteTable(e.stdout); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s (version %s) and %s\n",
		filepath.Join(out, models.ModelFile), res.Chosen.Version, filepath.Join(out, models.MetricsFile))
	return nil
}
