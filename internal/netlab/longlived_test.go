package netlab_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/internal/netlab/netlabtest"
)

// TestLongLivedSeesServerAndFailure: connections to an echo server live
// and name it; when the server goes, each reports the failure.
func TestLongLivedSeesServerAndFailure(t *testing.T) {
	netlabtest.Require(t, 0)
	client, host := linkedPair(t, "ll")
	stop, err := netlab.ServeTCPEchoIdent(host, ":7000", "rsX")
	if err != nil {
		t.Fatal(err)
	}
	l, err := netlab.StartLongLived(client, netlab.LongLivedSpec{Target: pairB + ":7000", Conns: 5, Interval: 10 * time.Millisecond,
		Patience: time.Second, For: 30 * time.Second})
	if err != nil {
		stop()
		t.Fatal(err)
	}
	// from zero: each has done at least 5 round trips
	if now := l.AwaitExchanges(context.Background(), make([]netlab.LongLivedConn, 5), 4, 5*time.Second); !allAbove(now, 4) {
		t.Fatalf("connections did not exchange 5 messages each in 5 s: %v", now)
	}
	if alive, err := netlab.LongLivedAlive(l.Snapshot()); alive != 5 || err != nil {
		t.Fatalf("alive %d of 5 (%v)", alive, err)
	}
	for _, c := range l.Snapshot() {
		if c.Server != "rsX" {
			t.Fatalf("connection answered by %q, want rsX", c.Server)
		}
	}
	stop() // closes every connection: each exchange fails
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if alive, _ := netlab.LongLivedAlive(l.Snapshot()); alive == 0 {
			break
		}
	}
	res := l.Stop()
	alive, err := netlab.LongLivedAlive(res)
	if alive != 0 || err == nil || !strings.Contains(err.Error(), "FAILED") {
		t.Fatalf("after the server closed them: alive %d, err %v; want 0 and failures", alive, err)
	}
}

func allAbove(cs []netlab.LongLivedConn, n int) bool {
	for _, c := range cs {
		if c.Messages <= n {
			return false
		}
	}
	return true
}
