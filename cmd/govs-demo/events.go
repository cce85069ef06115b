package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// eventWatch is `govsctl events -n 1 -for D` running in the background,
// started before the action whose event the demo waits for.
//
// The stream only carries events that happen after govsctl has connected,
// and nothing tells when that is; the demo starts the watch a few hundred
// milliseconds before it acts, and the events it waits for cannot come
// sooner than one check interval after the action anyway (they take fall
// or rise checks, at least 2 in the demo's configuration).
type eventWatch struct {
	proc  *netlab.Proc
	argv  []string
	limit time.Duration
}

// watchEvent starts govsctl waiting up to limit (rounded up to seconds)
// for the next event.
func watchEvent(bin, socket string, limit time.Duration) (*eventWatch, error) {
	limit = (limit + time.Second - 1).Truncate(time.Second)
	argv := []string{bin, "-s", socket, "events", "-n", "1", "-for", limit.String()}
	p, err := netlab.StartProc(nil, argv[0], argv[1:]...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	return &eventWatch{proc: p, argv: argv, limit: limit}, nil
}

// stop ends govsctl if it still runs (the demo gave up waiting).
func (w *eventWatch) stop() { w.proc.Stop(time.Second) }

// demoEvent is one line of govsctl events: when, what, about which server.
type demoEvent struct {
	time    time.Time
	kind    string // server_up, server_down, quorum_up, quorum_down
	service string
	server  string // "10.1.0.13:8080"; "" for a quorum event
}

// eventTimeLayout is how govsctl events prints the time (admin.FormatEvent).
const eventTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// wait waits for govsctl to end, prints its command line and output, and
// checks that the event is want about server.
func (w *eventWatch) wait(want, server string) (demoEvent, error) {
	select {
	case <-w.proc.Done():
	case <-time.After(w.limit + 5*time.Second):
		return demoEvent{}, fmt.Errorf("%s did not end", strings.Join(w.argv, " "))
	}
	out := strings.TrimSpace(w.proc.Output())
	step("%s", strings.Join(w.argv, " "))
	if out != "" {
		fmt.Println(out)
	}
	if code := w.proc.ExitCode(); code != 0 {
		return demoEvent{}, fmt.Errorf("govsctl events exited with status %d", code)
	}
	if out == "" {
		return demoEvent{}, fmt.Errorf("no %s event for %s within %v", want, server, w.limit)
	}
	ev, err := parseEvent(out)
	if err != nil {
		return ev, err
	}
	if ev.kind != want || ev.server != server {
		return ev, fmt.Errorf("the event was %s %s, want %s %s", ev.kind, ev.server, want, server)
	}
	return ev, nil
}

// parseEvent reads a line of govsctl events: time, type, service, then
// the server and a reason in parentheses when there are.
func parseEvent(line string) (demoEvent, error) {
	f := strings.Fields(line)
	if len(f) < 3 {
		return demoEvent{}, fmt.Errorf("govsctl events printed %q: not an event", line)
	}
	t, err := time.Parse(eventTimeLayout, f[0])
	if err != nil {
		return demoEvent{}, fmt.Errorf("govsctl events printed %q: %w", line, err)
	}
	ev := demoEvent{time: t, kind: f[1], service: f[2]}
	if len(f) > 3 && !strings.HasPrefix(f[3], "(") {
		ev.server = f[3]
	}
	return ev, nil
}
