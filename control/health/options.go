package health

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Options configure a Manager. Everything but the logger and registerer
// has a working zero value; the rest are test seams.
type Options struct {
	Log        *slog.Logger          // nil: discard
	Registerer prometheus.Registerer // nil: metrics are kept but not registered
	// OnChange is called after any server or quorum state change (and a
	// dynamic weight change), outside the manager's lock, possibly from
	// several checkers at once. It must not block them: hand the work on.
	OnChange func()

	Clock Clock // nil: the real clock
	// NewProber builds the probe of one server; nil: the real checkers.
	NewProber func(t Target) (Prober, error)
	// RunCommand runs script checks and notify commands; nil: /bin/sh -c
	// in a process group of its own, killed at the context's end.
	RunCommand CommandRunner
	// Jitter returns a random delay in [0, max); nil: uniform.
	Jitter func(max time.Duration) time.Duration

	NotifyTimeout time.Duration // bound of one notify command; 0: 10s
	NotifyWorkers int           // notify commands run at once; 0: 4
	NotifyQueue   int           // notify commands waiting; 0: 256 (more are dropped, counted)
}

const (
	defaultNotifyTimeout = 10 * time.Second
	defaultNotifyWorkers = 4
	defaultNotifyQueue   = 256
)

func (o *Options) fill() {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.RunCommand == nil {
		o.RunCommand = RunShell
	}
	if o.Jitter == nil {
		o.Jitter = func(max time.Duration) time.Duration {
			if max <= 0 {
				return 0
			}
			return time.Duration(rand.Int64N(int64(max)))
		}
	}
	if o.NotifyTimeout <= 0 {
		o.NotifyTimeout = defaultNotifyTimeout
	}
	if o.NotifyWorkers <= 0 {
		o.NotifyWorkers = defaultNotifyWorkers
	}
	if o.NotifyQueue <= 0 {
		o.NotifyQueue = defaultNotifyQueue
	}
}

// Clock is the time source of the checkers.
type Clock interface {
	Now() time.Time
	// AfterFunc runs f in its own goroutine after d.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop reports whether it stopped the timer before f started.
	Stop() bool
}

type realClock struct{}

func (realClock) Now() time.Time                            { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Target is what one prober checks.
type Target struct {
	Service string
	Addr    netip.Addr // the server's
	Port    uint16
	Check   Check
}

// Prober runs one check. Probe is never called concurrently with itself
// and must return by the context's deadline.
type Prober interface {
	Probe(ctx context.Context) Result
}

// Result is the outcome of one check.
type Result struct {
	OK      bool
	Timeout bool   // failed because the timeout passed
	Err     string // why it failed
	Weight  int    // dynamic weight, -1 for none
}

func (r Result) outcome() string {
	switch {
	case r.OK:
		return OutcomeSuccess
	case r.Timeout:
		return OutcomeTimeout
	}
	return OutcomeFailure
}

func success() Result { return Result{OK: true, Weight: -1} }

func failure(format string, args ...any) Result {
	return Result{Err: fmt.Sprintf(format, args...), Weight: -1}
}

// CommandRunner runs command with /bin/sh -c (or pretends to), with env
// added to the environment, until it exits or ctx ends.
type CommandRunner func(ctx context.Context, command string, env []string) CommandResult
