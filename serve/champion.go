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

// FollowChampion looks at Config.Champion and Config.Shadow every
// interval until ctx ends and reloads when the champion is not the
// version being served, or the shadow changed, through the same
// coalesced reload as Reload: requests in flight finish on the old
// model, and none fails. A champion that cannot be read, or a version
// whose reload was rejected, is logged once and the current model keeps
// serving; the version is tried again once promoted again (or on an
// explicit Reload). A shadow that cannot be read or loaded fails no
// reload (loadShadow logs it), and is tried again once changed. Without
// either to follow it returns at once.
func (s *Server) FollowChampion(ctx context.Context, interval time.Duration) {
	if s.cfg.Champion == nil && s.cfg.Shadow == nil {
		return
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var lastErr string
	// rejected is what the pointers said when a reload failed.
	type pointers struct {
		promotion int64
		shadow    shadowSeen
	}
	rejected := pointers{promotion: -1, shadow: shadowSeen{change: -1}}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		st := s.state.Load()
		now := pointers{shadow: st.shadowSeen}
		changed := ""
		if s.cfg.Champion != nil {
			v, promotion, err := s.cfg.Champion.ChampionVersion()
			if err != nil {
				if err.Error() != lastErr {
					s.log.Error("cannot read the champion; still serving the current model",
						"model_version", st.model.Version, "err", err)
					lastErr = err.Error()
				}
				continue
			}
			lastErr = ""
			now.promotion = promotion
			if v != st.model.Version {
				changed = "the champion changed: reloading"
			}
		}
		if s.cfg.Shadow != nil {
			// An unreadable pointer is loadShadow's to report, on the
			// next reload for another cause.
			if v, change, err := s.cfg.Shadow.ShadowVersion(); err == nil {
				now.shadow = shadowSeen{version: v, change: change}
				if now.shadow != st.shadowSeen && changed == "" {
					changed = "the shadow changed: reloading"
				}
			}
		}
		if changed == "" || now == rejected {
			continue
		}
		s.log.Info(changed, "model_version", st.model.Version, "shadow_version", s.ShadowVersion())
		if err := s.Reload(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			rejected = now // reloadNow has logged why
			continue
		}
		rejected = pointers{promotion: -1, shadow: shadowSeen{change: -1}}
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
