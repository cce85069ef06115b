package dataplane

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
)

// The schedulers as the lcore runs them, through the harness: SYNs from
// distinct clients, the real server each one reached.

// schedDest is real server i of the scheduler tests: 10.1.0.11 + i.
func schedDest(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 1, 0, byte(11 + i)}) }

// schedClient is client i: beyond the wan port (rp_filter is off here).
func schedClient(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{172, 16 + byte(i>>16), byte(i >> 8), byte(i)})
}

type schedCase struct {
	scheduler string
	weights   []uint32
	flags     []string
	mhSize    uint32
}

func (c schedCase) spec() *Spec {
	web := ServiceSpec{Name: "web", VIP: vip, Proto: packet.ProtoTCP, Port: 80, Scheduler: c.scheduler,
		SchedulerFlags: c.flags, MHTableSize: c.mhSize}
	for i, w := range c.weights {
		web.Dests = append(web.Dests, DestSpec{Addr: schedDest(i), Port: 8080, Weight: w})
	}
	sec := testSecurity
	sec.RPFilter = RPOff
	return &Spec{Ports: testPorts(), Services: []ServiceSpec{web}, Timeouts: testTimeouts, Security: sec}
}

func newSchedRig(t testing.TB, capacity int, c schedCase) *rig {
	t.Helper()
	r := newRig(t, capacity, c.spec())
	for i := range c.weights {
		r.learn(schedDest(i), packet.MAC{0x02, 0, 0, 0, 1, byte(i)}, 1)
	}
	return r
}

// syn opens a connection from client:sport and returns the index of the
// real server it went to, or -1 when it was dropped for no_dest.
func (r *rig) syn(client netip.Addr, sport uint16) int {
	r.t.Helper()
	o := r.run(tcpFrame(r.t, macClient, macWAN, client, sport, vip, 80, true, false, ""), 0)
	if o.Verdict == fastpath.VerdictDropped && o.Drop == fastpath.DropNoDest {
		return -1
	}
	if o.Verdict != fastpath.VerdictSent {
		r.t.Fatalf("SYN from %v:%d: verdict %v drop %v", client, sport, o.Verdict, o.Drop)
	}
	d := dstAddr(o.Frame)
	for i := 0; ; i++ {
		if schedDest(i) == d {
			return i
		}
		if i > 255 {
			r.t.Fatalf("SYN went to %v, no real server", d)
		}
	}
}

// establish completes client:sport's handshake: its connection counts
// as active (ESTABLISHED) from now on.
func (r *rig) establish(client netip.Addr, sport uint16) {
	r.t.Helper()
	r.expectSent(tcpSeg(r.t, macClient, macWAN, client, sport, vip, 80, flACK, ""), 0)
}

