package e2e

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// TestNATUDP: the UDP service answers from VIP:53 (the reply is un-NATed)
// and round-robin spreads new flows (new client ports) over all servers.
func TestNATUDP(t *testing.T) {
	env := natLab(t)
	const n = 12
	addr := vip + ":53"
	per := map[string]int{}
	retries := 0
	for i := range n {
		payload := fmt.Sprintf("q%d", i)
		var reply string
		var peer netip.AddrPort
		var err error
		// A lost datagram is not retransmitted by UDP: allow one retry
		// (from a new socket, i.e. a new flow) and report it.
		for try := range 2 {
			reply, peer, err = netlab.UDPRequest(env.lab.Client, addr, payload, 2*time.Second)
			if err == nil {
				break
			}
			if try == 0 {
				retries++
			}
		}
		if err != nil {
			t.Fatalf("request %d to %s: %v", i, addr, err)
		}
		if peer.String() != addr {
			t.Errorf("request %d: reply came from %s, want %s", i, peer, addr)
		}
		ident, got, ok := strings.Cut(reply, ":")
		if !ok || got != payload {
			t.Errorf("request %d: reply %q, want <rs>:%s", i, reply, payload)
		}
		per[ident]++
	}
	t.Logf("answers per server %v, retries %d", per, retries)
	if retries > 1 {
		t.Errorf("%d of %d UDP requests needed a retry", retries, n)
	}
	for _, s := range env.lab.Servers {
		if per[s.Ident] == 0 {
			t.Errorf("%s never answered: rr should spread %d flows over all servers (got %v)", s.Ident, n, per)
		}
	}
}
