package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// haClients are what runs in the client namespace across a failover: a
// request through the VIP every 20 ms, each on a new connection, and one
// long-lived connection to the echo service opened before it.
type haClients struct {
	loop *netlab.HTTPLoop
	line *netlab.LineConn
}

// haSettle is how many requests in a row must succeed after a failover
// before the clients count as served again.
const haSettle = 10

// startClients starts the loop and opens the long-lived connection once
// the loop has been served haSettle times in a row.
func (e *haEnv) startClients(t *testing.T) *haClients {
	t.Helper()
	loop, err := netlab.StartHTTPLoop(e.lab.Client, netlab.HTTPLoopSpec{URL: "http://" + vip + "/", For: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	c := &haClients{loop: loop}
	t.Cleanup(func() {
		c.loop.Stop()
		if c.line != nil {
			c.line.Close()
		}
	})
	if err := c.awaitServed(time.Now(), 5*time.Second); err != nil {
		t.Fatalf("before the failover: %v\n%s", err, e.state())
	}
	port := rsEchoPort
	if !e.nat {
		port = dsrEchoPort
	}
	if c.line, err = netlab.DialLine(e.lab.Client, fmt.Sprintf("%s:%d", vip, port), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := c.line.Exchange("before", 2*time.Second); err != nil {
		t.Fatalf("long-lived connection before the failover: %v", err)
	}
	return c
}

// awaitServed waits until haSettle requests in a row that started after
// since have succeeded.
func (c *haClients) awaitServed(since time.Time, within time.Duration) error {
	for deadline := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		as := c.loop.Attempts().Since(since)
		run := 0
		for _, a := range as {
			if run++; !a.OK() {
				run = 0
			}
		}
		if run >= haSettle {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not %d requests in a row served within %v: %v", haSettle, within, as)
		}
	}
}

// get requests the VIP once, on a new connection.
func (e *haEnv) get() (string, error) {
	return netlab.HTTPGetNewConn(e.lab.Client, "http://"+vip+"/", 5*time.Second)
}

// haOutcome is what the clients saw.
type haOutcome struct {
	requests, failed int
	outage           time.Duration // first failure to the first success after the last one
	longLived        string        // "survived" or "broke (...)"
}

func (o haOutcome) String() string {
	return fmt.Sprintf("client loop: %d of %d requests failed, outage %s; long-lived: %s", o.failed, o.requests, ms(o.outage), o.longLived)
}

// finish waits until the clients are served again after at (failing t if
// they are not within 5 s), stops the loop and tries the long-lived
// connection.
func (c *haClients) finish(t *testing.T, at time.Time) haOutcome {
	t.Helper()
	err := c.awaitServed(at, 5*time.Second)
	as := c.loop.Stop()
	if err != nil {
		t.Errorf("new requests after the failover: %v", err)
	}
	o := haOutcome{requests: len(as), failed: len(as.Failed()), outage: outage(as), longLived: "survived"}
	if reply, err := c.line.Exchange("after", 2*time.Second); err != nil {
		o.longLived = fmt.Sprintf("broke (%v)", shortErr(err))
	} else if !strings.HasSuffix(reply, ":after") {
		o.longLived = fmt.Sprintf("broke (answered %q)", reply)
	}
	return o
}

// outage is the time from the start of the first failed request to the
// start of the first request that succeeded after the last failed one
// (0 if none failed).
func outage(as netlab.HTTPAttempts) time.Duration {
	first, last := -1, -1
	for i, a := range as {
		if !a.OK() {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return 0
	}
	for _, a := range as[last+1:] {
		if a.OK() {
			return a.Start.Sub(as[first].Start)
		}
	}
	return as[len(as)-1].End.Sub(as[first].Start)
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}
