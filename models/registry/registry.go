package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/churnlabs/churn/features/publish"
	"github.com/churnlabs/churn/models"
	"github.com/churnlabs/churn/models/lifecycle"
)

// Names inside a registry folder.
const (
	versionsDir  = "versions"
	championFile = "champion.json"
	shadowFile   = "shadow.json"
	lockFile     = ".lock"
)

// Store is what the registry needs of the lifecycle store: to know the
// versions and to append to the audit. The store, not the registry,
// numbers and stamps the entries, and fills in Entry.Previous.
type Store interface {
	// RegisterModel records a version and appends a register entry. A
	// version known already is an error wrapping ErrExists.
	RegisterModel(ctx context.Context, v ModelVersion, user, reason string) (Entry, error)
	// SetChampion appends a promote or rollback entry.
	SetChampion(ctx context.Context, e Entry) (Entry, error)
	// SetShadow appends a shadow or unshadow entry.
	SetShadow(ctx context.Context, e Entry) (Entry, error)
	// Audit returns every entry, oldest first.
	Audit(ctx context.Context) ([]Entry, error)
}

// Registry is a registry folder and the store its audit goes to. It is
// safe for concurrent use, by goroutines and by processes.
type Registry struct {
	dir   string
	store Store
}

// Open returns the registry in dir, whose audit goes to store. The folder
// need not exist yet: Register creates it. A registry that is only read
// (Champion, ChampionDir, Versions: what a server needs) may have a nil
// store.
func Open(dir string, store Store) *Registry {
	return &Registry{dir: dir, store: store}
}

// Dir returns the registry's folder.
func (r *Registry) Dir() string { return r.dir }

func (r *Registry) path(elem ...string) string {
	return filepath.Join(append([]string{r.dir}, elem...)...)
}

// Version is a registered model.
type Version struct {
	// Version is the model's version, and its folder's name.
	Version string
	// Dir is the model folder.
	Dir string
	// Model is the loaded model.json; nil when Err is set.
	Model *models.Artifact
	// Registered is when the folder was registered (its model.json's
	// modification time).
	Registered time.Time
	// Champion is set on the version being served.
	Champion bool
	// Shadow is set on the version scored beside the champion.
	Shadow bool
	// Err says why the folder is not a usable model: missing, corrupt or
	// edited files. Such a version cannot be promoted.
	Err error
}

// Register copies the model folder src (as "churn train" wrote it) into
// the registry under its version and records it in the store with user
// and reason. A version registered before is kept as it is: its content
// is the same, since the version is the content's hash. added reports
// whether the version was new.
func (r *Registry) Register(ctx context.Context, src, user, reason string) (v Version, added bool, err error) {
	a, err := models.Load(src)
	if err != nil {
		return Version{}, false, fmt.Errorf("register %s: %w", src, err)
	}
	if err := checkName(a.Version); err != nil {
		return Version{}, false, fmt.Errorf("register %s: %w", src, err)
	}
	dst := r.path(versionsDir, a.Version)
	if _, err := models.Load(dst); err != nil {
		// Not there, or broken: (re)write it whole.
		d, err := publish.NewDir(dst, models.ModelFile)
		if err != nil {
			return Version{}, false, fmt.Errorf("register %s: %w", src, err)
		}
		defer d.Discard()
		if err := copyTree(ctx, src, d.Path()); err != nil {
			return Version{}, false, fmt.Errorf("register %s: %w", src, err)
		}
		if err := d.Commit(); err != nil {
			return Version{}, false, fmt.Errorf("register %s: %w", src, err)
		}
		added = true
	}
	recorded, err := r.record(ctx, a, dst, user, reason)
	if err != nil {
		return Version{}, false, fmt.Errorf("register %s: %w", src, err)
	}
	v, err = r.Version(a.Version)
	return v, added || recorded, err
}

