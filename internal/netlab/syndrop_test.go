package netlab_test

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/internal/netlab/netlabtest"
)

// TestDropSYNIsSilentAndSparesEstablished: while SYNs to a port are
// dropped, a new connection times out (no RST), one established before
// keeps working, other ports are untouched, and Remove lets SYNs in again.
func TestDropSYNIsSilentAndSparesEstablished(t *testing.T) {
	netlabtest.Require(t, 0)
	netlabtest.Missing(t, netlab.MissingNft())
	client, host := linkedPair(t, "y")
	for _, serve := range []func() (func(), error){
		func() (func(), error) { return netlab.ServeTCPEchoIdent(host, ":7000", "rs") },
		func() (func(), error) { return netlab.ServeHTTP(host, ":8080", "rs") },
	} {
		stop, err := serve()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	echo := pairB + ":7000"
	established, err := netlab.DialLine(client, echo, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer established.Close()

	d, err := netlab.DropSYN(host, 7000)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Remove() })
	start := time.Now()
	c, err := client.Dial("tcp", echo, 1500*time.Millisecond)
	var ne net.Error
	if err == nil {
		c.Close()
		t.Fatal("connected through a SYN drop")
	} else if !errors.As(err, &ne) || !ne.Timeout() || time.Since(start) < time.Second {
		t.Errorf("dial through a SYN drop: %v after %v, want a timeout (silent drop, no RST)", err, time.Since(start))
	}
	if got, err := established.Exchange("still", 3*time.Second); err != nil || got != "rs:still" {
		t.Errorf("established connection during the drop: %q %v", got, err)
	}
	if body, err := netlab.HTTPGetNewConn(client, "http://"+pairB+":8080/", 3*time.Second); err != nil || body != "rs" {
		t.Errorf("another port during the drop: %q %v", body, err)
	}
	if n, err := d.Dropped(); err != nil || n == 0 {
		t.Errorf("Dropped() = %d, %v; want the SYNs counted", n, err)
	}
	if _, err := netlab.DropSYN(host, 7000); err == nil {
		t.Error("a second DropSYN of the same port accepted")
	}

	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(); err != nil {
		t.Errorf("second Remove: %v", err)
	}
	lc, err := netlab.DialLine(client, echo, 3*time.Second)
	if err != nil {
		t.Fatalf("dial after Remove: %v", err)
	}
	lc.Close()
}

func TestDropSYNRefusesBadPorts(t *testing.T) {
	for _, port := range []int{0, -1, 65536} {
		if _, err := netlab.DropSYN(nil, port); err == nil {
			t.Errorf("DropSYN(port %d) accepted", port)
		}
	}
}
