package serve

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/churnlabs/churn/features"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/lifecycle"
	"github.com/churnlabs/churn/models/ranking"
)

// ShadowSource is a registry's shadow, as a server following it needs it
// (models/registry.Registry is one).
type ShadowSource interface {
	// ShadowVersion reads which version is the shadow ("" for none) and
	// a number that identifies the change that set it. It is polled, so
	// it must be cheap.
	ShadowVersion() (version string, change int64, err error)
	// ShadowDir returns the shadow's version and model folder, "" and ""
	// when there is none.
	ShadowDir() (version, dir string, err error)
}

// shadowState is the shadow model of a state and its book of the same
// accounts and week as the champion's. Requests never read it: it is
// only recorded.
type shadowState struct {
	model *models.Artifact
	book  *ranking.Book
}

// shadowSeen is what a load read of Config.Shadow, so that the follower
// reloads only when it changes: also when the shadow it named failed to
// load, which is not retried on every poll.
type shadowSeen struct {
	version string
	change  int64
}

// loadShadow builds the shadow's book beside the champion a, whose book
// is of the snapshots tab: the same accounts and week, scored by the
// shadow. It never fails the load: a shadow that cannot be read or scored
// is logged and counted in churn_shadow_failures_total, and the champion
// serves alone. It returns nil without a shadow.
func (s *Server) loadShadow(ctx context.Context, a *models.Artifact, tab *features.Table) (*shadowState, shadowSeen) {
	var seen shadowSeen
	dir := s.cfg.ShadowDir
	if s.cfg.Shadow != nil {
		var err error
		if seen.version, seen.change, err = s.cfg.Shadow.ShadowVersion(); err == nil && seen.version != "" {
			_, dir, err = s.cfg.Shadow.ShadowDir()
		}
		if err != nil {
			s.shadowFailed("cannot read the shadow; serving the champion alone", seen.version, err)
			return nil, seen
		}
	}
	if dir == "" {
		return nil, seen
	}
	sh, err := s.scoreShadow(ctx, dir, a, tab)
	if err != nil {
		s.shadowFailed("shadow not scored; serving the champion alone", seen.version, err)
		return nil, seen
	}
	if sh != nil {
		s.log.Info("shadow scored", "shadow_version", sh.model.Version, "model_version", a.Version,
			"accounts", len(sh.book.Accounts), "as_of", sh.book.AsOf.String())
	}
	return sh, seen
}

// scoreShadow loads the model in dir and scores tab's accounts with it,
// building the snapshots' features again when its columns differ from
// the champion's. A shadow that is the champion is nil: there is nothing
// to compare.
func (s *Server) scoreShadow(ctx context.Context, dir string, champion *models.Artifact, tab *features.Table) (*shadowState, error) {
	a, err := models.Load(dir)
	if err != nil {
		return nil, err
	}
	switch {
	case a.Version == champion.Version:
		s.log.Debug("the shadow is the champion: nothing to shadow", "model_version", a.Version)
		return nil, nil
	case a.Spec.Table != nil:
		return nil, fmt.Errorf("shadow %s was trained on a customer table: only a model of snapshots can shadow", dir)
	}
	// The shadow's records are its latest scores: the champion's table,
	// one row an account, serves when the features are the same.
	var book *ranking.Book
	if slices.Equal(tab.Spec.Names(), a.Features) {
		book, err = ranking.Build(ctx, a, tab)
	} else {
		book, _, err = ranking.Load(ctx, a, s.cfg.Snapshots, features.BuildOptions{})
	}
	if err != nil {
		return nil, fmt.Errorf("shadow %s: score snapshots %s: %w", dir, s.cfg.Snapshots.Name, err)
	}
	return &shadowState{model: a, book: book}, nil
}

// shadowFailed logs and counts a shadow that could not be loaded.
func (s *Server) shadowFailed(msg, version string, err error) {
	s.metrics.shadowFailures.WithLabelValues("load").Inc()
	s.log.Error(msg, "shadow_version", version, "err", err)
}

// shadowRecords returns the shadow's scores as records marked Shadow.
func shadowRecords(sh *shadowState) []lifecycle.ScoreRecord {
	recs := lifecycle.Records(sh.book)
	for i := range recs {
		recs[i].Shadow = true
	}
	return recs
}

// ShadowVersion returns the version of the shadow being scored beside
// the served model, "" for none.
func (s *Server) ShadowVersion() string {
	if sh := s.state.Load().shadow; sh != nil {
		return sh.model.Version
	}
	return ""
}

// Ticker makes the ticks of a periodic task and its stop; Config.Tick
// takes one so that a test can drive the task with ticks of its own.
type Ticker func(d time.Duration) (ticks <-chan time.Time, stop func())

// realTicker is time.NewTicker's.
func realTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// DefaultRecordEvery is how often "churn serve" records the week's
// scores anew: weekly, as snapshots come.
const DefaultRecordEvery = 7 * 24 * time.Hour

// RecordPeriodically reloads every Config.RecordEvery until ctx ends:
// the snapshots are read again, the model (and shadow) too, and the
// book is recorded, champion and shadow, as every load is. A server that
// runs for weeks so records each week's scores without a reload from
// outside. Recording replaces each model version's latest week, so a
// tick in a week already recorded stores it once, anew. A rejected
// reload is logged by Reload and the previous model keeps serving.
// Without a score history, or with RecordEvery 0, it returns at once.
func (s *Server) RecordPeriodically(ctx context.Context) {
	if s.cfg.Scores == nil || s.cfg.RecordEvery <= 0 {
		return
	}
	ticks, stop := s.cfg.Tick(s.cfg.RecordEvery)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
		s.log.Info("periodic recording: reloading the snapshots", "every", s.cfg.RecordEvery)
		if err := s.Reload(ctx); err != nil && ctx.Err() != nil {
			return
		}
	}
}
