package vrrp

import (
	"context"
	"time"

	"github.com/govs-project/govs/internal/command"
)

// Script is a track script (keepalived's vrrp_script): Command runs every
// Interval, killed after Timeout; exit 0 is a success, anything else
// (a non-zero exit, the timeout, a failure to start) a failure.
type Script struct {
	Name, Command string
	// Interval between the starts of two runs; 0: 1s.
	Interval time.Duration
	// Timeout of one run; 0: the interval.
	Timeout time.Duration
	// Rise consecutive successes bring a down script up, Fall consecutive
	// failures an up one down; 0 means 1.
	Rise, Fall int
	// InitFail starts the script down (keepalived's init_fail); else up.
	InitFail bool
}

const defaultScriptInterval = time.Second

// RunScript runs s with run until ctx is done and reports its health to
// onChange: once at once with the initial state, then on every change.
// onChange is called from RunScript's goroutine; a slow one delays the
// next run.
func RunScript(ctx context.Context, s Script, run command.Runner, onChange func(up bool)) {
	interval := s.Interval
	if interval <= 0 {
		interval = defaultScriptInterval
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = interval
	}
	h := scriptHealth{up: !s.InitFail, rise: max(s.Rise, 1), fall: max(s.Fall, 1)}
	onChange(h.up)
	next := time.NewTimer(0)
	defer next.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-next.C:
		}
		started := time.Now()
		rctx, cancel := context.WithTimeout(ctx, timeout)
		r := run(rctx, s.Command, nil)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if h.record(!r.TimedOut && r.Err == nil && r.ExitCode == 0) {
			onChange(h.up)
		}
		next.Reset(max(interval-time.Since(started), 0))
	}
}

// scriptHealth is the rise/fall count of a track script.
type scriptHealth struct {
	up         bool
	rise, fall int
	streak     int // consecutive results against up
}

// record counts one result and reports whether up changed.
func (h *scriptHealth) record(ok bool) bool {
	if ok == h.up {
		h.streak = 0
		return false
	}
	h.streak++
	need := h.fall
	if ok {
		need = h.rise
	}
	if h.streak < need {
		return false
	}
	h.up, h.streak = ok, 0
	return true
}