// record registers a's version, kept in dir, with the store, unless the
// store knows it already; added reports whether it was new to it.
func (r *Registry) record(ctx context.Context, a *models.Artifact, dir, user, reason string) (added bool, err error) {
	details, err := json.Marshal(map[string]any{
		"train": a.Train, "valid": a.Valid, "horizon_weeks": a.Horizon,
		"data_fingerprint": a.Fingerprint, "valid_roc_auc": a.Metrics.ROCAUC,
	})
	if err != nil {
		return false, err
	}
	_, err = r.store.RegisterModel(ctx, ModelVersion{Version: a.Version, Path: dir, Learner: a.Kind, Details: details}, user, reason)
	switch {
	case errors.Is(err, ErrExists):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// copyTree copies the regular files and folders under src into dst,
// leaving out hidden names: temporaries of an interrupted write.
func copyTree(ctx context.Context, src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.Mkdir(target, 0o755)
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file", path)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		if err := out.Sync(); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// Versions lists the registered versions, oldest registration first. A
// folder that does not load is listed with its Err.
func (r *Registry) Versions() ([]Version, error) {
	entries, err := os.ReadDir(r.path(versionsDir))
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(r.dir); err != nil {
			return nil, fmt.Errorf("registry %s: %w", r.dir, err)
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", r.dir, err)
	}
	champ, _ := r.Champion()
	shadow, _ := r.Shadow()
	var vs []Version
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue // a staging folder, or not ours
		}
		v := r.load(e.Name())
		v.Champion = v.Version == champ.Version
		v.Shadow = v.Version == shadow.Version
		vs = append(vs, v)
	}
	slices.SortStableFunc(vs, func(a, b Version) int {
		if c := a.Registered.Compare(b.Registered); c != 0 {
			return c
		}
		return strings.Compare(a.Version, b.Version)
	})
	return vs, nil
}

// load reads the version folder named name.
func (r *Registry) load(name string) Version {
	v := Version{Version: name, Dir: r.path(versionsDir, name)}
	if fi, err := os.Stat(filepath.Join(v.Dir, models.ModelFile)); err == nil {
		v.Registered = fi.ModTime()
	}
	a, err := models.Load(v.Dir)
	switch {
	case err != nil:
		v.Err = err
	case a.Version != name:
		v.Err = fmt.Errorf("%s holds model version %s", v.Dir, a.Version)
	default:
		v.Model = a
	}
	return v
}

// Version returns the registered version named name, or the only one
// whose name starts with name, so a unique prefix of a version will do.
// A version that does not load is an error.
func (r *Registry) Version(name string) (Version, error) {
	v, err := r.find(name)
	if err != nil {
		return Version{}, err
	}
	if v.Err != nil {
		return Version{}, fmt.Errorf("registry %s: version %s: %w", r.dir, v.Version, v.Err)
	}
	if champ, err := r.Champion(); err == nil {
		v.Champion = champ.Version == v.Version
	}
	if shadow, err := r.Shadow(); err == nil {
		v.Shadow = shadow.Version == v.Version
	}
	return v, nil
}

func (r *Registry) find(name string) (Version, error) {
	if name == "" {
		return Version{}, errors.New("no version given")
	}
	if checkName(name) == nil {
		if _, err := os.Stat(r.path(versionsDir, name)); err == nil {
			return r.load(name), nil
		}
	}
	vs, err := r.Versions()
	if err != nil {
		return Version{}, err
	}
	var match []string
	for _, v := range vs {
		if strings.HasPrefix(v.Version, name) {
			match = append(match, v.Version)
		}
	}
	switch len(match) {
	case 0:
		return Version{}, fmt.Errorf("registry %s: no version %q (\"churn models list\" lists them)", r.dir, name)
	case 1:
		return r.load(match[0]), nil
	}
	return Version{}, fmt.Errorf("registry %s: %q names %d versions (%s): give more of it", r.dir, name, len(match), strings.Join(match, ", "))
}

// checkName refuses a version that cannot be a folder name of its own:
// versions are a kind and hex digits, and anything else, above all a
// path, did not come from models.Save.
func checkName(v string) error {
	if v == "" || v == "." || v == ".." || strings.HasPrefix(v, ".") ||
		strings.ContainsFunc(v, func(c rune) bool {
			return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')
		}) {
		return fmt.Errorf("model version %q is not a version churn train writes", v)
	}
	return nil
}

// Champion is the content of champion.json.
type Champion struct {
	// Version is the champion.
	Version string `json:"version"`
	// Earlier lists the champions before it, oldest first: a rollback
	// returns to the last of them and drops it.
	Earlier []string `json:"earlier"`
	// Stamp repeats the audit entry that made it champion, for whoever
	// reads the file.
	Stamp
}

// Stamp is the audit entry behind a pointer file (champion.json,
// shadow.json): who changed it, when, why, and the entry's number.
type Stamp struct {
	Action Action    `json:"action"`
	At     time.Time `json:"at"`
	User   string    `json:"user"`
	Reason string    `json:"reason"`
	Seq    int64     `json:"audit_seq"`
}

// stampOf is e's stamp.
func stampOf(e Entry) Stamp {
	return Stamp{Action: e.Action, At: e.At, User: e.User, Reason: e.Reason, Seq: e.Seq}
}

// Champion reads champion.json. Before any promotion it returns an error
// wrapping ErrNoChampion; a file that is not a champion pointer is an
// error naming it.
func (r *Registry) Champion() (Champion, error) {
	path := r.path(championFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Champion{}, fmt.Errorf("registry %s: %w (\"churn models promote\" promotes one)", r.dir, ErrNoChampion)
	}
	if err != nil {
		return Champion{}, fmt.Errorf("registry %s: %w", r.dir, err)
	}
	var c Champion
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Champion{}, fmt.Errorf("registry %s: %s is corrupt: %w", r.dir, path, err)
	}
	if err := checkName(c.Version); err != nil {
		return Champion{}, fmt.Errorf("registry %s: %s is corrupt: %w", r.dir, path, err)
	}
	for _, v := range c.Earlier {
		if err := checkName(v); err != nil {
			return Champion{}, fmt.Errorf("registry %s: %s is corrupt: earlier champion: %w", r.dir, path, err)
		}
	}
	return c, nil
}

