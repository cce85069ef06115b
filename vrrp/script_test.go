package vrrp

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/command"
)

// scriptedRunner is a fake command.Runner returning the next of results
// (the last one repeats) and saying when all were used.
type scriptedRunner struct {
	mu      sync.Mutex
	results []command.Result
	calls   int
	used    chan struct{} // closed after the last scripted result
	cmd     string
}

func newScriptedRunner(results ...command.Result) *scriptedRunner {
	return &scriptedRunner{results: results, used: make(chan struct{})}
}

func (r *scriptedRunner) run(ctx context.Context, cmd string, _ []string, _ ...string) command.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cmd = cmd
	i := min(r.calls, len(r.results)-1)
	r.calls++
	if r.calls == len(r.results) {
		close(r.used)
	}
	if _, ok := ctx.Deadline(); !ok {
		return command.Result{ExitCode: -1, Err: context.DeadlineExceeded} // a run must be bounded
	}
	return r.results[i]
}

var (
	scriptOK      = command.Result{ExitCode: 0}
	scriptFail    = command.Result{ExitCode: 1}
	scriptTimeout = command.Result{ExitCode: -1, TimedOut: true}
	scriptNoStart = command.Result{ExitCode: -1, Err: context.Canceled}
)

func TestRunScriptRiseFall(t *testing.T) {
	ok, fail := scriptOK, scriptFail
	cases := []struct {
		name    string
		script  Script
		results []command.Result
		want    []bool // onChange calls, the first being the initial state
	}{
		{"up stays up", Script{}, []command.Result{ok, ok, ok}, []bool{true}},
		{"fall 1", Script{}, []command.Result{ok, fail, fail}, []bool{true, false}},
		{"fall 3 needs three in a row", Script{Fall: 3}, []command.Result{fail, fail, ok, fail, fail, fail, fail},
			[]bool{true, false}},
		{"rise 2 after fall", Script{Rise: 2, Fall: 1}, []command.Result{fail, ok, fail, ok, ok, ok},
			[]bool{true, false, true}},
		{"init fail starts down", Script{InitFail: true, Rise: 2}, []command.Result{ok, ok, ok}, []bool{false, true}},
		{"init fail stays down", Script{InitFail: true}, []command.Result{fail, fail}, []bool{false}},
		{"timeout is a failure", Script{}, []command.Result{scriptTimeout, scriptTimeout}, []bool{true, false}},
		{"cannot start is a failure", Script{}, []command.Result{scriptNoStart, scriptNoStart}, []bool{true, false}},
		{"non-zero exit other than 1", Script{}, []command.Result{{ExitCode: 2}, {ExitCode: 2}}, []bool{true, false}},
		{"flapping", Script{}, []command.Result{fail, ok, fail, ok, ok}, []bool{true, false, true, false, true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.script
			s.Name, s.Command, s.Interval = "chk", "check-it", time.Millisecond
			run := newScriptedRunner(c.results...)
			var mu sync.Mutex
			var got []bool
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				RunScript(ctx, s, run.run, func(up bool) { mu.Lock(); got = append(got, up); mu.Unlock() })
				close(done)
			}()
			select {
			case <-run.used:
			case <-time.After(5 * time.Second):
				t.Fatal("results not used")
			}
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("RunScript did not return at ctx end")
			}
			mu.Lock()
			defer mu.Unlock()
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("onChange %v, want %v", got, c.want)
			}
			if run.cmd != "check-it" {
				t.Errorf("ran %q", run.cmd)
			}
		})
	}
}

// The interval is the time between starts; the timeout bounds each run.
func TestRunScriptIntervalAndTimeout(t *testing.T) {
	var mu sync.Mutex
	var starts []time.Time
	var deadlines []time.Duration
	run := func(ctx context.Context, _ string, _ []string, _ ...string) command.Result {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		starts = append(starts, now)
		d, _ := ctx.Deadline()
		deadlines = append(deadlines, d.Sub(now))
		return scriptOK
	}
	ctx, cancel := context.WithTimeout(context.Background(), 330*time.Millisecond)
	defer cancel()
	RunScript(ctx, Script{Command: "x", Interval: 100 * time.Millisecond, Timeout: 40 * time.Millisecond}, run, func(bool) {})
	mu.Lock()
	defer mu.Unlock()
	if len(starts) < 3 || len(starts) > 5 {
		t.Fatalf("%d runs in 330ms at a 100ms interval", len(starts))
	}
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < 90*time.Millisecond {
			t.Errorf("run %d started %v after the previous one", i, gap)
		}
	}
	// The last run may be cut shorter by ctx itself.
	for i, d := range deadlines {
		if d > 40*time.Millisecond || (i < len(deadlines)-1 && d < 30*time.Millisecond) {
			t.Errorf("run %d bounded by %v, want the 40ms timeout", i, d)
		}
	}
}
