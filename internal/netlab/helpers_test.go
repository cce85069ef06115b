package netlab_test

import (
	"testing"

	"github.com/govs-project/govs/internal/netlab"
)

// pairA and pairB are the addresses of linkedPair's namespaces.
const (
	pairA = "192.168.79.1"
	pairB = "192.168.79.2"
)

// linkedPair returns two namespaces joined by a veth pair, both ends eth0:
// a with pairA/24, b with pairB/24.
func linkedPair(t *testing.T, suffix string) (a, b *netlab.NS) {
	t.Helper()
	a, b = newNS(t, suffix+"a"), newNS(t, suffix+"b")
	if _, err := a.IP("link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b.Name); err != nil {
		t.Fatal(err)
	}
	if err := a.ConfigureLink("eth0", pairA+"/24", ""); err != nil {
		t.Fatal(err)
	}
	if err := b.ConfigureLink("eth0", pairB+"/24", ""); err != nil {
		t.Fatal(err)
	}
	return a, b
}
