package dataplane

import (
	"net/netip"
	"testing"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
)

// closeNAT runs a NAT connection from client port sport through a full
// close (server FIN first), leaving the director's entry in TIME_WAIT, and
// returns the server it went to.
func closeNAT(t *testing.T, r *rig, sport uint16) netip.Addr {
	t.Helper()
	syn := tcpFrame(t, macClient, macWAN, client, sport, vip, 80, true, false, "")
	r.expectSent(syn, 0)
	rs := dstAddr(syn)
	r.expectSent(tcpSeg(t, macRS[0], macLAN, rs, 8080, client, sport, flSYNACK, ""), 1)
	r.expectSent(tcpSeg(t, macClient, macWAN, client, sport, vip, 80, flACK, ""), 0)
	r.expectSent(tcpSeg(t, macRS[0], macLAN, rs, 8080, client, sport, flFINACK, ""), 1)
	r.expectSent(tcpSeg(t, macClient, macWAN, client, sport, vip, 80, flFINACK, ""), 0)
	if c, _ := r.conn(client, sport, vip, 80, packet.ProtoTCP); c.State != StateTimeWait {
		t.Fatalf("after the close the entry is %s, want TIME_WAIT", StateName(c.State))
	}
	return rs
}

// IPVS's conn_reuse_mode=1: a SYN on a TIME_WAIT entry is a new
// connection: scheduled (so a drained server gets none), counted.
func TestSYNOnTimeWaitReschedules(t *testing.T) {
	r := newRig(t, 64, testSpec(1, 1, 1))
	first := closeNAT(t, r, 40000)
	spec := testSpec(1, 1, 1)
	for i, a := range rsAddrs {
		if a == first {
			spec.Services[0].Dests[i].Weight = 0
		}
	}
	r.apply(spec)
	before := r.svc(0).Conns
	syn := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, "")
	r.expectSent(syn, 0)
	if got := dstAddr(syn); got == first {
		t.Fatalf("reused port went to %v again although it was set to weight 0", got)
	}
	if r.svc(0).Conns != before+1 {
		t.Fatalf("service conns %d -> %d, want +1", before, r.svc(0).Conns)
	}
	st := r.h.Counters().Lcore()
	if st.Reused != 1 || st.Live != 1 || r.h.Conns() != 1 {
		t.Fatalf("reused %d live %d conns %d", st.Reused, st.Live, r.h.Conns())
	}
	var inactive uint64
	for d := range rsAddrs {
		inactive += r.rs(0, d).Inactive
	}
	if inactive != 1 {
		t.Fatalf("inactive gauges sum to %d, want 1 (the old entry's removed)", inactive)
	}
}

// A SYN on an entry in any other state (a retransmission) keeps it.
func TestSYNOnLiveEntryKeepsIt(t *testing.T) {
	r := newRig(t, 64, testSpec(1, 1, 1))
	syn := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, "")
	r.expectSent(syn, 0)
	first := dstAddr(syn)
	again := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, "")
	r.expectSent(again, 0)
	if dstAddr(again) != first || r.svc(0).Conns != 1 || r.h.Counters().Lcore().Reused != 0 {
		t.Fatalf("retransmitted SYN went to %v (first %v), conns %d", dstAddr(again), first, r.svc(0).Conns)
	}
}

