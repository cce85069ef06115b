package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// The legitimate side of the flood: a client opening new HTTP connections
// at a steady rate, and long-lived established connections that must keep
// working (IPVS never evicts an established entry for a new one).

const (
	legitConnectTimeout = time.Second     // one SYN: Linux retransmits after 1 s
	legitRequestTimeout = 2 * time.Second // the GET once connected
)

// attempt is one legitimate new connection.
type attempt struct {
	Connect time.Duration // time to connect, when it did
	Outcome string        // outcomeOK or why not
}

const (
	outcomeOK             = "ok"
	outcomeConnectTimeout = "connect_timeout" // no SYN-ACK within legitConnectTimeout
	outcomeConnectError   = "connect_error"   // refused, reset, unreachable
	outcomeRequestError   = "request_error"   // connected, but no 200 in time
)

// legitPhase summarises the attempts of one phase.
type legitPhase struct {
	Tried, OK  int
	Outcomes   map[string]int // failures by outcome
	ConnectP50 time.Duration  // of the successful ones
	ConnectMax time.Duration
}

func (p legitPhase) share() float64 { return ratio(float64(p.OK), float64(p.Tried)) }

func summarise(as []attempt) legitPhase {
	p := legitPhase{Tried: len(as), Outcomes: map[string]int{}}
	var conn []time.Duration
	for _, a := range as {
		if a.Outcome == outcomeOK {
			p.OK++
			conn = append(conn, a.Connect)
			continue
		}
		p.Outcomes[a.Outcome]++
	}
	if len(conn) > 0 {
		slices.Sort(conn)
		p.ConnectP50, p.ConnectMax = conn[len(conn)/2], conn[len(conn)-1]
	}
	return p
}

// failureText lists the failures by outcome, "none" without.
func (p legitPhase) failureText() string { return countsText(p.Outcomes, "none") }

// legitAttempt opens one connection to addr from ns and GETs /.
func legitAttempt(ns *netlab.NS, addr string) attempt {
	t0 := time.Now()
	c, err := ns.Dial("tcp4", addr, legitConnectTimeout)
	if err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			return attempt{Outcome: outcomeConnectTimeout}
		}
		return attempt{Outcome: outcomeConnectError}
	}
	defer c.Close()
	a := attempt{Connect: time.Since(t0), Outcome: outcomeRequestError}
	c.SetDeadline(time.Now().Add(legitRequestTimeout))
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\nHost: "+addr+"\r\n\r\n"); err != nil {
		return a
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err == nil && httpOK(line) {
		a.Outcome = outcomeOK
	}
	return a
}

// httpOK: a status line of 200.
func httpOK(line string) bool {
	f := strings.Fields(line)
	return len(f) >= 2 && strings.HasPrefix(f[0], "HTTP/1.") && f[1] == "200"
}

// runLegit opens rate connections per second for d (each in its own
// goroutine, started on schedule whatever the others do) and waits for
// them all.
func runLegit(ns *netlab.NS, addr string, rate int, d time.Duration, stop <-chan struct{}) legitPhase {
	n := int(float64(rate) * d.Seconds())
	res := make([]attempt, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); wait > 0 {
			select {
			case <-stop:
			case <-time.After(wait):
			}
		}
		if closed(stop) {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := legitAttempt(ns, addr)
			mu.Lock()
			res = append(res, a)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return summarise(res)
}

// estConn is a long-lived connection to the line echo: each exchange sends
// a numbered line and waits for its echo (a late echo of an earlier line is
// skipped, so one slow exchange does not shift the others).
type estConn struct {
	c   net.Conn
	r   *bufio.Reader
	seq int
}

func (e *estConn) exchange(timeout time.Duration) error {
	e.seq++
	want := fmt.Sprintf("p%d", e.seq)
	e.c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(e.c, want+"\n"); err != nil {
		return err
	}
	for {
		line, err := e.r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasSuffix(strings.TrimSpace(line), ":"+want) {
			return nil
		}
	}
}

// probe is one exchange on an established connection.
type probe struct {
	At time.Time
	OK bool
}

// establishedSet holds n connections open and exchanges a line on each
// every second until stopped.
type establishedSet struct {
	conns  []*estConn
	mu     sync.Mutex
	probes []probe
	stop   chan struct{}
	wg     sync.WaitGroup
}

func openEstablished(ns *netlab.NS, addr string, n int) (*establishedSet, error) {
	s := &establishedSet{stop: make(chan struct{})}
	for range n {
		c, err := ns.Dial("tcp4", addr, 5*time.Second)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("established connection %d of %d to %s: %w", len(s.conns)+1, n, addr, err)
		}
		e := &estConn{c: c, r: bufio.NewReader(c)}
		s.conns = append(s.conns, e)
		if err := e.exchange(5 * time.Second); err != nil {
			s.close()
			return nil, fmt.Errorf("established connection %d of %d: first exchange: %w", len(s.conns), n, err)
		}
	}
	return s, nil
}

// start exchanges on every connection once a second, each with a 1 s
// timeout.
func (s *establishedSet) start() {
	for _, e := range s.conns {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-s.stop:
					return
				case <-t.C:
				}
				ok := e.exchange(time.Second) == nil
				s.mu.Lock()
				s.probes = append(s.probes, probe{At: time.Now(), OK: ok})
				s.mu.Unlock()
			}
		}()
	}
}

// finish stops the probes and makes a last exchange on every connection
// (3 s each): kept is how many still answer.
func (s *establishedSet) finish() (probes []probe, kept int) {
	close(s.stop)
	s.wg.Wait()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, e := range s.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if e.exchange(3*time.Second) == nil {
				mu.Lock()
				kept++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	s.close()
	return s.probes, kept
}

func (s *establishedSet) close() {
	for _, e := range s.conns {
		e.c.Close()
	}
}

// probesIn counts the exchanges made within [from, to].
func probesIn(ps []probe, from, to time.Time) (ok, failed int) {
	for _, p := range ps {
		if p.At.Before(from) || p.At.After(to) {
			continue
		}
		if p.OK {
			ok++
		} else {
			failed++
		}
	}
	return ok, failed
}
