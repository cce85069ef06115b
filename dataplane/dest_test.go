package dataplane

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
)

// IPVS's dest availability: a connection carries client packets while its
// real server is in the configuration (any weight); once the server left,
// its client packets are dropped (dest_unavailable) and, with the
// service's expire_nodest_conn, the connection is removed so the client's
// next SYN is scheduled anew. Replies are never affected.

// openWeb opens a NAT connection to the web service from client port
// sport and returns the real server it went to.
func openWeb(t *testing.T, r *rig, sport uint16) netip.Addr {
	t.Helper()
	syn := tcpFrame(t, macClient, macWAN, client, sport, vip, 80, true, false, "")
	r.expectSent(syn, 0)
	return dstAddr(syn)
}

// without returns the web service's servers less rs.
func without(spec *Spec, rs netip.Addr) *Spec {
	spec.Services[0].Dests = slices.DeleteFunc(spec.Services[0].Dests, func(d DestSpec) bool { return d.Addr == rs })
	return spec
}

func clientData(t *testing.T, sport uint16) []byte {
	return tcpFrame(t, macClient, macWAN, client, sport, vip, 80, false, true, "more")
}

// A reload that keeps the server (new weights, one more service) keeps
// the connection where it was.
func TestEstablishedKeepsServerAcrossReload(t *testing.T) {
	r := newRig(t, 16, testSpec())
	first := openWeb(t, r, 40000)
	spec := testSpec(3, 3, 3)
	spec.Services = append(spec.Services, ServiceSpec{Name: "extra", VIP: vip, Proto: packet.ProtoTCP, Port: 8443, Scheduler: "rr",
		Dests: []DestSpec{{Addr: rsAddrs[0], Port: 8443, Weight: 1}}})
	r.apply(spec)
	data := clientData(t, 40000)
	r.expectSent(data, 0)
	if got := dstAddr(data); got != first {
		t.Fatalf("established flow moved from %v to %v on reload", first, got)
	}
}

func TestRemovedServerDropsClientPackets(t *testing.T) {
	for _, expire := range []bool{false, true} {
		name := "keep"
		if expire {
			name = "expire_nodest_conn"
		}
		t.Run(name, func(t *testing.T) {
			spec := testSpec(1, 1, 1)
			spec.Services[0].ExpireNodestConn = expire
			r := newRig(t, 16, spec)
			first := openWeb(t, r, 40000)
			spec = without(testSpec(1, 1, 1), first)
			spec.Services[0].ExpireNodestConn = expire
			r.apply(spec)

			// the server's replies still reach the client, while the conn lives
			if !expire {
				reply := tcpSeg(t, macRS[0], macLAN, first, 8080, client, 40000, flSYNACK, "")
				r.expectSent(reply, 1)
				if src := netip.AddrFrom4([4]byte(reply[26:30])); src != vip {
					t.Fatalf("reply left from %v, want the VIP", src)
				}
			}
			r.expectDrop(clientData(t, 40000), 0, fastpath.DropDestUnavailable)
			_, still := r.conn(client, 40000, vip, 80, packet.ProtoTCP)
			st := r.h.Counters().Lcore()
			if still == expire || st.NodestExpired != map[bool]uint64{false: 0, true: 1}[expire] {
				t.Fatalf("after the drop: conn in table %v, nodest_expired %d (expire_nodest_conn %v)", still, st.NodestExpired, expire)
			}
			if expire && (st.Live != 0 || r.h.Conns() != 0 || r.svc(0).Inactive != 0) {
				t.Fatalf("expired conn left live %d conns %d inactive %d", st.Live, r.h.Conns(), r.svc(0).Inactive)
			}

			// the client's next SYN from the same port: a new connection
			// when the old one expired; else still the gone server's
			syn := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, "")
			if !expire {
				r.expectDrop(syn, 0, fastpath.DropDestUnavailable)
				return
			}
			r.expectSent(syn, 0)
			if got := dstAddr(syn); got == first {
				t.Fatalf("rescheduled SYN went to the removed server %v", got)
			}
		})
	}
}

// Weight 0 is drain (inhibit_on_failure): the server stays available, its
// connections go on, new ones avoid it.
func TestWeightZeroKeepsExistingConns(t *testing.T) {
	spec := testSpec(1, 1, 1)
	spec.Services[0].ExpireNodestConn = true
	r := newRig(t, 16, spec)
	first := openWeb(t, r, 40000)
	spec = testSpec(1, 1, 1)
	spec.Services[0].ExpireNodestConn = true
	for i := range spec.Services[0].Dests {
		if spec.Services[0].Dests[i].Addr == first {
			spec.Services[0].Dests[i].Weight = 0
		}
	}
	r.apply(spec)
	data := clientData(t, 40000)
	r.expectSent(data, 0)
	if got := dstAddr(data); got != first {
		t.Fatalf("drained server's connection went to %v, want %v", got, first)
	}
	for sport := uint16(41000); sport < 41010; sport++ {
		if got := openWeb(t, r, sport); got == first {
			t.Fatalf("new connection from port %d went to the drained server %v", sport, got)
		}
	}
	if n := r.h.Counters().Lcore().NodestExpired; n != 0 {
		t.Fatalf("nodest_expired %d for a drained server", n)
	}
}

// A server that comes back (same service, address and port: the same id)
// carries its old connections again.
func TestReturnedServerIsAvailableAgain(t *testing.T) {
	r := newRig(t, 16, testSpec(1, 1, 1))
	first := openWeb(t, r, 40000)
	r.apply(without(testSpec(1, 1, 1), first))
	r.expectDrop(clientData(t, 40000), 0, fastpath.DropDestUnavailable)
	r.apply(testSpec(1, 1, 1))
	data := clientData(t, 40000)
	r.expectSent(data, 0)
	if got := dstAddr(data); got != first {
		t.Fatalf("connection went to %v after its server %v came back", got, first)
	}
}

// The availability bitmap follows the ids of the snapshot's dests across
// services: a server removed from one service is still available in
// another (its own id there), and removing a whole service makes its
// connections' servers unavailable.
func TestServiceRemovalMakesItsServersUnavailable(t *testing.T) {
	r := newRig(t, 16, testSpec(1, 1, 1))
	q := udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "q")
	r.expectSent(q, 0)
	openWeb(t, r, 40000)
	spec := testSpec(1, 1, 1)
	spec.Services = spec.Services[:1] // dns goes
	r.apply(spec)
	r.expectDrop(udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "q2"), 0, fastpath.DropDestUnavailable)
	r.expectSent(clientData(t, 40000), 0)
}
