package dataplane

import (
	"net/netip"
	"testing"
	"time"

	"github.com/govs-project/govs/dataplane/packet"
)

// connsRig has 30 TCP connections from client (ports 40000..40029) to the
// web service (wrr 1:2:3 over rsAddrs) and 10 UDP ones to dns.
func connsRig(t *testing.T) *rig {
	r := newRig(t, 1024, testSpec())
	for i := range 30 {
		r.expectSent(tcpFrame(t, macClient, macWAN, client, uint16(40000+i), vip, 80, true, false, ""), 0)
	}
	for i := range 10 {
		r.expectSent(udpFrame(t, macClient, macWAN, client, uint16(50000+i), vip, 53, "q"), 0)
	}
	return r
}

func TestConnListingFilters(t *testing.T) {
	r := connsRig(t)
	tables := []dumper{r.h.DumpConns}
	all := func(q ConnQuery) []Conn {
		t.Helper()
		var got []Conn
		for {
			p, err := listConns(tables, q)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, p.Conns...)
			if p.Done {
				return got
			}
			q.Cursor = p.Next
		}
	}
	rs1 := netip.AddrPortFrom(rsAddrs[2], 0) // weight 3 of 6
	for _, c := range []struct {
		name string
		q    ConnQuery
		want int
	}{
		{"everything", ConnQuery{}, 40},
		{"tcp", ConnQuery{Proto: packet.ProtoTCP}, 30},
		{"udp to the VIP's port 53", ConnQuery{Virtual: netip.AddrPortFrom(vip, 53)}, 10},
		{"the VIP, any port", ConnQuery{Virtual: netip.AddrPortFrom(vip, 0)}, 40},
		{"tcp to the weight-3 server", ConnQuery{Proto: packet.ProtoTCP, Server: rs1}, 15},
		{"state SYN_RECV, any case", ConnQuery{State: "syn_recv"}, 30},
		{"client network", ConnQuery{Client: netip.MustParsePrefix("10.0.0.0/24")}, 40},
		{"another client", ConnQuery{Client: netip.MustParsePrefix("10.0.0.3/32")}, 0},
		{"pages of 7", ConnQuery{Limit: 7}, 40},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := all(c.q); len(got) != c.want {
				t.Fatalf("%d connections, want %d", len(got), c.want)
			}
		})
	}
	got := all(ConnQuery{Proto: packet.ProtoUDP, Limit: 1})
	c := got[0]
	if c.Proto != "udp" || c.State != "UDP" || c.Client.Addr() != client || c.Virtual != netip.AddrPortFrom(vip, 53) || c.Method != "nat" {
		t.Errorf("a listed UDP connection: %+v", c)
	}
	if c.ExpiresIn <= 0 || c.ExpiresIn > 300*time.Second {
		t.Errorf("a new UDP connection expires in %v, want within the UDP timeout", c.ExpiresIn)
	}
	if _, err := listConns(tables, ConnQuery{State: "BOGUS"}); err == nil {
		t.Error("an unknown state was accepted")
	}
}

// A page ends where the scan budget or the limit ends it, and the cursor
// carries on across workers without losing or repeating a connection.
func TestConnListingPagesAcrossWorkers(t *testing.T) {
	r := connsRig(t)
	tables := []dumper{r.h.DumpConns, r.h.DumpConns, r.h.DumpConns} // three workers, the same table
	q := ConnQuery{Limit: 11}
	seen := map[ConnCursor]bool{}
	total, pages := 0, 0
	for {
		p, err := listConns(tables, q)
		if err != nil {
			t.Fatal(err)
		}
		if seen[p.Next] && !p.Done {
			t.Fatalf("cursor %v came back: the listing would loop", p.Next)
		}
		seen[p.Next] = true
		if len(p.Conns) > 11 {
			t.Fatalf("page of %d, limit 11", len(p.Conns))
		}
		total += len(p.Conns)
		pages++
		if p.Done {
			break
		}
		q.Cursor = p.Next
	}
	if total != 120 || pages < 11 {
		t.Errorf("%d connections in %d pages, want 120 in at least 11", total, pages)
	}
}
