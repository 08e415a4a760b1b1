package publish

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// tempPattern is the os.CreateTemp pattern of a temporary for base: hidden,
// named after its target and carrying this process's id, so a later run can
// tell whether its writer is still alive.
func tempPattern(base string) string {
	return "." + base + ".tmp-" + strconv.Itoa(os.Getpid()) + "-*"
}

// removeStale removes the temporaries of base in dir whose writing process
// has exited: what a kill -9 or a second Ctrl-C left behind. A temporary of
// a live process is another run's work in progress and is left alone.
func removeStale(dir, base string) {
	prefix := "." + base + ".tmp-"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		pid, _, ok := strings.Cut(rest, "-")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(pid); err == nil && !alive(n) {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// alive reports whether a process with this id exists. Signal 0 checks
// without sending anything; EPERM means it exists under another user.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
