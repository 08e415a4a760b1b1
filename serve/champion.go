package serve

import (
	"context"
	"time"
)

// Champion is a registry's champion, as a server following it needs it
// (models/registry.Registry is one).
type Champion interface {
	// ChampionVersion reads which version is the champion, and a number
	// that identifies its promotion: promoting the same version again
	// gives a new one. It is polled, so it must be cheap: a small file,
	// not the model.
	ChampionVersion() (version string, promotion int64, err error)
	// ChampionDir returns the champion's version and model folder.
	ChampionDir() (version, dir string, err error)
}

// DefaultPoll is how often "churn serve --registry" looks at the
// champion: a promotion is served within about this long.
const DefaultPoll = 2 * time.Second

// FollowChampion looks at Config.Champion every interval until ctx ends
// and reloads when the champion is not the version being served, through
// the same coalesced reload as Reload: requests in flight finish on the
// old model, and none fails. A champion that cannot be read, or a version
// whose reload was rejected, is logged once and the current model keeps
// serving; the version is tried again once promoted again (or on an
// explicit Reload). Without Config.Champion it returns at once.
func (s *Server) FollowChampion(ctx context.Context, interval time.Duration) {
	if s.cfg.Champion == nil {
		return
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var lastErr string
	rejected := int64(-1) // the promotion whose reload failed
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		v, promotion, err := s.cfg.Champion.ChampionVersion()
		if err != nil {
			if err.Error() != lastErr {
				s.log.Error("cannot read the champion; still serving the current model",
					"model_version", s.ModelVersion(), "err", err)
				lastErr = err.Error()
			}
			continue
		}
		lastErr = ""
		if v == s.ModelVersion() || promotion == rejected {
			continue
		}
		s.log.Info("the champion changed: reloading", "champion", v, "model_version", s.ModelVersion())
		if err := s.Reload(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			rejected = promotion // reloadNow has logged why
			continue
		}
		rejected = -1
	}
}

// modelDir names the model folder being served, for messages.
func (s *Server) modelDir() string {
	if s.cfg.Champion != nil {
		if _, dir, err := s.cfg.Champion.ChampionDir(); err == nil {
			return dir
		}
		return "the registry's champion"
	}
	return s.cfg.ModelDir
}
