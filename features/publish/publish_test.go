package publish

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tree lists a folder's files (relative paths) with their contents.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return got
	}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		got[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := File(p, func(w io.Writer) error { _, err := io.WriteString(w, body); return err }); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDirReplacesWhole(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "model")
	for _, run := range []map[string]string{
		{"model.json": "1", "candidates/tree/model.json": "old tree", "roc.png": "1"},
		{"model.json": "2", "roc.png": "2"},
		{"model.json": "3", "candidates/gbm/model.json": "gbm"},
	} {
		d, err := NewDir(target, "model.json")
		if err != nil {
			t.Fatal(err)
		}
		writeFiles(t, d.Path(), run)
		if err := d.Commit(); err != nil {
			t.Fatal(err)
		}
		d.Discard() // after Commit: a no-op
		if got := tree(t, target); !mapsEqual(got, run) {
			t.Fatalf("published %v, want exactly %v", got, run)
		}
		if got := names(t, root); !slices.Equal(got, []string{"model"}) {
			t.Fatalf("left beside the target: %v", got)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestDiscardKeepsPrevious(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "features")
	d, _ := NewDir(target, "summary.json")
	writeFiles(t, d.Path(), map[string]string{"summary.json": "old", "train.csv": "old"})
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
	d, err := NewDir(target, "summary.json")
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, d.Path(), map[string]string{"train.parquet": "half"})
	d.Discard()
	if got := tree(t, target); !mapsEqual(got, map[string]string{"summary.json": "old", "train.csv": "old"}) {
		t.Fatalf("after discard: %v", got)
	}
	if got := names(t, root); !slices.Equal(got, []string{"features"}) {
		t.Fatalf("left beside the target: %v", got)
	}
	if err := d.Commit(); err == nil {
		t.Fatal("commit after discard succeeded")
	}
}

// TestDiscardRemovesTheFoldersItMade discards a first write into a new
// nested folder: an interrupted or failed run leaves no empty folders
// behind, but keeps a folder that something else has written into since.
func TestDiscardRemovesTheFoldersItMade(t *testing.T) {
	for _, c := range []struct {
		name  string
		other string // a file written meanwhile, relative to root
		want  []string
	}{
		{"nothing else", "", nil},
		{"another file meanwhile", "new/notes.txt", []string{"new"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			d, err := NewDir(filepath.Join(root, "new", "deeper", "model"), "model.json")
			if err != nil {
				t.Fatal(err)
			}
			writeFiles(t, d.Path(), map[string]string{"model.json": "half"})
			if c.other != "" {
				writeFiles(t, root, map[string]string{c.other: "theirs"})
			}
			d.Discard()
			if got := names(t, root); !slices.Equal(got, c.want) {
				t.Fatalf("left in %s: %v, want %v", root, got, c.want)
			}
		})
	}
}

// TestParentsUndo creates the folders above a file that is then not
// written: undo removes them, and only them.
func TestParentsUndo(t *testing.T) {
	root := t.TempDir()
	undo, err := Parents(filepath.Join(root, "a", "b", "snapshots.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(root, "a", "b")); err != nil || !fi.IsDir() {
		t.Fatalf("parents not created: %v", err)
	}
	undo()
	if got := names(t, root); len(got) != 0 {
		t.Fatalf("left after undo: %v", got)
	}
	// Folders that existed before are left alone.
	undo, err = Parents(filepath.Join(root, "snapshots.csv"))
	if err != nil {
		t.Fatal(err)
	}
	undo()
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("undo removed an existing folder: %v", err)
	}
}

func TestNewDirRefuses(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	foreign := filepath.Join(root, "home")
	os.Mkdir(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "thesis.tex"), []byte("x"), 0o644)
	empty := filepath.Join(root, "empty")
	os.Mkdir(empty, 0o755)
	wd, _ := os.Getwd()
	for _, tc := range []struct {
		target, want string
	}{
		{file, "is a file"},
		{foreign, "holds other files"},
		{".", "folder of its own"},
		{"..", "folder of its own"},
		{filepath.Dir(filepath.Dir(wd)), "folder of its own"},
		{empty, ""},
		{filepath.Join(root, "new", "deeper"), ""},
	} {
		d, err := NewDir(tc.target, "model.json")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("NewDir(%s): %v", tc.target, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("NewDir(%s) = %v, want an error with %q", tc.target, err, tc.want)
		}
		if d != nil {
			d.Discard()
		}
	}
	if got := tree(t, foreign); len(got) != 1 {
		t.Errorf("the user's folder changed: %v", got)
	}
}

func TestFileFailureKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.json")
	writeFiles(t, dir, map[string]string{"model.json": "old"})
	err := File(p, func(w io.Writer) error {
		io.WriteString(w, "half")
		return errors.New("disk on fire")
	})
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("error %v does not name %s", err, p)
	}
	if got := tree(t, dir); !mapsEqual(got, map[string]string{"model.json": "old"}) {
		t.Fatalf("after a failed write: %v", got)
	}
}

// deadPID returns the id of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	return cmd.Process.Pid
}

func TestStaleTemporariesRemoved(t *testing.T) {
	root := t.TempDir()
	dead := strconv.Itoa(deadPID(t))
	live := strconv.Itoa(os.Getppid())
	for _, name := range []string{
		".model.tmp-" + dead + "-123",    // a killed run's folder
		".model.json.tmp-" + dead + "-9", // a killed run's file
		".model.tmp-" + live + "-456",    // a running run's folder
		".other.tmp-" + dead + "-1",      // another target's: its own writer cleans it
		".model.tmp-notapid",             // not ours
	} {
		os.Mkdir(filepath.Join(root, name), 0o755)
	}
	d, err := NewDir(filepath.Join(root, "model"), "model.json")
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, d.Path(), map[string]string{"model.json": "new"})
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := File(filepath.Join(root, "model.json"), func(w io.Writer) error { return nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{".model.tmp-" + live + "-456", ".model.tmp-notapid", ".other.tmp-" + dead + "-1", "model", "model.json"}
	if got := names(t, root); !slices.Equal(got, want) {
		t.Fatalf("after publishing: %v, want %v", got, want)
	}
}

// TestKilledWriterLeavesNoMix kills a writer at random moments while it
// republishes a folder of several files again and again: every time, the
// target must hold one run's files, all of them, and nothing else.
func TestKilledWriterLeavesNoMix(t *testing.T) {
	if os.Getenv("PUBLISH_WRITER") != "" {
		writerLoop(os.Getenv("PUBLISH_WRITER"))
		return
	}
	target := filepath.Join(t.TempDir(), "model")
	for i := range 30 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriterLeavesNoMix$")
		cmd.Env = append(os.Environ(), "PUBLISH_WRITER="+target)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+i*7%50) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		got := tree(t, target)
		if len(got) == 0 {
			continue // killed before the first publish
		}
		run := got["model.json"]
		for _, name := range []string{"model.json", "metrics.json", "roc.png", "candidates/gbm/model.json"} {
			if got[name] != run {
				t.Fatalf("kill %d: %s holds run %q, model.json run %q: %v", i, name, got[name], run, got)
			}
		}
		if len(got) != 4 {
			t.Fatalf("kill %d: %d files: %v", i, len(got), got)
		}
	}
}

func writerLoop(target string) {
	for run := 0; ; run++ {
		d, err := NewDir(target, "model.json")
		if err != nil {
			panic(err)
		}
		body := strconv.Itoa(os.Getpid()) + "/" + strconv.Itoa(run)
		for _, name := range []string{"model.json", "metrics.json", "roc.png", "candidates/gbm/model.json"} {
			p := filepath.Join(d.Path(), name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := File(p, func(w io.Writer) error { _, err := io.WriteString(w, body); return err }); err != nil {
				panic(err)
			}
		}
		if err := d.Commit(); err != nil {
			panic(err)
		}
	}
}
