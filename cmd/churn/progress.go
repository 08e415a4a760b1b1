package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progressEvery is how often a step that is still running reports when
// stderr is not a terminal: often enough that a log shows the job alive,
// rarely enough that a long fit leaves tens of lines, not thousands.
const progressEvery = 5 * time.Second

// progress reports long steps on stderr. On a terminal it redraws one
// line in place; elsewhere (a log, CI, a pipe) it writes a line when a
// step starts and then at most one every progressEvery, even when the
// step has nothing new to say, so a silent step still shows it is alive:
//
//	churn train: fitting gbm: 120/300 trees (12 s)
//
// A nil *progress is silent. Its methods may be called from several
// goroutines.
type progress struct {
	w        io.Writer
	terminal bool
	every    time.Duration
	prefix   string // "churn train: "

	mu     sync.Mutex
	step   string
	detail string
	start  time.Time
	last   time.Time // of the last line written
	drawn  bool      // a terminal line to clear
	tick   *time.Ticker
	ticked chan struct{} // closed to stop the ticker's goroutine
}

// newProgress returns a reporter writing to w, or nil (silent) when w is
// nil.
func newProgress(w io.Writer, terminal bool, every time.Duration) *progress {
	if w == nil {
		return nil
	}
	return &progress{w: w, terminal: terminal, every: every}
}

// forCommand returns a reporter for the named command, sharing the
// writer and settings.
func (p *progress) forCommand(name string) *progress {
	if p == nil {
		return nil
	}
	return &progress{w: p.w, terminal: p.terminal, every: p.every, prefix: "churn " + name + ": "}
}

// begin starts a step, such as "fitting gbm", and reports it at once.
func (p *progress) begin(step string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step, p.detail, p.start = step, "", time.Now()
	p.write()
	if !p.terminal && p.tick == nil && p.every > 0 {
		// A step may go quiet for long (a golearn tree cannot report):
		// the ticker keeps the lines coming.
		p.tick = time.NewTicker(p.every)
		p.ticked = make(chan struct{})
		go p.heartbeat(p.tick, p.ticked)
	}
}

// update reports how far the current step is, such as "120/300 trees".
// It writes only when a line is due.
func (p *progress) update(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.detail = fmt.Sprintf(format, args...)
	if p.due(time.Now()) {
		p.write()
	}
}

// note writes a line that stays, such as one per tuning trial, whatever
// the pace: on a terminal it replaces the step's line, which is redrawn
// below it at the next update.
func (p *progress) note(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
	fmt.Fprintln(p.w, p.prefix+fmt.Sprintf(format, args...))
}

// end finishes the current step: on a terminal its line is cleared.
func (p *progress) end() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step, p.detail = "", ""
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// stop ends the current step and the ticker: the command is done.
func (p *progress) stop() {
	if p == nil {
		return
	}
	p.end()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tick != nil {
		p.tick.Stop()
		close(p.ticked)
		p.tick = nil
	}
}

func (p *progress) heartbeat(t *time.Ticker, done chan struct{}) {
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			p.mu.Lock()
			if p.step != "" && p.due(now) {
				p.write()
			}
			p.mu.Unlock()
		}
	}
}

// due reports whether a line may be written at now.
func (p *progress) due(now time.Time) bool {
	if p.step == "" {
		return false
	}
	if p.terminal {
		return now.Sub(p.last) >= 100*time.Millisecond
	}
	// A little slack, so the ticker's line is not skipped for being a
	// few milliseconds early.
	return now.Sub(p.last) >= p.every-p.every/10
}

// write writes the current line; p.mu is held.
func (p *progress) write() {
	now := time.Now()
	p.last = now
	line := p.prefix + p.step
	if p.detail != "" {
		line += ": " + p.detail
	}
	line += fmt.Sprintf(" (%d s)", int(now.Sub(p.start).Seconds()))
	if p.terminal {
		fmt.Fprint(p.w, "\r\033[K"+line)
		p.drawn = true
		return
	}
	fmt.Fprintln(p.w, line)
}
