package netlab_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/internal/netlab/netlabtest"
)

// TestHTTPLoopPacesNewConnections: a loop bounded by count makes exactly
// that many requests, 20 ms apart, each on a connection of its own, and
// records the answering server.
func TestHTTPLoopPacesNewConnections(t *testing.T) {
	netlabtest.Require(t, 0)
	client, host := linkedPair(t, "l")
	ln, err := host.Listen("tcp", ":8080")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int32
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Server", "rs3") }),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	loop, err := netlab.StartHTTPLoop(client, netlab.HTTPLoopSpec{URL: "http://" + pairB + ":8080/", For: 10 * time.Second, Max: 10})
	if err != nil {
		t.Fatal(err)
	}
	as := loop.Wait()
	if len(as) != 10 || len(as.Failed()) != 0 || as.ByServer()["rs3"] != 10 {
		t.Fatalf("10 requests to a healthy server: %v", as)
	}
	for i, a := range as {
		if a.Seq != i || a.Status != 200 || a.End.Before(a.Start) {
			t.Errorf("attempt %d: %+v", i, a)
		}
	}
	if span := as[9].Start.Sub(as[0].Start); span < 9*20*time.Millisecond-10*time.Millisecond || span > 5*time.Second {
		t.Errorf("10 requests started over %v, want about 9 x 20 ms", span)
	}
	if n := conns.Load(); n != 10 {
		t.Errorf("%d connections for 10 requests, want one each", n)
	}
}

// TestHTTPLoopRecordsFailuresAndStops: a server that turns to 500 and then
// goes away shows in the attempts as answers with status 500 from it, then
// refused connections; Stop ends the loop at once.
func TestHTTPLoopRecordsFailuresAndStops(t *testing.T) {
	netlabtest.Require(t, 0)
	client, host := linkedPair(t, "f")
	s, err := netlab.StartHTTPServer(host, ":8080", "rs2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	loop, err := netlab.StartHTTPLoop(client, netlab.HTTPLoopSpec{URL: "http://" + pairB + ":8080/", For: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { loop.Stop() })
	waitAttempts := func(n int, since time.Time) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for len(loop.Attempts().Since(since)) < n {
			if time.Now().After(deadline) {
				t.Fatalf("fewer than %d attempts since %v: %v", n, since.Format("15:04:05.000"), loop.Attempts())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	begin := time.Now()
	waitAttempts(5, begin)
	// Each change lies between two instants: an attempt that overlaps one
	// is not classified.
	healthyUntil := time.Now()
	s.SetStatus(500)
	failing := time.Now()
	waitAttempts(5, failing)
	failingUntil := time.Now()
	s.Stop()
	gone := time.Now()
	waitAttempts(5, gone)
	stopAt := time.Now()
	as := loop.Stop()
	if took := time.Since(stopAt); took > 2*time.Second {
		t.Errorf("Stop took %v", took)
	}
	select {
	case <-loop.Done():
	default:
		t.Error("Done not closed after Stop")
	}

	var healthy, status500, refused int
	for _, a := range as {
		switch {
		case a.End.Before(healthyUntil):
			if !a.OK() || a.Server != "rs2" {
				t.Errorf("before the failure: %v", a)
			}
			healthy++
		case a.Start.After(failing) && a.End.Before(failingUntil):
			if a.OK() || a.Status != 500 || a.Server != "rs2" {
				t.Errorf("while answering 500: %v", a)
			}
			status500++
		case a.Start.After(gone):
			if a.OK() || a.Status != 0 || !errors.Is(a.Err, syscall.ECONNREFUSED) {
				t.Errorf("while stopped: %v", a)
			}
			refused++
		}
	}
	if healthy < 5 || status500 < 4 || refused < 5 {
		t.Errorf("%d healthy, %d 500, %d refused attempts: %v", healthy, status500, refused, as)
	}
	if n := len(as.Failed()); n < status500+refused || n > len(as)-healthy {
		t.Errorf("Failed() has %d of %d (%d healthy, %d failing seen)", n, len(as), healthy, status500+refused)
	}
	if !strings.Contains(as.String(), "failed") {
		t.Errorf("summary: %s", as)
	}
	if again := loop.Stop(); len(again) != len(as) {
		t.Errorf("a second Stop returned %d attempts, the first %d", len(again), len(as))
	}
}

// TestHTTPLoopHangsDoNotDelayIt: with every SYN silently dropped, each
// request times out, yet they still start every 20 ms; the loop ends by
// itself at its time bound.
func TestHTTPLoopHangsDoNotDelayIt(t *testing.T) {
	netlabtest.Require(t, 0)
	netlabtest.Missing(t, netlab.MissingNft())
	client, host := linkedPair(t, "g")
	d, err := netlab.DropSYN(host, 8080)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Remove() })
	start := time.Now()
	loop, err := netlab.StartHTTPLoop(client, netlab.HTTPLoopSpec{URL: "http://" + pairB + ":8080/", For: 200 * time.Millisecond, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-loop.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("loop bounded to 200 ms still running after 5 s")
	}
	as := loop.Attempts()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("loop of 200 ms with 300 ms timeouts took %v", took)
	}
	if len(as) < 5 || len(as) > 11 || len(as.Failed()) != len(as) {
		t.Fatalf("200 ms at 20 ms against a black hole: %v", as)
	}
	for _, a := range as {
		if d := a.End.Sub(a.Start); d < 250*time.Millisecond {
			t.Errorf("attempt failed after %v, want the 300 ms timeout: %v", d, a)
		}
	}
}

func TestHTTPLoopRefusesUnboundedSpecs(t *testing.T) {
	for _, c := range []struct {
		name string
		spec netlab.HTTPLoopSpec
		want string
	}{
		{"no time bound", netlab.HTTPLoopSpec{URL: "http://10.0.0.100/"}, "bounded in time"},
		{"too long", netlab.HTTPLoopSpec{URL: "http://10.0.0.100/", For: netlab.MaxHTTPLoopFor + time.Second}, "bounded in time"},
		{"not http", netlab.HTTPLoopSpec{URL: "10.0.0.100:80", For: time.Second}, "not http://"},
		{"negative count", netlab.HTTPLoopSpec{URL: "http://10.0.0.100/", For: time.Second, Max: -1}, "negative"},
		{"negative interval", netlab.HTTPLoopSpec{URL: "http://10.0.0.100/", For: time.Second, Interval: -time.Millisecond}, "negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := netlab.StartHTTPLoop(nil, c.spec)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("StartHTTPLoop(%+v) = %v, want an error with %q", c.spec, err, c.want)
			}
		})
	}
}
