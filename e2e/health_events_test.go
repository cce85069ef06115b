package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// eventStream is "govsctl events -json" running against a govsd for the
// length of a test: the events it printed, parsed, for the test to wait on.
type eventStream struct {
	cmd *exec.Cmd

	mu     sync.Mutex
	events []admin.Event
	bad    []string      // lines that were no event
	grew   chan struct{} // closed (and replaced) when an event arrives
	ended  bool
}

// eventsFor bounds a stream (govsctl's -for): far longer than any test.
const eventsFor = 2 * time.Minute

// watchEvents starts govsctl events and returns once it is connected to
// govsd's admin socket: the daemon subscribes it as it accepts the request,
// well before any check started after this returns can change a state
// (that takes a check interval at least).
func watchEvents(t *testing.T, d *govsd) *eventStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin("govsctl"), "-s", d.admin.Socket(), "events", "-json", "-for", eventsFor.String())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &eventStream{cmd: cmd, grew: make(chan struct{})}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var ev admin.Event
			err := json.Unmarshal(sc.Bytes(), &ev)
			s.mu.Lock()
			if err != nil || ev.Type == "" {
				s.bad = append(s.bad, sc.Text())
			} else {
				s.events = append(s.events, ev)
			}
			close(s.grew)
			s.grew = make(chan struct{})
			s.mu.Unlock()
		}
		s.mu.Lock()
		s.ended = true
		close(s.grew)
		s.grew = make(chan struct{})
		s.mu.Unlock()
	}()
	t.Cleanup(func() {
		cancel()
		<-read
		cmd.Wait()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, l := range s.bad {
			t.Errorf("govsctl events printed a line that is no event: %q", l)
		}
		if t.Failed() {
			t.Logf("events streamed:\n%s", formatEvents(s.events))
			if stderr.Len() > 0 {
				t.Logf("govsctl events stderr: %s", stderr.String())
			}
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for !connectedUnix(cmd.Process.Pid) {
		if s.hasEnded() || time.Now().After(deadline) {
			t.Fatalf("govsctl events did not connect to %s within 5s (stderr %q)", d.admin.Socket(), stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return s
}

// eventsN runs "govsctl events -n n -for within" (text output) and
// returns, once it is connected, a func that waits for it to end and
// returns what it printed; the test fails if it does not exit 0.
func eventsN(t *testing.T, d *govsd, n int, within time.Duration) (wait func() string) {
	t.Helper()
	cmd := exec.Command(bin("govsctl"), "-s", d.admin.Socket(), "events", "-n", fmt.Sprint(n), "-for", within.String())
	var out, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	deadline := time.Now().Add(5 * time.Second)
	for !connectedUnix(cmd.Process.Pid) {
		if time.Now().After(deadline) {
			t.Fatalf("govsctl events -n %d did not connect within 5s (stderr %q)", n, stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return func() string {
		t.Helper()
		select {
		case err := <-done:
			done <- err // for the cleanup
			if err != nil {
				t.Errorf("govsctl events -n %d -for %v: %v (stderr %q)", n, within, err, stderr.String())
			}
		case <-time.After(within + 5*time.Second):
			t.Errorf("govsctl events -n %d -for %v still running %v later", n, within, within+5*time.Second)
		}
		return out.String()
	}
}

func (s *eventStream) hasEnded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

// mark is the number of events so far: wait(from = mark) sees only later ones.
func (s *eventStream) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events)
}

// since returns the events from index from on.
func (s *eventStream) since(from int) []admin.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]admin.Event(nil), s.events[min(from, len(s.events)):]...)
}

// wait returns the first event from index from on that match accepts,
// waiting up to timeout for it; the test fails if none comes.
func (s *eventStream) wait(t *testing.T, from int, what string, match func(admin.Event) bool, timeout time.Duration) admin.Event {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		for _, ev := range s.events[min(from, len(s.events)):] {
			if match(ev) {
				s.mu.Unlock()
				return ev
			}
		}
		grew, ended := s.grew, s.ended
		s.mu.Unlock()
		if ended {
			t.Fatalf("govsctl events ended before %s", what)
		}
		select {
		case <-grew:
		case <-timer.C:
			t.Fatalf("no %s event within %v; events since:\n%s", what, timeout, formatEvents(s.since(from)))
		}
	}
}

// serverEvent matches an event of type typ about ip's server in service key.
func serverEvent(typ, key, ip string) func(admin.Event) bool {
	return func(ev admin.Event) bool { return ev.Type == typ && ev.Service == key && ev.Address == ip }
}

func formatEvents(evs []admin.Event) string {
	if len(evs) == 0 {
		return "  (none)\n"
	}
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "  %s %s %s %s:%d %s\n", ev.Time.Format("15:04:05.000"), ev.Type, ev.Service, ev.Address, ev.Port, ev.Reason)
	}
	return b.String()
}

// connectedUnix reports whether process pid holds a connected unix stream
// socket (state SS_CONNECTED, 03, in /proc/net/unix).
func connectedUnix(pid int) bool {
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	inodes := map[string]bool{}
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil {
			if ino, ok := strings.CutPrefix(l, "socket:["); ok {
				inodes[strings.TrimSuffix(ino, "]")] = true
			}
		}
	}
	if len(inodes) == 0 {
		return false
	}
	table, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/unix", pid))
	if err != nil {
		return false
	}
	// Num RefCount Protocol Flags Type St Inode [Path]
	for _, line := range strings.Split(string(table), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) >= 7 && f[5] == "03" && inodes[f[6]] {
			return true
		}
	}
	return false
}
