package dataplane

import (
	"net/netip"
	"testing"
	"time"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
)

// Persistence through the harness: templates in the lcore's table pin a
// client network to a server across connections.

// persistCase is a persistent rr service over servers schedDest(0..n-1):
// rr moves on at every scheduling, so a connection that stays on its
// server was not scheduled.
func persistCase(n int, timeout time.Duration, bits int) (schedCase, *Spec) {
	c := schedCase{scheduler: "rr", weights: make([]uint32, n)}
	for i := range c.weights {
		c.weights[i] = 1
	}
	spec := c.spec()
	spec.Services[0].Persistence = timeout
	spec.Services[0].PersistenceBits = bits
	return c, spec
}

func newPersistRig(t *testing.T, n int, timeout time.Duration, bits int) (*rig, *Spec) {
	t.Helper()
	_, spec := persistCase(n, timeout, bits)
	r := newRig(t, 1024, spec)
	for i := range n {
		r.learn(schedDest(i), packet.MAC{0x02, 0, 0, 0, 1, byte(i)}, 1)
	}
	return r, spec
}

func TestPersistenceAcrossConnections(t *testing.T) {
	r, _ := newPersistRig(t, 3, 300*time.Second, 24)
	a, sameNet, other := schedClient(1), schedClient(2), schedClient(1<<8|1)
	first := r.syn(a, 1000)
	for sport := uint16(1001); sport < 1010; sport++ {
		if got := r.syn(a, sport); got != first {
			t.Fatalf("connection from port %d went to server %d, the client's template names %d", sport, got, first)
		}
	}
	if got := r.syn(sameNet, 2000); got != first {
		t.Fatalf("%v (same /24) went to %d, want %d", sameNet, got, first)
	}
	if got := r.syn(other, 3000); got == first {
		t.Fatalf("%v (another /24) went to %d too: rr should have moved on", other, got)
	}
	st := r.h.Counters().Lcore()
	if st.Templates != 2 || st.Live != 12 {
		t.Fatalf("templates %d live %d, want 2 and 12 (templates are no connections)", st.Templates, st.Live)
	}
	if got := r.h.Conns(); got != 14 {
		t.Fatalf("table holds %d entries, want 12 connections + 2 templates", got)
	}
	if in := r.rs(0, first); in.Conns != 11 || in.Active+in.Inactive != 11 {
		t.Fatalf("server %d: conns %d active+inactive %d, want 11 (templates not counted)", first, in.Conns, in.Active+in.Inactive)
	}
}

func TestPersistenceGranularityHost(t *testing.T) {
	r, _ := newPersistRig(t, 2, 300*time.Second, 0) // 0: /32
	if a, b := r.syn(schedClient(1), 1000), r.syn(schedClient(2), 1000); a == b {
		t.Fatalf("two hosts of one /24 share server %d at /32", a)
	}
}

func TestPersistenceTemplateExpires(t *testing.T) {
	r, _ := newPersistRig(t, 2, 10*time.Second, 32)
	a := schedClient(1)
	first := r.syn(a, 1000)
	r.h.SetNow(r.h.Now() + 9000)
	r.h.Housekeep(true)
	if got := r.syn(a, 1001); got != first {
		t.Fatalf("within the timeout: server %d, want %d", got, first)
	}
	// the template lasts 10 s after the last connection it made
	r.h.SetNow(r.h.Now() + 9000)
	r.h.Housekeep(true)
	if r.h.Counters().Lcore().Templates != 1 {
		t.Fatal("template expired 9 s after its last connection")
	}
	r.h.SetNow(r.h.Now() + 1001)
	r.h.Housekeep(true)
	if n := r.h.Counters().Lcore().Templates; n != 0 {
		t.Fatalf("templates %d after the timeout, want 0", n)
	}
	if got := r.syn(a, 1002); got == first {
		t.Fatalf("after expiry the client was not scheduled anew (rr gave %d again)", got)
	}
}

func TestPersistenceRemovedServerRescheduled(t *testing.T) {
	r, spec := newPersistRig(t, 3, 300*time.Second, 32)
	a := schedClient(1)
	first := r.syn(a, 1000)
	svc := &spec.Services[0]
	svc.Dests = append(svc.Dests[:first:first], svc.Dests[first+1:]...)
	r.apply(spec)
	got := r.syn(a, 1001)
	if got == first || got < 0 {
		t.Fatalf("template to a removed server: went to %d", got)
	}
	if again := r.syn(a, 1002); again != got {
		t.Fatalf("the replaced template names %d, the next connection went to %d", got, again)
	}
	if n := r.h.Counters().Lcore().Templates; n != 1 {
		t.Fatalf("templates %d, want the one replaced in place", n)
	}
}

func TestPersistenceQuiescentServer(t *testing.T) {
	for _, expire := range []bool{false, true} {
		r, spec := newPersistRig(t, 3, 300*time.Second, 32)
		a := schedClient(1)
		first := r.syn(a, 1000)
		spec.Services[0].Dests[first].Weight = 0
		spec.Services[0].ExpireQuiescentTemplate = expire
		r.apply(spec)
		got := r.syn(a, 1001)
		if stays := got == first; stays == expire {
			t.Fatalf("expire_quiescent_template %v: weight-0 server %d, the connection went to %d", expire, first, got)
		}
	}
}

