package dataplane

import (
	"slices"
	"strings"
	"testing"

	"github.com/govs-project/govs/dataplane/packet"
)

// Connection thresholds and one-packet scheduling through the harness.

func newThresholdRig(t *testing.T, scheduler string, weights []uint32, upper, lower []uint32) *rig {
	t.Helper()
	c := schedCase{scheduler: scheduler, weights: weights}
	spec := c.spec()
	for i := range spec.Services[0].Dests {
		spec.Services[0].Dests[i].UpperThreshold, spec.Services[0].Dests[i].LowerThreshold = upper[i], lower[i]
	}
	r := newRig(t, 1024, spec)
	for i := range weights {
		r.learn(schedDest(i), packet.MAC{0x02, 0, 0, 0, 1, byte(i)}, 1)
	}
	return r
}

// fo sends everything to the heaviest server until it is overloaded at
// 3 connections; it gets new ones again only below 2. Its connections
// stay SYN_RECV (60 s), made 10 s apart, so they leave one at a time.
func TestThresholdsStopAtUpperResumeBelowLower(t *testing.T) {
	r := newThresholdRig(t, "fo", []uint32{100, 1}, []uint32{3, 0}, []uint32{2, 0})
	var sport uint16 = 1000
	syn := func() int { sport++; return r.syn(schedClient(int(sport)), sport) }
	step := func(ms uint32) { r.h.SetNow(r.h.Now() + ms); r.h.Housekeep(true) }
	for i := range 3 {
		if got := syn(); got != 0 {
			t.Fatalf("connection %d went to %d before the threshold", i, got)
		}
		step(10000)
	}
	if got := syn(); got != 1 {
		t.Fatalf("at the upper threshold (3) server 0 still got a connection")
	}
	step(31000) // the first has gone: 2 left, not below lower (2)
	if n := r.rs(0, 0); n.Active+n.Inactive != 2 {
		t.Fatalf("server 0 holds %d connections, want 2", n.Active+n.Inactive)
	}
	if got := syn(); got != 1 {
		t.Fatal("server 0 got a connection at 2, not yet below its lower threshold")
	}
	step(10000) // the second has gone: 1 < 2
	if got := syn(); got != 0 {
		t.Fatalf("below the lower threshold the connection went to %d", got)
	}
}

// rr's cycle is stepped past an overloaded server; with every server
// overloaded there is no server (lower 0 is 3/4 of upper).
func TestThresholdsRoundRobinAndAllOverloaded(t *testing.T) {
	r := newThresholdRig(t, "rr", []uint32{1, 1}, []uint32{1, 2}, []uint32{0, 0})
	var got []int
	for i := range 4 {
		got = append(got, r.syn(schedClient(i), 1000))
	}
	if want := []int{0, 1, 1, -1}; !slices.Equal(got, want) {
		t.Fatalf("picks %v, want %v (server 0 full at 1, server 1 at 2)", got, want)
	}
}

// Every threshold-aware kind masks the same way: a full server is never
// picked while another has room.
func TestThresholdsEveryScheduler(t *testing.T) {
	for _, s := range []string{"rr", "wrr", "lc", "wlc", "sed", "nq", "fo", "ovf", "twos", "sh", "mh", "lblc", "lblcr"} {
		flags := []string(nil)
		if s == "sh" || s == "mh" {
			flags = []string{s + "-fallback"}
		}
		c := schedCase{scheduler: s, weights: []uint32{5, 1}, flags: flags}
		spec := c.spec()
		spec.Services[0].Dests[0].UpperThreshold = 1
		r := newRig(t, 1024, spec)
		for i := range 2 {
			r.learn(schedDest(i), packet.MAC{0x02, 0, 0, 0, 1, byte(i)}, 1)
		}
		on0 := 0
		for i := range 20 {
			if r.syn(schedClient(i), 1000) == 0 {
				on0++
			}
		}
		if on0 > 1 {
			t.Errorf("%s: server 0 (upper threshold 1) got %d connections", s, on0)
		}
	}
}

func TestThresholdCompileErrors(t *testing.T) {
	c := schedCase{scheduler: "rr", weights: []uint32{1}}
	spec := c.spec()
	spec.Services[0].Dests[0].UpperThreshold, spec.Services[0].Dests[0].LowerThreshold = 2, 3
	ports := []portInfo{newPortInfo(spec.Ports[0], 0, macWAN), newPortInfo(spec.Ports[1], 1, macLAN)}
	_, err := compile(1, spec, ports, newIDAllocator())
	if err == nil || err.Error() != "services[0].real_servers[0].lower_threshold: 3 is above the upper_threshold 2" {
		t.Fatalf("error %v", err)
	}
}

// oneShotSpec is a UDP rr service with one-packet scheduling over three
// DR servers.
func oneShotSpec() *Spec {
	dns := ServiceSpec{Name: "dns", VIP: vip, Proto: packet.ProtoUDP, Port: 53, Scheduler: "rr", OnePacket: true}
	for _, a := range rsAddrs {
		dns.Dests = append(dns.Dests, DestSpec{Addr: a, Port: 53, Weight: 1, Method: MethodDR})
	}
	return &Spec{Ports: testPorts(), Services: []ServiceSpec{dns}, Timeouts: testTimeouts, Security: testSecurity}
}

func TestOnePacketSpreadsDatagramsNoEntry(t *testing.T) {
	r := newRig(t, 256, oneShotSpec())
	var got []int
	for range 6 {
		o := r.expectSent(udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "q"), 0)
		got = append(got, serverByMAC(t, packet.MAC(o.Frame[0:6])))
	}
	if want := []int{0, 1, 2, 0, 1, 2}; !slices.Equal(got, want) {
		t.Fatalf("datagrams of one client port went to %v, want %v", got, want)
	}
	if n := r.h.Conns(); n != 0 {
		t.Fatalf("one-packet left %d entries in the table", n)
	}
	if st := r.h.Counters().Lcore(); st.Live != 0 || st.Created != 0 {
		t.Fatalf("live %d created %d, want 0", st.Live, st.Created)
	}
	if s := r.svc(0); s.Conns != 6 || s.InPkts != 6 || s.Active+s.Inactive != 0 {
		t.Fatalf("service counters %+v: want 6 conns and packets, no gauges", s)
	}
}

func serverByMAC(t *testing.T, mac packet.MAC) int {
	for i, m := range macRS {
		if m == mac {
			return i
		}
	}
	t.Fatalf("sent to %v, no real server", mac)
	return -1
}

func TestOnePacketRefusesNAT(t *testing.T) {
	spec := oneShotSpec()
	spec.Services[0].Dests[1].Method = MethodNAT
	ports := []portInfo{newPortInfo(spec.Ports[0], 0, macWAN), newPortInfo(spec.Ports[1], 1, macLAN)}
	_, err := compile(1, spec, ports, newIDAllocator())
	if err == nil || !strings.HasPrefix(err.Error(), "services[0].real_servers[1].method: one-packet") {
		t.Fatalf("error %v", err)
	}
}