// Within one burst, a retransmitted SYN finds the connection its first
// copy created, and a reuse does not leave a later packet of the burst
// with the removed entry.
func TestBurstSeesItsOwnChanges(t *testing.T) {
	r := newRig(t, 64, testSpec(1, 1, 1))
	syn := tcpFrame(t, macClient, macWAN, client, 41000, vip, 80, true, false, "")
	out := r.h.Burst([][]byte{syn, syn, syn}, 0)
	for i, o := range out {
		if o.Verdict != fastpath.VerdictSent || dstAddr(o.Frame) != dstAddr(out[0].Frame) {
			t.Fatalf("copy %d: %v to %v", i, o.Verdict, dstAddr(o.Frame))
		}
	}
	if r.svc(0).Conns != 1 {
		t.Fatalf("one flow made %d connections", r.svc(0).Conns)
	}
	closeNAT(t, r, 42000)
	syn2 := tcpFrame(t, macClient, macWAN, client, 42000, vip, 80, true, false, "")
	ack := tcpSeg(t, macClient, macWAN, client, 42000, vip, 80, flACK, "")
	out = r.h.Burst([][]byte{syn2, ack}, 0)
	if out[0].Verdict != fastpath.VerdictSent || out[1].Verdict != fastpath.VerdictSent || dstAddr(out[0].Frame) != dstAddr(out[1].Frame) {
		t.Fatalf("after reuse in a burst: %v to %v, %v to %v", out[0].Verdict, dstAddr(out[0].Frame), out[1].Verdict, dstAddr(out[1].Frame))
	}
}

// Every drop reason has a unique snake_case label, and the labels the
// metrics and govsctl show are the ones they always were.
func TestDropNames(t *testing.T) {
	seen := map[string]bool{}
	for d := Drop(0); d < NumDrops; d++ {
		n := d.String()
		for _, c := range n {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
				t.Fatalf("drop %d label %q is not snake_case", d, n)
			}
		}
		if n == "" || seen[n] {
			t.Fatalf("drop %d label %q empty or repeated", d, n)
		}
		seen[n] = true
	}
	for d, want := range map[Drop]string{
		fastpath.DropNone: "none", fastpath.DropTruncated: "truncated", fastpath.DropBadChecksum: "bad_ip_checksum",
		fastpath.DropNoConn: "no_conn", fastpath.DropNeighUnresolved: "neigh_unresolved", fastpath.DropTxFull: "tx_full",
		fastpath.DropTooBig: "too_big", fastpath.DropTooBigNoDF: "too_big_no_df", fastpath.DropPuntFull: "punt_full",
	} {
		if d.String() != want {
			t.Errorf("drop %d is %q, want %q", d, d.String(), want)
		}
	}
	if Drop(NumDrops).String() != "unknown" {
		t.Error("out-of-range drop has a name")
	}
	for m := range fastpath.NumMethods {
		if got := fastpath.MethodName(uint8(m)); got != Method(m).String() {
			t.Errorf("method %d: fast path calls it %q, lb %q", m, got, Method(m).String())
		}
	}
	for s, want := range map[uint8]string{StateNone: "NONE", StateEstablished: "ESTABLISHED", StateTimeWait: "TIME_WAIT", StateSynAck: "SYNACK", StateUDP: "UDP"} {
		if StateName(s) != want {
			t.Errorf("state %d is %q, want %q", s, StateName(s), want)
		}
	}
}

// rr gives servers in arrival order even when a SYN's lookup meets a
// candidate of another key (the tag also picks the home slot, so in a big
// table neighbouring slots share its high bits): every new connection is
// scheduled, in order, before the burst is finished.
func TestSchedulingKeepsArrivalOrder(t *testing.T) {
	spec := testSpec()
	spec.Services[0].Scheduler = "rr"
	const n = 1 << 18 // at this size several SYNs meet a foreign candidate
	r := newRig(t, n+n/10, spec)
	syns := make([][]byte, n)
	for i := range syns {
		syns[i] = tcpFrame(t, macClient, macWAN, netip.AddrFrom4([4]byte{10, 0, 0, byte(2 + i/60000)}), uint16(1024+i%60000), vip, 80, true, false, "")
	}
	for c := 3; c < 8; c++ {
		r.learn(netip.AddrFrom4([4]byte{10, 0, 0, byte(c)}), macClient, 0)
	}
	for b := 0; b < n; b += 32 {
		for j, o := range r.h.Burst(syns[b:b+32], 0) {
			if got, want := dstAddr(o.Frame), rsAddrs[(b+j)%3]; o.Verdict != fastpath.VerdictSent || got != want {
				t.Fatalf("SYN %d went %v to %v, want %v (rr in arrival order)", b+j, o.Verdict, got, want)
			}
		}
	}
}

