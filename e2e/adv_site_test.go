package e2e

import (
	"net"
	"testing"

	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/internal/netlab"
)

// advSite is a lab as the adversarial tests see it: where forged frames
// enter (the client's link to the director, each real server's eth0) and
// the Ethernet addresses on both sides.
type advSite struct {
	env       *labEnv
	client    *netlab.NS
	clientIf  string // the client's link towards the director
	clientMAC net.HardwareAddr
	wanPort   string           // the name of the director's port on the client's side
	wanMAC    net.HardwareAddr // its MAC
	lanMAC    net.HardwareAddr // ... on the servers' side (DR: the same port)
	servers   []*netlab.Server
	serverMAC map[string]net.HardwareAddr // by ident
}

// natSite is the shared NAT lab: the client holds the director's WAN tap.
func natSite(t *testing.T) (*natEnv, *advSite) {
	t.Helper()
	env := natLab(t)
	return env, newSite(t, &env.labEnv, env.lab.Client, env.base.Ports[0].Iface, env.lab.Servers, "wan", "lan")
}

// drSite is the shared DR lab: one segment, the director's one port.
func drSite(t *testing.T) (*dsrEnv, *advSite) {
	t.Helper()
	env := drLab(t)
	return env, newSite(t, &env.labEnv, env.lab.Client, "eth0", env.lab.Servers, "wan", "wan")
}

func newSite(t *testing.T, env *labEnv, client *netlab.NS, clientIf string, servers []*netlab.Server, wan, lan string) *advSite {
	t.Helper()
	st, err := env.d.admin.Status()
	if err != nil {
		t.Fatal(err)
	}
	s := &advSite{env: env, client: client, clientIf: clientIf, wanPort: wan, servers: servers, serverMAC: map[string]net.HardwareAddr{}}
	s.wanMAC, s.lanMAC = mustMAC(t, portMAC(t, st, wan)), mustMAC(t, portMAC(t, st, lan))
	if s.clientMAC, err = client.HardwareAddr(clientIf); err != nil {
		t.Fatal(err)
	}
	for _, rs := range servers {
		if s.serverMAC[rs.Ident], err = rs.NS.HardwareAddr("eth0"); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func mustMAC(t *testing.T, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatalf("MAC %q: %v", s, err)
	}
	return m
}

// fromClient is the Ethernet header of a frame the client sends to the
// director; fromServer that of one a real server sends to it.
func (s *advSite) fromClient() *layers.Ethernet { return eth(s.clientMAC, s.wanMAC) }
func (s *advSite) fromServer(rs *netlab.Server) *layers.Ethernet {
	return eth(s.serverMAC[rs.Ident], s.lanMAC)
}
