package netlab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// LongLivedSpec is a set of long-lived TCP connections to a line-echo
// service that answers ident + ":" + line (ServeTCPEchoIdent), each
// exchanging a message every Interval, to show whether connections
// survive a failover on the same real server.
type LongLivedSpec struct {
	Target   string        // e.g. "10.0.0.100:7000"
	Conns    int           // how many (1..1000)
	Interval time.Duration // between a connection's messages; 0 means 50 ms
	// Patience bounds one message's round trip (a failover stalls it
	// while TCP retransmits); 0 means 10 s. Longer is a failure.
	Patience time.Duration
	// For bounds the whole run (required, at most MaxHTTPLoopFor).
	For time.Duration
}

// LongLivedConn is what became of one connection.
type LongLivedConn struct {
	Local    string // the client's address and port
	Server   string // the ident of the server that answered first
	Moved    string // the ident of another server that answered later ("" if none)
	Messages int    // round trips completed
	MaxRTT   time.Duration
	Err      error // what ended it before Stop (a reset, a timeout), nil if it lived
}

// Alive: it lived to Stop on one server.
func (c LongLivedConn) Alive() bool { return c.Err == nil && c.Moved == "" && c.Messages > 0 }

func (c LongLivedConn) String() string {
	s := fmt.Sprintf("%s -> %s: %d messages, max rtt %v", c.Local, c.Server, c.Messages, c.MaxRTT.Round(time.Millisecond))
	if c.Moved != "" {
		s += ", MOVED to " + c.Moved
	}
	if c.Err != nil {
		s += ", FAILED: " + c.Err.Error()
	}
	return s
}

// LongLived runs the connections until Stop.
type LongLived struct {
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	res  []LongLivedConn
	once sync.Once
}

// StartLongLived opens every connection from ns (failing if one cannot be
// opened) and starts their exchanges; each has completed one round trip
// when it returns.
func StartLongLived(ns *NS, spec LongLivedSpec) (*LongLived, error) {
	if spec.Conns < 1 || spec.Conns > 1000 {
		return nil, fmt.Errorf("long-lived: %d connections, want 1..1000", spec.Conns)
	}
	if spec.For <= 0 || spec.For > MaxHTTPLoopFor {
		return nil, fmt.Errorf("long-lived: For %v, want (0, %v]", spec.For, MaxHTTPLoopFor)
	}
	if spec.Interval <= 0 {
		spec.Interval = 50 * time.Millisecond
	}
	if spec.Patience <= 0 {
		spec.Patience = 10 * time.Second
	}
	l := &LongLived{stop: make(chan struct{}), res: make([]LongLivedConn, spec.Conns)}
	deadline := time.Now().Add(spec.For)
	conns := make([]net.Conn, 0, spec.Conns)
	for i := range spec.Conns {
		c, err := ns.Dial("tcp", spec.Target, 5*time.Second)
		if err == nil {
			l.res[i].Local = c.LocalAddr().String()
			err = l.exchange(c, bufio.NewReader(c), i, 0, spec.Patience)
		}
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			if c != nil {
				c.Close()
			}
			return nil, fmt.Errorf("long-lived connection %d to %s: %w", i, spec.Target, err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		l.wg.Add(1)
		go l.run(c, i, spec, deadline)
	}
	return l, nil
}

// exchange sends message seq and reads its answer, noting who answered.
func (l *LongLived) exchange(c net.Conn, r *bufio.Reader, i, seq int, patience time.Duration) error {
	start := time.Now()
	c.SetDeadline(start.Add(patience))
	if _, err := fmt.Fprintf(c, "%d-%d\n", i, seq); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	ident, msg, ok := strings.Cut(strings.TrimSpace(line), ":")
	if !ok || msg != fmt.Sprintf("%d-%d", i, seq) {
		return fmt.Errorf("answer %q to message %d-%d", strings.TrimSpace(line), i, seq)
	}
	rtt := time.Since(start)
	l.mu.Lock()
	defer l.mu.Unlock()
	res := &l.res[i]
	switch {
	case res.Server == "":
		res.Server = ident
	case ident != res.Server && res.Moved == "":
		res.Moved = ident
	}
	res.Messages++
	res.MaxRTT = max(res.MaxRTT, rtt)
	return nil
}

func (l *LongLived) run(c net.Conn, i int, spec LongLivedSpec, deadline time.Time) {
	defer l.wg.Done()
	defer c.Close()
	r := bufio.NewReader(c)
	t := time.NewTicker(spec.Interval)
	defer t.Stop()
	for seq := 1; ; seq++ {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		if time.Now().After(deadline) {
			return
		}
		if err := l.exchange(c, r, i, seq, spec.Patience); err != nil {
			select {
			case <-l.stop: // closed under it by Stop
			default:
				l.mu.Lock()
				l.res[i].Err = err
				l.mu.Unlock()
			}
			return
		}
	}
}

// Snapshot is every connection's outcome so far.
func (l *LongLived) Snapshot() []LongLivedConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]LongLivedConn(nil), l.res...)
}

// AwaitExchanges waits until every connection still alive has completed
// more than n round trips since before (a Snapshot), at most within or
// until ctx is done, and returns the outcomes then.
func (l *LongLived) AwaitExchanges(ctx context.Context, before []LongLivedConn, n int, within time.Duration) []LongLivedConn {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	deadline := time.Now().Add(within)
	for {
		now := l.Snapshot()
		done := true
		for j, c := range now {
			if c.Alive() && c.Messages <= before[j].Messages+n {
				done = false
			}
		}
		if done || time.Now().After(deadline) {
			return now
		}
		select {
		case <-ctx.Done():
			return now
		case <-t.C:
		}
	}
}

// Stop ends the exchanges and returns every connection's outcome.
func (l *LongLived) Stop() []LongLivedConn {
	l.once.Do(func() { close(l.stop) })
	l.wg.Wait()
	return l.Snapshot()
}

// LongLivedAlive counts the connections that lived on one server, and
// joins what happened to the others.
func LongLivedAlive(cs []LongLivedConn) (alive int, err error) {
	var errs []error
	for _, c := range cs {
		if c.Alive() {
			alive++
		} else {
			errs = append(errs, errors.New(c.String()))
		}
	}
	return alive, errors.Join(errs...)
}
