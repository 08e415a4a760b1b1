package publish

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Dir is an output folder being written: files go into Path, and Commit
// publishes them all at once in place of the target. A Dir that is not
// committed is removed by Discard, so `defer d.Discard()` after NewDir
// cleans up on every error and interrupt.
type Dir struct {
	target  string
	staging string
	done    bool
	// undo removes the folders NewDir created above the target, for
	// Discard: an output that is never published leaves none behind.
	undo func()
}

// NewDir prepares to replace the folder target, creating its parent if
// needed (Discard removes the folders it created). It checks the target before any work is done, so a run that
// would fail to publish fails at once: target must not be a file, and if
// it is a folder that holds anything, it must hold one of the names in
// ours (say "model.json"), which marks it as an earlier output of the
// same kind. Any other folder is the user's, and replacing it would delete
// their files.
func NewDir(target string, ours ...string) (*Dir, error) {
	abs, err := filepath.Abs(target)
	if err != nil {
		return nil, fmt.Errorf("output folder %s: %w", target, err)
	}
	parent, base := filepath.Split(abs)
	if base == "" || contains(abs, workingDir()) {
		return nil, fmt.Errorf("output folder %s: choose a folder of its own, not the current folder or one of its parents", target)
	}
	if err := checkTarget(target, abs, ours); err != nil {
		return nil, err
	}
	undo, err := Parents(abs)
	if err != nil {
		return nil, fmt.Errorf("output folder %s: %w", target, err)
	}
	removeStale(parent, base)
	staging, err := os.MkdirTemp(parent, tempPattern(base))
	if err != nil {
		undo()
		return nil, fmt.Errorf("output folder %s: %w", target, err)
	}
	if err := os.Chmod(staging, 0o755); err != nil {
		os.Remove(staging)
		undo()
		return nil, fmt.Errorf("output folder %s: %w", target, err)
	}
	return &Dir{target: target, staging: staging, undo: undo}, nil
}

// checkTarget refuses a target that is a file, or a folder with contents
// but none of the marker names.
func checkTarget(target, abs string, ours []string) error {
	fi, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("output folder %s: %w", target, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("output folder %s is a file; name a folder", target)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return fmt.Errorf("output folder %s: %w", target, err)
	}
	if len(entries) == 0 {
		return nil
	}
	for _, e := range entries {
		if slices.Contains(ours, e.Name()) {
			return nil
		}
	}
	return fmt.Errorf("output folder %s holds other files (no %v from an earlier run): it would be replaced whole, so name a new or empty folder", target, ours)
}

// Parents creates the folders missing above path, as os.MkdirAll does,
// and returns undo, which removes those it created while they are still
// empty: a run that ends up writing nothing (an error, an interrupt)
// leaves no empty folders behind. Folders that existed are never removed.
func Parents(path string) (undo func(), err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return func() {}, err
	}
	dir := filepath.Dir(abs)
	// missing lists the folders to create, innermost first.
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	undo = func() {
		for _, d := range missing {
			if os.Remove(d) != nil {
				return // not empty: something else is in it now
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		undo()
		return func() {}, err
	}
	return undo, nil
}

// contains reports whether path is dir or lies inside it.
func contains(dir, path string) bool {
	return path == dir || strings.HasPrefix(path, dir+string(filepath.Separator))
}

func workingDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	return wd
}

// Path is the staging folder to write into. Its name is not the target's:
// write relative paths from it, and never record it in the outputs.
func (d *Dir) Path() string { return d.staging }

// Commit publishes the staging folder as the target, replacing whatever
// was there in one step, and removes the previous contents.
func (d *Dir) Commit() error {
	if d.done {
		return fmt.Errorf("output folder %s: already published or discarded", d.target)
	}
	if err := syncDir(d.staging); err != nil {
		return fmt.Errorf("output folder %s: %w", d.target, err)
	}
	if err := swap(d.staging, d.target); err != nil {
		return fmt.Errorf("output folder %s: %w", d.target, err)
	}
	d.done = true
	// The staging name now holds the previous contents, or nothing.
	os.RemoveAll(d.staging)
	return syncDir(filepath.Dir(d.staging))
}

// Discard removes the staging folder unless it was committed. It is safe
// to call more than once and after Commit.
func (d *Dir) Discard() {
	if d.done {
		return
	}
	d.done = true
	os.RemoveAll(d.staging)
	d.undo()
}

// swap puts staging in target's place. Where the system can exchange two
// names atomically (Linux), the target is never missing; elsewhere it is
// missing between two renames, and a crash there leaves the new folder
// under its staging name for the next run to remove.
func swap(staging, target string) error {
	err := exchange(staging, target)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return os.Rename(staging, target)
	case !errors.Is(err, errNoExchange):
		return err
	}
	old := staging + "-old"
	if err := os.Rename(target, old); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return os.Rename(staging, target)
		}
		return err
	}
	if err := os.Rename(staging, target); err != nil {
		os.Rename(old, target)
		return err
	}
	return os.Rename(old, staging)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
