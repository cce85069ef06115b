package command

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

// recorder is a fake Runner recording what it ran, optionally blocking.
type recorder struct {
	mu      sync.Mutex
	ran     []string
	release chan struct{} // nil: never blocks
	started chan struct{}
	result  Result
}

func (r *recorder) run(ctx context.Context, command string, env []string, args ...string) Result {
	if r.started != nil {
		r.started <- struct{}{}
	}
	if r.release != nil {
		select {
		case <-r.release:
		case <-ctx.Done():
			return Result{ExitCode: -1, TimedOut: true}
		}
	}
	r.mu.Lock()
	r.ran = append(r.ran, fmt.Sprint(command, env, args))
	r.mu.Unlock()
	return r.result
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ran...)
}

type counts struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counts) count(result string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[result]++
}

func (c *counts) get(result string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[result]
}

// One worker runs the commands one at a time, in order; Close waits for
// the queued ones.
func TestNotifierOneWorkerKeepsOrder(t *testing.T) {
	rec := &recorder{}
	var c counts
	n := NewNotifier(nil, rec.run, time.Second, 100, 1, c.count)
	var want []string
	for i := range 50 {
		n.Notify("cmd", []string{fmt.Sprintf("I=%d", i)}, "arg", fmt.Sprint(i))
		want = append(want, fmt.Sprint("cmd", []string{fmt.Sprintf("I=%d", i)}, []string{"arg", fmt.Sprint(i)}))
	}
	n.Close()
	if got := rec.got(); !reflect.DeepEqual(got, want) {
		t.Errorf("ran\n%q\nwant\n%q", got, want)
	}
	if c.get(ResultOK) != 50 {
		t.Errorf("ok count %d, want 50", c.get(ResultOK))
	}
}

// Notify never blocks: with the worker busy and the queue full the rest
// are dropped and counted; after Close everything is dropped.
func TestNotifierBoundedAndClosed(t *testing.T) {
	rec := &recorder{release: make(chan struct{}), started: make(chan struct{}, 10)}
	var c counts
	n := NewNotifier(nil, rec.run, 5*time.Second, 2, 1, c.count)
	n.Notify("first", nil)
	select {
	case <-rec.started:
	case <-time.After(5 * time.Second):
		t.Fatal("not started")
	}
	done := make(chan struct{})
	go func() {
		for range 5 {
			n.Notify("more", nil) // two queued, three dropped
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Notify blocked")
	}
	if c.get(ResultDropped) != 3 {
		t.Errorf("dropped %d, want 3", c.get(ResultDropped))
	}
	close(rec.release)
	n.Close()
	if got := len(rec.got()); got != 3 {
		t.Errorf("ran %d commands, want 3 (the running and the two queued)", got)
	}
	n.Notify("late", nil)
	n.Close() // twice is fine
	if c.get(ResultDropped) != 4 || len(rec.got()) != 3 {
		t.Errorf("after Close: dropped %d ran %d, want 4 and 3", c.get(ResultDropped), len(rec.got()))
	}
}

func TestNotifierResults(t *testing.T) {
	cases := []struct {
		name   string
		result Result
		block  bool
		want   string
	}{
		{name: "ok", want: ResultOK},
		{name: "non-zero exit", result: Result{ExitCode: 3}, want: ResultFailed},
		{name: "cannot start", result: Result{ExitCode: -1, Err: fmt.Errorf("no shell")}, want: ResultFailed},
		{name: "timeout", block: true, want: ResultTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{result: tc.result}
			if tc.block {
				rec.release = make(chan struct{}) // never released: the timeout ends it
			}
			var c counts
			n := NewNotifier(nil, rec.run, 50*time.Millisecond, 4, 1, c.count)
			n.Notify("cmd", nil)
			n.Close()
			if c.get(tc.want) != 1 {
				t.Errorf("counts %v, want one %q", c.m, tc.want)
			}
		})
	}
}

func TestNilNotifierAndEmptyCommand(t *testing.T) {
	var n *Notifier
	n.Notify("cmd", nil) // no panic, nothing to do
	rec := &recorder{}
	var c counts
	m := NewNotifier(nil, rec.run, time.Second, 4, 1, c.count)
	m.Notify("", nil)
	m.Close()
	if len(rec.got()) != 0 || len(c.m) != 0 {
		t.Errorf("empty command ran %v counted %v", rec.got(), c.m)
	}
}

// The real shell through the notifier: args arrive intact.
func TestNotifierRunsShellWithArgs(t *testing.T) {
	out := t.TempDir() + "/out"
	var c counts
	n := NewNotifier(nil, RunShell, 5*time.Second, 4, 1, c.count)
	n.Notify(`printf '%s|' "$GOVS_V" >`+out+`; printf '%s|' >>`+out, []string{"GOVS_V=e v"}, "GROUP", "G 1", "MASTER", "0")
	n.Close()
	b, err := readFile(out)
	if err != nil || b != "e v|GROUP|G 1|MASTER|0|" || c.get(ResultOK) != 1 {
		t.Errorf("output %q (%v), counts %v", b, err, c.m)
	}
}