// ChampionDir returns the champion's version and model folder, checking
// that the folder loads: what a server about to serve it needs.
func (r *Registry) ChampionDir() (version, dir string, err error) {
	c, err := r.Champion()
	if err != nil {
		return "", "", err
	}
	return r.loadDir("champion", c.Version)
}

// loadDir returns version's name and folder, checking that the folder
// loads; role names it in the error.
func (r *Registry) loadDir(role, version string) (string, string, error) {
	v := r.load(version)
	if v.Err != nil {
		return "", "", fmt.Errorf("registry %s: %s %s: %w", r.dir, role, version, v.Err)
	}
	return v.Version, v.Dir, nil
}

// Promote makes the version named name (or a unique prefix of it) the
// champion, recording user and reason in the audit first. The version
// must load, and must not be the champion already.
func (r *Registry) Promote(ctx context.Context, name, user, reason string) (Entry, error) {
	unlock, err := r.begin(ctx, "promote "+name, user, reason)
	if err != nil {
		return Entry{}, err
	}
	defer unlock()
	cur, err := r.Champion()
	if err != nil && !errors.Is(err, ErrNoChampion) {
		return Entry{}, fmt.Errorf("promote %s: %w (remove it to start the champion's history over)", name, err)
	}
	v, err := r.Version(name)
	if err != nil {
		return Entry{}, fmt.Errorf("promote: %w", err)
	}
	if v.Version == cur.Version {
		return Entry{}, fmt.Errorf("promote: %s is the champion already", v.Version)
	}
	// A version copied into the folder by hand, or a store that is new
	// (another --db), does not know the version yet: the audit records
	// its registration first.
	if _, err := r.record(ctx, v.Model, v.Dir, user, "registered on promotion"); err != nil {
		return Entry{}, fmt.Errorf("promote %s: %w", v.Version, err)
	}
	next := Champion{Version: v.Version, Earlier: cur.Earlier}
	if cur.Version != "" {
		next.Earlier = append(slices.Clone(cur.Earlier), cur.Version)
	}
	e, err := r.change(ctx, next, Entry{User: user, Action: Promote, Version: v.Version, Reason: reason})
	if err != nil {
		return e, err
	}
	// The shadow promoted is the champion now: it has no one left to be
	// compared with, so it stops being the shadow, on the record.
	if sh, err := r.Shadow(); err == nil && sh.Version == v.Version {
		if _, err := r.changeShadow(ctx, Shadow{}, Entry{User: user, Action: ShadowOff, Version: v.Version,
			Reason: "promoted to champion (audit entry " + fmt.Sprint(e.Seq) + ")"}); err != nil {
			return e, fmt.Errorf("promoted %s, but it is still the shadow: %w", v.Version, err)
		}
	}
	return e, nil
}