func TestPersistenceTemplatesListed(t *testing.T) {
	r, _ := newPersistRig(t, 2, 300*time.Second, 24)
	a := schedClient(1<<8 | 7)
	first := r.syn(a, 1000)
	page, err := listConns([]dumper{r.h.DumpConns}, ConnQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var tmpl, conns []Conn
	for _, c := range page.Conns {
		if c.Template {
			tmpl = append(tmpl, c)
		} else {
			conns = append(conns, c)
		}
	}
	if len(tmpl) != 1 || len(conns) != 1 {
		t.Fatalf("listing %+v: want one template and one connection", page.Conns)
	}
	want := Conn{Proto: "tcp", State: "NONE", Client: netip.AddrPortFrom(netip.MustParseAddr("172.16.1.0"), 0),
		Virtual: netip.AddrPortFrom(vip, 80), Server: netip.AddrPortFrom(schedDest(first), 8080), Method: "nat", Template: true}
	got := tmpl[0]
	got.ExpiresIn = 0
	if got != want {
		t.Fatalf("template listed as %+v, want %+v", got, want)
	}
	if tmpl[0].ExpiresIn <= 299*time.Second || tmpl[0].ExpiresIn > 300*time.Second {
		t.Fatalf("template expires in %v, want the persistence timeout", tmpl[0].ExpiresIn)
	}
}

// With flow_affinity address every flow of a client is one worker's, so
// its connections meet their template; by address and port they scatter;
// by prefix a network's flows are one worker's.
func TestFlowAffinityAddress(t *testing.T) {
	for _, tc := range []struct {
		affinity  fastpath.FlowAffinity
		scattered bool
		bits      int
		hosts     bool // vary the host part of the address (in one /24) too
	}{{fastpath.AffinityAddress, false, 0, false}, {fastpath.AffinityAddressPort, true, 0, false},
		{fastpath.AffinityAddress, true, 0, true}, {fastpath.AffinityPrefix, false, 24, true}} {
		r := newRigWith(t, fastpath.HarnessConfig{ConnCapacity: 256, Workers: 4, FlowAffinity: tc.affinity, AffinityBits: tc.bits}, testSpec())
		seen := map[fastpath.Verdict]bool{}
		for sport := uint16(1000); sport < 1032; sport++ {
			src := client
			if tc.hosts {
				src = netip.AddrFrom4([4]byte{10, 0, 0, byte(sport - 990)})
			}
			seen[r.run(tcpFrame(t, macClient, macWAN, src, sport, vip, 80, true, false, ""), 0).Verdict] = true
		}
		if got := len(seen) > 1; got != tc.scattered {
			t.Fatalf("affinity %d /%d hosts %v: verdicts %v over 32 flows, scattered %v want %v", tc.affinity, tc.bits, tc.hosts, seen, got, tc.scattered)
		}
	}
}

func TestPersistenceCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*ServiceSpec)
		want string
	}{
		{"granularity", func(s *ServiceSpec) { s.PersistenceBits = 33 }, "services[0].persistence_granularity: /33 is outside /1../32"},
		{"timeout", func(s *ServiceSpec) { s.Persistence = 11 * 24 * time.Hour }, "services[0].persistence_timeout: 264h0m0s is outside 0..240h0m0s"},
		{"one packet tcp", func(s *ServiceSpec) { s.OnePacket = true }, "services[0].one_packet: only UDP services can be scheduled per datagram"},
	} {
		_, spec := persistCase(2, 300*time.Second, 32)
		tc.edit(&spec.Services[0])
		_, err := compile(1, spec, []portInfo{newPortInfo(spec.Ports[0], 0, macWAN), newPortInfo(spec.Ports[1], 1, macLAN)}, newIDAllocator())
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// A table full of established connections and templates gives a new
// client's connection the room of a template rather than refusing it.
func TestPersistenceTemplatesGiveWayWhenFull(t *testing.T) {
	_, spec := persistCase(2, 300*time.Second, 32)
	r := newRig(t, 16, spec)
	for i := range 2 {
		r.learn(schedDest(i), packet.MAC{0x02, 0, 0, 0, 1, byte(i)}, 1)
	}
	for i := range 8 {
		r.syn(schedClient(i), 1000)
		r.establish(schedClient(i), 1000)
	}
	if n := r.h.Conns(); n != 16 {
		t.Fatalf("table holds %d, want full (16)", n)
	}
	if got := r.syn(schedClient(100), 1000); got < 0 {
		t.Fatal("no server for the new client")
	}
	if st := r.h.Counters().Lcore(); st.Evicted != 1 || st.Live != 9 || st.Templates != 7 {
		t.Fatalf("evicted %d live %d templates %d, want a template evicted for the connection", st.Evicted, st.Live, st.Templates)
	}
}