// TestSchedulerSequences checks each connection-count scheduler's choices
// against IPVS's definition, worked by hand: overhead = active*256 +
// inactive (lc, wlc, twos), (active+1)/weight (sed, nq), the first on a
// tie. With est the handshake completes after each SYN (active), without
// it connections stay SYN_RECV (inactive).
func TestSchedulerSequences(t *testing.T) {
	for _, tc := range []struct {
		schedCase
		est  bool
		want []int
	}{
		{schedCase{scheduler: "lc", weights: []uint32{1, 1, 1}}, false, []int{0, 1, 2, 0, 1, 2}},
		{schedCase{scheduler: "lc", weights: []uint32{1, 0, 5}}, false, []int{0, 2, 0, 2}},
		// lc ignores weights: the first establishes (256) and the others
		// fill with inactive ones first.
		{schedCase{scheduler: "lc", weights: []uint32{1, 1, 1}}, true, []int{0, 1, 2, 0, 1, 2}},
		{schedCase{scheduler: "wlc", weights: []uint32{1, 2, 3}}, false, []int{0, 1, 2, 2, 1, 2, 0}},
		{schedCase{scheduler: "wlc", weights: []uint32{0, 1}}, false, []int{1, 1, 1}},
		// sed without active connections: (0+1)/w is least at the heaviest.
		{schedCase{scheduler: "sed", weights: []uint32{1, 2, 3}}, false, []int{2, 2, 2, 2}},
		// 1/1 1/2 1/3 -> 2; 1/1 1/2 2/3 -> 1; 1/1 2/2 2/3 -> 2; 1/1 2/2 3/3 -> 0
		{schedCase{scheduler: "sed", weights: []uint32{1, 2, 3}}, true, []int{2, 1, 2, 0}},
		// nq: an idle server at once (inactive ones do not count) ...
		{schedCase{scheduler: "nq", weights: []uint32{1, 2, 3}}, false, []int{0, 0, 0}},
		// ... then as sed: 2/1 2/2 2/3 -> 2
		{schedCase{scheduler: "nq", weights: []uint32{1, 2, 3}}, true, []int{0, 1, 2, 2}},
		{schedCase{scheduler: "nq", weights: []uint32{0, 2}}, true, []int{1, 1}},
		{schedCase{scheduler: "fo", weights: []uint32{1, 3, 3, 2}}, true, []int{1, 1, 1}},
		{schedCase{scheduler: "fo", weights: []uint32{0, 0}}, false, []int{-1}},
		// ovf: the heaviest while its active count is at most its weight,
		// then the next: none left is no_dest.
		{schedCase{scheduler: "ovf", weights: []uint32{1, 3}}, true, []int{1, 1, 1, 1, 0, 0, -1}},
		{schedCase{scheduler: "twos", weights: []uint32{0, 4, 0}}, false, []int{1, 1, 1, 1}},
		{schedCase{scheduler: "twos", weights: []uint32{0, 0}}, false, []int{-1}},
		// lblc: the VIP's server until it has more active connections than
		// its weight while another has fewer than half its own, then wlc's.
		{schedCase{scheduler: "lblc", weights: []uint32{2, 2}}, true, []int{0, 0, 0, 1, 1, 1, 1}},
		// lblcr: the overloaded server's replacement joins the set, and
		// the least loaded of the set serves (0 again on the tie).
		{schedCase{scheduler: "lblcr", weights: []uint32{2, 2}}, true, []int{0, 0, 0, 1, 1, 1, 0}},
		{schedCase{scheduler: "lblc", weights: []uint32{0, 0}}, false, []int{-1, -1}},
	} {
		r := newSchedRig(t, 64, tc.schedCase)
		var got []int
		for i := range tc.want {
			got = append(got, r.syn(schedClient(i), 1000))
			if tc.est && got[i] >= 0 {
				r.establish(schedClient(i), 1000)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %v est=%v: picks %v, want %v", tc.scheduler, tc.weights, tc.est, got, tc.want)
		}
	}
}

// The counts the lc family reads are this lcore's, as ipvsadm shows
// them: an established connection weighs 256 half-open ones, so lc sends
// 255 connections elsewhere before the established server's turn.
func TestLeastConnOverhead(t *testing.T) {
	r := newSchedRig(t, 1024, schedCase{scheduler: "lc", weights: []uint32{1, 1}})
	if d := r.syn(schedClient(0), 1); d != 0 {
		t.Fatalf("first SYN to %d", d)
	}
	r.establish(schedClient(0), 1)
	for i := 1; i <= 256; i++ {
		if d := r.syn(schedClient(i), 1); d != 1 {
			t.Fatalf("SYN %d went to %d: server 1 had %d inactive < 256", i, d, i-1)
		}
	}
	// 256 == 256: the tie goes to the first.
	if d := r.syn(schedClient(257), 1); d != 0 {
		t.Fatalf("SYN 257 went to %d, want 0 (overheads equal)", d)
	}
	if st := r.rs(0, 1); st.Inactive != 256 || st.Active != 0 {
		t.Errorf("server 1 counts %+v", st)
	}
}

// twos draws two servers by weight and keeps the less loaded: with
// weights 1:3 the loads per weight stay close, so the shares do too.
func TestTwoChoicesDistribution(t *testing.T) {
	r := newSchedRig(t, 4096, schedCase{scheduler: "twos", weights: []uint32{1, 3}})
	n := [2]int{}
	for i := range 2000 {
		n[r.syn(schedClient(i), 1)]++
	}
	if n[0] < 450 || n[0] > 550 {
		t.Errorf("shares %v, want about 500:1500", n)
	}
}

// picks opens one connection per client (ports from sport) and returns
// the server of each.
func (r *rig) picks(clients int, sport func(i int) uint16) []int {
	out := make([]int, clients)
	for i := range out {
		out[i] = r.syn(schedClient(i), sport(i))
	}
	return out
}

func port(p uint16) func(int) uint16 { return func(int) uint16 { return p } }

// shCase is sh over three servers, with flag when on.
func shCase(on bool, flag string) schedCase {
	c := schedCase{scheduler: "sh", weights: []uint32{1, 1, 1}}
	if on {
		c.flags = []string{flag}
	}
	return c
}

// sh: a client sticks to its server whatever its source port; with
// sh-port its ports spread.
func TestSourceHashAffinity(t *testing.T) {
	for _, withPort := range []bool{false, true} {
		r := newSchedRig(t, 4096, shCase(withPort, "sh-port"))
		first := r.picks(200, port(1000))
		moved, used := 0, map[int]int{}
		for p := uint16(1001); p < 1005; p++ {
			for i, d := range r.picks(200, port(p)) {
				used[d]++
				if d != first[i] {
					moved++
				}
			}
		}
		if len(used) != 3 || used[-1] != 0 {
			t.Errorf("sh-port=%v: servers used %v, want all three", withPort, used)
		}
		if !withPort && moved != 0 {
			t.Errorf("sh: %d connections of a client went to another server than its first", moved)
		}
		if withPort && moved < 200 {
			t.Errorf("sh-port: only %d of 800 connections left their client's first server", moved)
		}
	}
}

// Weight 0 drains under sh: its clients get no server, or with
// sh-fallback another one, while everyone else's stays.
func TestSourceHashDrain(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		c := shCase(fallback, "sh-fallback")
		r := newSchedRig(t, 4096, c)
		before := r.picks(300, port(1))
		c.weights[1] = 0
		r.apply(c.spec())
		after := r.picks(300, port(2))
		for i := range before {
			switch {
			case before[i] != 1 && after[i] != before[i]:
				t.Fatalf("fallback=%v: client %d moved from %d to %d", fallback, i, before[i], after[i])
			case before[i] == 1 && !fallback && after[i] != -1:
				t.Fatalf("client %d of the drained server got %d, want no_dest", i, after[i])
			case before[i] == 1 && fallback && (after[i] == -1 || after[i] == 1):
				t.Fatalf("client %d of the drained server got %d, want a fallback", i, after[i])
			}
		}
	}
}

