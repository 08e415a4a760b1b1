package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"slices"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/registry"
)

// trainRegistry is what "churn train --registry" does after fitting:
// register the new model and, with --challenge, promote it if it beats
// the champion. Everything that can fail is checked by openTrainRegistry,
// before the fitting.
type trainRegistry struct {
	reg   *registry.Registry
	close func()
	user  string
	// challenge is set by --challenge; champion is then the champion to
	// beat, nil when there is none yet.
	challenge bool
	champion  *models.Artifact
	// championFit is the champion's validated fit (models.LoadValidated):
	// itself, or its first fit when it was refitted.
	championFit *models.Artifact
	level       float64
	reason      string
	// shadow, set by --shadow, makes a challenger that is not promoted
	// the shadow.
	shadow bool
}

func openTrainRegistry(ctx context.Context, dir, db string, challenge, shadow bool, level float64, reason string) (*trainRegistry, error) {
	user, err := registry.User(os.Getenv, user.Current)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("registry %s: %w", dir, err)
	}
	reg, closeStore, err := openRegistry(ctx, dir, db)
	if err != nil {
		return nil, err
	}
	t := &trainRegistry{reg: reg, close: closeStore, user: user, challenge: challenge, level: level, reason: reason, shadow: shadow}
	if challenge {
		_, champDir, err := reg.ChampionDir()
		switch {
		case errors.Is(err, registry.ErrNoChampion):
		case err != nil:
			closeStore()
			return nil, fmt.Errorf("--challenge: %w", err)
		default:
			if t.champion, err = models.Load(champDir); err != nil {
				closeStore()
				return nil, fmt.Errorf("--challenge: %w", err)
			}
			if t.championFit, err = models.LoadValidated(champDir, t.champion); err != nil {
				closeStore()
				return nil, fmt.Errorf("--challenge: %w", err)
			}
		}
	}
	return t, nil
}

// finish registers the model written to modelDir and runs the challenge.
// valid are the new model's validation rows; rebuild, when not nil,
// builds the same rows with another model's feature spec, for a champion
// whose columns differ.
func (t *trainRegistry) finish(ctx context.Context, e *env, modelDir string, valid *features.Dataset,
	rebuild func(spec features.Spec) (*features.Dataset, error)) error {
	v, added, err := t.reg.Register(ctx, modelDir, t.user, "churn train")
	if err != nil {
		return err
	}
	state := "registered"
	if !added {
		state = "already registered"
	}
	fmt.Fprintf(e.stdout, "%s %s in %s\n", state, v.Version, t.reg.Dir())
	if !t.challenge {
		return nil
	}
	if t.champion == nil {
		reason := t.why("no champion to challenge: the first model becomes the champion")
		entry, err := t.reg.Promote(ctx, v.Version, t.user, reason)
		if err != nil {
			return err
		}
		printChange(e.stdout, entry)
		return nil
	}
	// The challenge is on the latest out-of-time weeks, which a refit has
	// seen: each side is scored by its validated fit, the first fit of a
	// refitted model, so neither is judged on weeks it was fitted on.
	challenger, err := models.LoadValidated(v.Dir, v.Model)
	if err != nil {
		return fmt.Errorf("--challenge: %w", err)
	}
	if challenger != v.Model || t.championFit != t.champion {
		fmt.Fprintf(e.stdout, "challenge between the validated fits: %s and %s, each fitted on weeks ending a horizon before its validation (the refits served saw the latest weeks)\n",
			fitName(v.Model), fitName(t.champion))
	}
	champRows := valid
	if !subset(t.champion.Features, valid.Features) {
		if rebuild == nil {
			return fmt.Errorf("--challenge: the champion %s uses features that the training set of --features lacks; challenge with --snapshots, which builds them", t.champion.Version)
		}
		if champRows, err = rebuild(t.champion.Spec); err != nil {
			return fmt.Errorf("--challenge: the champion's features: %w", err)
		}
	}
	verdict, err := registry.Challenge(t.championFit, challenger, champRows, valid, t.level)
	if err != nil {
		return err
	}
	if !verdict.Promote {
		fmt.Fprintf(e.stdout, "not promoted: %s\nthe champion is still %s\n", verdict.Why, t.champion.Version)
		if !t.shadow || v.Version == t.champion.Version {
			return nil
		}
		if sh, err := t.reg.Shadow(); err == nil && sh.Version == v.Version {
			fmt.Fprintf(e.stdout, "%s is the shadow already\n", v.Version)
			return nil
		}
		entry, err := t.reg.SetShadow(ctx, v.Version, t.user, t.why("not promoted, shadowed to compare on live traffic: "+verdict.Why))
		if err != nil {
			return fmt.Errorf("--shadow: %w", err)
		}
		printChange(e.stdout, entry)
		return nil
	}
	entry, err := t.reg.Promote(ctx, v.Version, t.user, t.why(verdict.Why))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s\n", verdict.Why)
	printChange(e.stdout, entry)
	return nil
}

// fitName names the fit of a that a challenge scores.
func fitName(a *models.Artifact) string {
	if a.Refit != nil {
		return "the first fit of " + a.Version
	}
	return a.Version
}

// why is the audit's reason for a promotion by --challenge: the user's
// --reason, if any, then what the challenge found.
func (t *trainRegistry) why(found string) string {
	if t.reason != "" {
		return t.reason + "; churn train --challenge: " + found
	}
	return "churn train --challenge: " + found
}

// subset reports whether every name in a is in b.
func subset(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}
