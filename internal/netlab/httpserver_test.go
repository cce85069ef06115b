package netlab_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/internal/netlab/netlabtest"
)

// TestHTTPServerFailsStopsAndComesBack walks a real server through what
// health-check tests do to it: healthy, answering 500, gone (connections
// closed, new ones refused), back on the same address.
func TestHTTPServerFailsStopsAndComesBack(t *testing.T) {
	netlabtest.Require(t, 0)
	client, host := linkedPair(t, "h")
	s, err := netlab.StartHTTPServer(host, ":8080", "rs7")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	url := "http://" + pairB + ":8080/health"
	get := func() (string, error) { return netlab.HTTPGetNewConn(client, url, 3*time.Second) }

	if body, err := get(); err != nil || body != "rs7" {
		t.Fatalf("healthy GET: %q %v", body, err)
	}
	if err := s.SetStatus(500); err != nil {
		t.Fatal(err)
	}
	if body, err := get(); err == nil || !strings.Contains(err.Error(), "500") || body != "rs7" {
		t.Errorf("GET while answering 500: body %q, err %v; want body rs7 and a 500 error", body, err)
	}

	// A connection open at Stop is closed by the server, as by a dying
	// process; new connections are refused.
	open, err := client.Dial("tcp", pairB+":8080", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	addr := s.Addr()
	s.Stop()
	s.Stop() // twice is harmless
	if s.Running() {
		t.Error("Running after Stop")
	}
	open.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := open.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read on a connection open at Stop: %v, want EOF or reset", err)
	}
	if _, err := get(); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET while stopped: %v, want connection refused", err)
	}

	if err := s.Start(); err != nil {
		t.Fatalf("restart on %s: %v", addr, err)
	}
	if s.Addr() != addr {
		t.Errorf("restarted on %s, was %s", s.Addr(), addr)
	}
	if err := s.Start(); err == nil {
		t.Error("Start of a running server accepted")
	}
	if _, err := get(); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("GET after restart: %v, want the status set before (500) kept", err)
	}
	s.SetStatus(200)
	if body, err := get(); err != nil || body != "rs7" {
		t.Errorf("GET after restart and SetStatus(200): %q %v", body, err)
	}
	if n := s.Requests("/health"); n != 4 {
		t.Errorf("Requests(/health) = %d, want the 4 answered", n)
	}
	for _, bad := range []int{0, 99, 600} {
		if err := s.SetStatus(bad); err == nil {
			t.Errorf("SetStatus(%d) accepted", bad)
		}
	}
}

// A server on port 0 keeps the port it was given across a restart.
func TestHTTPServerKeepsAnEphemeralPort(t *testing.T) {
	netlabtest.Require(t, 0)
	ns := newNS(t, "hp")
	s, err := netlab.StartHTTPServer(ns, "127.0.0.1:0", "lo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	addr := s.Addr()
	if _, port, _ := net.SplitHostPort(addr); port == "0" || port == "" {
		t.Fatalf("Addr %q after start, want the bound port", addr)
	}
	s.Stop()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Errorf("restarted on %s, was %s", s.Addr(), addr)
	}
	if body, err := netlab.HTTPGetNewConn(ns, "http://"+addr+"/", 3*time.Second); err != nil || body != "lo" {
		t.Errorf("GET after restart: %q %v", body, err)
	}
}