// dh hashes the destination: one VIP, one server; drained, none.
func TestDestHash(t *testing.T) {
	c := schedCase{scheduler: "dh", weights: []uint32{1, 1, 1}}
	r := newSchedRig(t, 256, c)
	got := r.picks(50, port(7))
	if slices.ContainsFunc(got, func(d int) bool { return d != got[0] || d < 0 }) {
		t.Fatalf("dh picks %v, want one server", got)
	}
	c.weights[got[0]] = 0
	r.apply(c.spec())
	if d := r.syn(schedClient(99), 7); d != -1 {
		t.Errorf("drained dh server: SYN went to %d", d)
	}
}

// mh, as the done-when: of 10k clients, removing one of five
// servers moves the removed server's fifth and few more.
func TestMaglevStability(t *testing.T) {
	const clients = 10000
	c := schedCase{scheduler: "mh", weights: []uint32{1, 1, 1, 1, 1}}
	r := newSchedRig(t, 3*clients, c)
	before := r.picks(clients, port(1))
	shares := map[int]int{}
	for _, d := range before {
		shares[d]++
	}
	for d := range 5 {
		if shares[d] < clients/5*8/10 || shares[d] > clients/5*12/10 {
			t.Errorf("server %d has %d of %d clients, want about a fifth", d, shares[d], clients)
		}
	}
	// Server 4 leaves: the rest keep their addresses (and so their
	// permutations) and their indices.
	c.weights = c.weights[:4]
	r.apply(c.spec())
	after := r.picks(clients, port(2))
	moved := 0
	for i := range before {
		if after[i] != before[i] {
			moved++
		}
		if after[i] < 0 || after[i] > 3 {
			t.Fatalf("client %d went to %d", i, after[i])
		}
	}
	if limit := clients/5 + clients*3/100; moved > limit {
		t.Errorf("%d of %d clients moved, want <= %d (1/5 + 3%%)", moved, clients, limit)
	}
	t.Logf("mh: %d of %d clients moved when one of five servers left", moved, clients)
}