// Rollback makes the previous champion the champion again, recording
// user and reason in the audit first. Each rollback goes one champion
// further back.
func (r *Registry) Rollback(ctx context.Context, user, reason string) (Entry, error) {
	unlock, err := r.begin(ctx, "rollback", user, reason)
	if err != nil {
		return Entry{}, err
	}
	defer unlock()
	cur, err := r.Champion()
	if err != nil {
		return Entry{}, fmt.Errorf("rollback: %w", err)
	}
	if len(cur.Earlier) == 0 {
		return Entry{}, fmt.Errorf("rollback: registry %s: %s is the first champion; there is none before it", r.dir, cur.Version)
	}
	prev := cur.Earlier[len(cur.Earlier)-1]
	v := r.load(prev)
	if v.Err != nil {
		return Entry{}, fmt.Errorf("rollback to %s: %w", prev, v.Err)
	}
	if _, err := r.record(ctx, v.Model, v.Dir, user, "registered on rollback"); err != nil {
		return Entry{}, fmt.Errorf("rollback to %s: %w", prev, err)
	}
	next := Champion{Version: prev, Earlier: slices.Clone(cur.Earlier[:len(cur.Earlier)-1])}
	return r.change(ctx, next, Entry{User: user, Action: Rollback, Version: prev, Reason: reason})
}

// change appends e to the audit and then writes next as champion.json.
// The lock is held. The audit comes first: a champion that changed
// without its entry would be a hole in the audit, whereas an entry
// whose file write failed says so in the error, and the next promotion
// writes the file.
func (r *Registry) change(ctx context.Context, next Champion, e Entry) (Entry, error) {
	asked := e
	e, err := r.store.SetChampion(ctx, e)
	if err != nil {
		return Entry{}, fmt.Errorf("%s %s: not changed, the audit refused it: %w", asked.Action, asked.Version, err)
	}
	next.Stamp = stampOf(e)
	if err := writeJSON(r.path(championFile), next); err != nil {
		return e, fmt.Errorf("%s %s: audit entry %d records it, but the champion was not changed: %w", e.Action, e.Version, e.Seq, err)
	}
	return e, nil
}

// writeJSON replaces the file at path with v, indented, whole or not at
// all.
func writeJSON(path string, v any) error {
	return publish.File(path, func(w io.Writer) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	})
}

// begin starts a change of the registry's pointers: it refuses one the
// audit could not attribute or explain (what names the change in the
// error), then takes the lock, which the caller releases with unlock.
func (r *Registry) begin(ctx context.Context, what, user, reason string) (unlock func(), err error) {
	if err := checkWho(user, reason); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return r.lock(ctx)
}

// checkWho refuses a change of champion that the audit could not
// attribute or explain.
func checkWho(user, reason string) error {
	switch {
	case strings.TrimSpace(user) == "":
		return errors.New("no user to record: set CHURN_USER")
	case strings.TrimSpace(reason) == "":
		return errors.New("no reason to record: give --reason")
	}
	return nil
}

// Audit returns the store's audit, oldest entry first.
func (r *Registry) Audit(ctx context.Context) ([]Entry, error) {
	es, err := r.store.Audit(ctx)
	if err != nil {
		return nil, fmt.Errorf("registry %s: audit: %w", r.dir, err)
	}
	return es, nil
}

// User names who acts, for the audit: $CHURN_USER, which a deployment
// sets for a service account, else the login name ($USER, then
// $LOGNAME), else the name of the process's user id, which a container
// or a cron job has even when it sets no variable. getenv and current
// are os.Getenv and user.Current outside tests.
func User(getenv func(string) string, current func() (*user.User, error)) (string, error) {
	for _, k := range []string{"CHURN_USER", "USER", "LOGNAME"} {
		if u := strings.TrimSpace(getenv(k)); u != "" {
			return u, nil
		}
	}
	if u, err := current(); err == nil && strings.TrimSpace(u.Username) != "" {
		return strings.TrimSpace(u.Username), nil
	}
	return "", errors.New("no user to record in the audit: set CHURN_USER (or USER)")
}

// DefaultDB is the lifecycle store a model folder uses by default: the
// registry's own, REG/churn.db, for a version kept in a registry
// (REG/versions/VERSION), so that its scores, its audit and "churn
// monitor --registry REG" meet in one database; else the file beside the
// model folder (lifecycle.DefaultDB).
func DefaultDB(modelDir string) string {
	parent := filepath.Dir(filepath.Clean(modelDir))
	if filepath.Base(parent) == versionsDir {
		return filepath.Join(filepath.Dir(parent), lifecycle.DefaultDBName)
	}
	return lifecycle.DefaultDB(modelDir)
}

// ChampionVersion returns the champion's version from champion.json
// alone, without loading the model, cheap enough to poll, and the audit
// number of its promotion, which tells two promotions of one version
// apart.
func (r *Registry) ChampionVersion() (version string, promotion int64, err error) {
	c, err := r.Champion()
	return c.Version, c.Seq, err
}

