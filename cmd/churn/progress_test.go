package main

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a strings.Builder safe for the heartbeat's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgressLines(t *testing.T) {
	var buf syncBuffer
	p := newProgress(&buf, false, 100*time.Millisecond).forCommand("train")
	p.begin("fitting gbm")
	p.update("1/300 trees")
	p.update("2/300 trees")
	if got, want := buf.String(), "churn train: fitting gbm (0 s)\n"; got != want {
		t.Fatalf("at the start of a step: %q, want %q at once and no more", got, want)
	}
	time.Sleep(250 * time.Millisecond) // the step goes quiet: the heartbeat writes
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) < 2 || len(lines) > 4 || lines[1] != "churn train: fitting gbm: 2/300 trees (0 s)" {
		t.Errorf("after 250 ms at one line per 100 ms: %q", lines)
	}
	p.begin("validating gbm") // a new step is reported at once
	if !strings.HasSuffix(buf.String(), "churn train: validating gbm (0 s)\n") {
		t.Errorf("a new step was not reported at once: %q", buf.String())
	}
	p.stop()
	n := len(buf.String())
	time.Sleep(250 * time.Millisecond)
	if len(buf.String()) != n {
		t.Errorf("lines after stop: %q", buf.String()[n:])
	}
}

func TestProgressTerminal(t *testing.T) {
	var buf syncBuffer
	p := newProgress(&buf, true, time.Hour).forCommand("features")
	p.begin("reading s.csv")
	p.update("65536 rows") // too soon after the first to redraw
	p.end()
	p.stop()
	if got, want := buf.String(), "\r\033[Kchurn features: reading s.csv (0 s)\r\033[K"; got != want {
		t.Errorf("on a terminal: %q, want %q", got, want)
	}
	if progressFromEnv(os.Stderr, "off") != nil {
		t.Error("CHURN_PROGRESS=off does not silence progress")
	}
	var silent *progress // what CHURN_PROGRESS=off gives
	silent.begin("x")
	silent.update("y")
	silent.stop()
}

// TestProgressNote checks that a note is written at once as a line of
// its own, even between the lines a step may write, and clears a
// terminal's redrawn line first.
func TestProgressNote(t *testing.T) {
	for _, tt := range []struct {
		name     string
		terminal bool
		want     string
	}{
		{"log", false, "churn train: tuning (0 s)\nchurn train: trial 1: 0.850\n"},
		{"terminal", true, "\r\033[Kchurn train: tuning (0 s)\r\033[Kchurn train: trial 1: 0.850\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf syncBuffer
			p := newProgress(&buf, tt.terminal, time.Hour).forCommand("train")
			p.begin("tuning")
			p.note("trial %d: %.3f", 1, 0.85)
			p.stop()
			if got := buf.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	var silent *progress
	silent.note("x")
}