// A server's reply in the same burst as its connection's SYN, or behind
// another connection's, finds its connection: what a one-port director
// (client and servers on one segment, as the benchmark's pcap port) sees.
func TestReplyInTheBurstOfItsSYN(t *testing.T) {
	spec := testSpec(1, 1, 1)
	spec.Ports = spec.Ports[:1]
	for i := range spec.Services {
		for j := range spec.Services[i].Dests {
			spec.Services[i].Dests[j].Addr = netip.AddrFrom4([4]byte{10, 0, 0, byte(11 + j)})
		}
	}
	spec.Services[0].Scheduler = "rr"
	r := newRig(t, 64, spec)
	servers := []netip.Addr{netip.MustParseAddr("10.0.0.11"), netip.MustParseAddr("10.0.0.12"), netip.MustParseAddr("10.0.0.13")}
	for i, a := range servers {
		r.learn(a, macRS[i], 0)
	}
	syn := tcpFrame(t, macClient, macWAN, client, 43000, vip, 80, true, false, "")
	first := r.h.Burst([][]byte{syn}, 0)[0]
	reply := tcpSeg(t, macRS[0], macWAN, dstAddr(first.Frame), 8080, client, 43000, flSYNACK, "")
	syn2 := tcpFrame(t, macClient, macWAN, client, 43001, vip, 80, true, false, "")
	out := r.h.Burst([][]byte{syn2, reply}, 0)
	if out[1].Verdict != fastpath.VerdictSent {
		t.Fatalf("reply of an existing connection behind a new one in its burst: %v %v", out[1].Verdict, out[1].Drop)
	}
	next := servers[0]
	for i, a := range servers { // the server rr gives the next connection
		if a == dstAddr(out[0].Frame) {
			next = servers[(i+1)%3]
		}
	}
	syn3 := tcpFrame(t, macClient, macWAN, client, 43002, vip, 80, true, false, "")
	reply3 := tcpSeg(t, macRS[0], macWAN, next, 8080, client, 43002, flSYNACK, "")
	out = r.h.Burst([][]byte{syn3, reply3}, 0)
	if out[0].Verdict != fastpath.VerdictSent || dstAddr(out[0].Frame) != next || out[1].Verdict != fastpath.VerdictSent {
		t.Fatalf("SYN to %v and its reply in one burst: %v, %v %v", dstAddr(out[0].Frame), out[0].Verdict, out[1].Verdict, out[1].Drop)
	}
}

// Two services of one VIP NAT to the same server port: a client that
// reuses its port for the second one gives the new connection the first
// one's reply tuple. While the first is live the SYN is refused
// (reply_tuple_taken: its replies would be the other's); once it is
// closed (TIME_WAIT) it gives way, as conn_reuse_mode lets it.
func TestSYNToAnotherServiceOnAClosedReplyTuple(t *testing.T) {
	spec := testSpec(1, 0, 0) // web: only rsAddrs[0]
	alt := spec.Services[0]
	alt.Name, alt.Port = "alt", 81
	spec.Services = append(spec.Services, alt)
	r := newRig(t, 64, spec)

	r.expectSent(tcpFrame(t, macClient, macWAN, client, 40001, vip, 80, true, false, ""), 0)
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 40001, vip, 81, true, false, ""), 0, fastpath.DropReplyTupleTaken)

	closeNAT(t, r, 40002)
	reused := r.h.Counters().Lcore().Reused
	syn := tcpFrame(t, macClient, macWAN, client, 40002, vip, 81, true, false, "")
	r.expectSent(syn, 0)
	if got := r.h.Counters().Lcore().Reused; got != reused+1 {
		t.Errorf("reused %d -> %d, want one more", reused, got)
	}
	if c, ok := r.conn(client, 40002, vip, 81, packet.ProtoTCP); !ok || c.VPort != 81 {
		t.Fatalf("the new connection to :81: %+v, %v", c, ok)
	}
	if _, ok := r.conn(client, 40002, vip, 80, packet.ProtoTCP); ok {
		t.Error("the closed connection to :80 is still in the table")
	}
}