// Shadow is the content of shadow.json: the version scored beside the
// champion, recorded but not shown, so that realized outcomes compare
// the two on live traffic.
type Shadow struct {
	// Version is the shadow; "" once cleared.
	Version string `json:"version"`
	// Stamp repeats the audit entry that set or cleared it.
	Stamp
}

// Shadow reads shadow.json: the zero Shadow when no shadow was ever set;
// a file that is not a shadow pointer is an error naming it.
func (r *Registry) Shadow() (Shadow, error) {
	path := r.path(shadowFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Shadow{}, nil
	}
	if err != nil {
		return Shadow{}, fmt.Errorf("registry %s: %w", r.dir, err)
	}
	var sh Shadow
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sh); err != nil {
		return Shadow{}, fmt.Errorf("registry %s: %s is corrupt: %w", r.dir, path, err)
	}
	if sh.Version != "" {
		if err := checkName(sh.Version); err != nil {
			return Shadow{}, fmt.Errorf("registry %s: %s is corrupt: %w", r.dir, path, err)
		}
	}
	return sh, nil
}

// ShadowVersion returns the shadow's version ("" for none) from
// shadow.json alone, cheap enough to poll, and the audit number of the
// entry that set it, which tells two settings of one version apart.
func (r *Registry) ShadowVersion() (version string, change int64, err error) {
	sh, err := r.Shadow()
	return sh.Version, sh.Seq, err
}

// ShadowDir returns the shadow's version and model folder, checking that
// the folder loads; "" and "" when there is no shadow.
func (r *Registry) ShadowDir() (version, dir string, err error) {
	sh, err := r.Shadow()
	if err != nil || sh.Version == "" {
		return "", "", err
	}
	return r.loadDir("shadow", sh.Version)
}

// SetShadow makes the version named name (or a unique prefix of it) the
// shadow, recording user and reason in the audit first. It replaces any
// shadow before it: a server scores one challenger at a time. The
// version must load, and be neither the champion nor the shadow already.
func (r *Registry) SetShadow(ctx context.Context, name, user, reason string) (Entry, error) {
	unlock, err := r.begin(ctx, "shadow "+name, user, reason)
	if err != nil {
		return Entry{}, err
	}
	defer unlock()
	cur, err := r.Shadow()
	if err != nil {
		return Entry{}, fmt.Errorf("shadow %s: %w (remove it to start over)", name, err)
	}
	v, err := r.Version(name)
	if err != nil {
		return Entry{}, fmt.Errorf("shadow: %w", err)
	}
	switch {
	case v.Champion:
		return Entry{}, fmt.Errorf("shadow: %s is the champion: a shadow is scored beside it", v.Version)
	case v.Version == cur.Version:
		return Entry{}, fmt.Errorf("shadow: %s is the shadow already", v.Version)
	}
	if _, err := r.record(ctx, v.Model, v.Dir, user, "registered on shadowing"); err != nil {
		return Entry{}, fmt.Errorf("shadow %s: %w", v.Version, err)
	}
	return r.changeShadow(ctx, Shadow{Version: v.Version}, Entry{User: user, Action: ShadowOn, Version: v.Version, Reason: reason})
}

// ClearShadow stops shadowing, recording user and reason in the audit
// first. Without a shadow it is an error.
func (r *Registry) ClearShadow(ctx context.Context, user, reason string) (Entry, error) {
	unlock, err := r.begin(ctx, "clear the shadow", user, reason)
	if err != nil {
		return Entry{}, err
	}
	defer unlock()
	cur, err := r.Shadow()
	if err != nil {
		return Entry{}, fmt.Errorf("clear the shadow: %w", err)
	}
	if cur.Version == "" {
		return Entry{}, fmt.Errorf("clear the shadow: registry %s has no shadow", r.dir)
	}
	return r.changeShadow(ctx, Shadow{}, Entry{User: user, Action: ShadowOff, Version: cur.Version, Reason: reason})
}

// changeShadow appends e to the audit, then writes next as shadow.json,
// in that order for the reason change gives. The lock is held.
func (r *Registry) changeShadow(ctx context.Context, next Shadow, e Entry) (Entry, error) {
	asked := e
	e, err := r.store.SetShadow(ctx, e)
	if err != nil {
		return Entry{}, fmt.Errorf("%s %s: not changed, the audit refused it: %w", asked.Action, asked.Version, err)
	}
	next.Stamp = stampOf(e)
	if err := writeJSON(r.path(shadowFile), next); err != nil {
		return e, fmt.Errorf("%s %s: audit entry %d records it, but the shadow was not changed: %w", e.Action, e.Version, e.Seq, err)
	}
	return e, nil
}