// mh with mh-port spreads one client's ports; mh-fallback sends a
// drained server's clients elsewhere and moves nobody else.
func TestMaglevFlags(t *testing.T) {
	c := schedCase{scheduler: "mh", weights: []uint32{1, 1, 1}, flags: []string{"mh-port", "mh-fallback"}, mhSize: 509}
	r := newSchedRig(t, 4096, c)
	perPort := map[int]bool{}
	for p := range uint16(30) {
		perPort[r.syn(schedClient(0), 100+p)] = true
	}
	if len(perPort) != 3 {
		t.Errorf("mh-port: one client's 30 ports reached %d servers", len(perPort))
	}
	c.flags = []string{"mh-fallback"}
	r.apply(c.spec())
	before := r.picks(300, port(1))
	c.weights[0] = 0
	r.apply(c.spec())
	after := r.picks(300, port(2))
	for i := range before {
		if (before[i] != 0 && after[i] != before[i]) || after[i] <= 0 {
			t.Fatalf("client %d: %d then %d with server 0 drained", i, before[i], after[i])
		}
	}
}

func TestSchedulerFlagRefused(t *testing.T) {
	c := schedCase{scheduler: "wlc", weights: []uint32{1}, flags: []string{"sh-port"}}
	_, err := compile(1, c.spec(), []portInfo{newPortInfo(testPorts()[0], 0, macWAN), newPortInfo(testPorts()[1], 1, macLAN)}, newIDAllocator())
	if err == nil || err.Error() != fmt.Sprintf("services[0].scheduler: %s", `flag "sh-port": scheduler wlc takes no flags`) {
		t.Errorf("err = %v", err)
	}
}

// lblc and lblcr: a drained server (weight 0) is replaced in the cache;
// an entry unused for a day (IPVS's expiration) is forgotten.
func TestLocalityCache(t *testing.T) {
	for _, name := range []string{"lblc", "lblcr"} {
		c := schedCase{scheduler: name, weights: []uint32{1, 1}}
		r := newSchedRig(t, 64, c)
		if got := r.picks(3, port(1)); !slices.Equal(got, []int{0, 0, 0}) {
			t.Fatalf("%s: picks %v, want the cached 0 (inactive ones do not overload it)", name, got)
		}
		r.h.SetNow(r.h.Now() + 24*3600*1000)
		if d := r.syn(schedClient(10), 1); d != 1 {
			t.Errorf("%s: after a day SYN went to %d, want 1 by wlc (the entry expired)", name, d)
		}
		if d := r.syn(schedClient(11), 1); d != 1 {
			t.Errorf("%s: SYN went to %d, want the new entry's 1", name, d)
		}
		c.weights[1] = 0
		r.apply(c.spec())
		if got := r.picks(2, port(2)); !slices.Equal(got, []int{0, 0}) {
			t.Errorf("%s: with 1 drained picks %v, want 0", name, got)
		}
	}
}

// The fast path refuses a scheduler table its picks could not use.
func TestSchedulerTablesChecked(t *testing.T) {
	r := newSchedRig(t, 64, schedCase{scheduler: "sh", weights: []uint32{1, 1}})
	for _, tc := range []struct {
		what  string
		spoil func(s *fastpath.Service)
	}{
		{"sh bucket beyond the dests", func(s *fastpath.Service) { s.Table[7] = 2 }},
		{"sh table not 256 buckets", func(s *fastpath.Service) { s.Table = s.Table[:255] }},
		{"mh without entries", func(s *fastpath.Service) { s.SchedKind, s.Table = fastpath.SchedMH, nil }},
		{"wlc with a table", func(s *fastpath.Service) { s.SchedKind = fastpath.SchedWLC }},
		{"an unknown kind", func(s *fastpath.Service) { s.SchedKind = fastpath.SchedLBLCR + 1 }},
	} {
		spec := r.c.fp
		svc := spec.Services[0]
		svc.Table = slices.Clone(svc.Table)
		tc.spoil(&svc)
		spec.Services = []fastpath.Service{svc}
		spec.Gen = 100
		if err := r.h.Apply(&spec); err == nil {
			t.Errorf("%s: snapshot accepted", tc.what)
		}
	}
	good := r.c.fp
	good.Gen = 101
	if err := r.h.Apply(&good); err != nil {
		t.Errorf("the compiled snapshot: %v", err)
	}
}
