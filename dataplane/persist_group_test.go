package dataplane

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
)

// Templates shared between services (persistence_group) and the port-0
// service of a VIP.

// persistentService is a persistent rr TCP service on port over servers
// schedDest(0..n-1):rport.
func persistentService(name string, port, rport uint16, n int, group string) ServiceSpec {
	s := ServiceSpec{Name: name, VIP: vip, Proto: packet.ProtoTCP, Port: port, Scheduler: "rr",
		Persistence: 300 * time.Second, PersistenceGroup: group}
	for i := range n {
		s.Dests = append(s.Dests, DestSpec{Addr: schedDest(i), Port: rport, Weight: 1})
	}
	return s
}

func newServicesRig(t *testing.T, svcs ...ServiceSpec) *rig {
	t.Helper()
	sec := testSecurity
	sec.RPFilter = RPOff
	r := newRig(t, 1024, &Spec{Ports: testPorts(), Services: svcs, Timeouts: testTimeouts, Security: sec})
	for i := range 3 {
		r.learn(schedDest(i), packet.MAC{0x02, 0, 0, 0, 1, byte(i)}, 1)
	}
	return r
}

// synTo opens client:sport -> vip:dport and returns the server (index of
// schedDest) and port it went to.
func (r *rig) synTo(client netip.Addr, sport, dport uint16) (int, uint16) {
	r.t.Helper()
	o := r.run(tcpFrame(r.t, macClient, macWAN, client, sport, vip, dport, true, false, ""), 0)
	if o.Verdict != fastpath.VerdictSent {
		r.t.Fatalf("SYN to port %d: verdict %v drop %v", dport, o.Verdict, o.Drop)
	}
	d := decode(r.t, o.Frame)
	for i := range 3 {
		if schedDest(i) == dstAddr(o.Frame) {
			return i, uint16(d.tcp.DstPort)
		}
	}
	r.t.Fatalf("SYN went to %v, no real server", dstAddr(o.Frame))
	return -1, 0
}

func TestPersistenceGroupAcrossPorts(t *testing.T) {
	for _, group := range []string{"", "site"} {
		r := newServicesRig(t, persistentService("web", 80, 8080, 3, group), persistentService("tls", 443, 8443, 3, group))
		r.synTo(schedClient(1), 1000, 80) // rr of web moves on to server 1
		web, _ := r.synTo(schedClient(2), 1000, 80)
		tls, port := r.synTo(schedClient(2), 1001, 443)
		if shared := tls == web; shared != (group != "") {
			t.Fatalf("group %q: the client's web connection went to %d, its tls one to %d", group, web, tls)
		}
		if port != 8443 {
			t.Fatalf("group %q: tls went to port %d, want its own server port 8443", group, port)
		}
		if want := map[string]uint64{"": 3, "site": 2}[group]; r.h.Counters().Lcore().Templates != want {
			t.Fatalf("group %q: %d templates, want %d", group, r.h.Counters().Lcore().Templates, want)
		}
	}
}

func TestPortZeroServiceAllPorts(t *testing.T) {
	all := persistentService("all", 0, 0, 2, "")
	web := ServiceSpec{Name: "web", VIP: vip, Proto: packet.ProtoTCP, Port: 80, Scheduler: "rr",
		Dests: []DestSpec{{Addr: schedDest(2), Port: 8080, Weight: 1}}}
	r := newServicesRig(t, all, web)
	first, port := r.synTo(client, 1000, 22)
	if port != 22 {
		t.Fatalf("port-0 dest: went to port %d, want the client's 22", port)
	}
	if again, port := r.synTo(client, 1001, 8000); again != first || port != 8000 {
		t.Fatalf("port 8000 of the same client: server %d port %d, want %d port 8000", again, port, first)
	}
	if s, port := r.synTo(client, 1002, 80); s != 2 || port != 8080 {
		t.Fatalf("port 80 has its own service: went to %d:%d", s, port)
	}
	// the reply of a port-0 connection goes back from the port it came to
	reply := tcpSeg(t, macRS[0], macLAN, schedDest(first), 8000, client, 1001, tcpFlags{syn: true, ack: true}, "")
	if d := decode(t, r.expectSent(reply, 1).Frame); addrOf(d.ip.SrcIP) != vip || d.tcp.SrcPort != 8000 {
		t.Fatalf("reply from %v:%d", d.ip.SrcIP, d.tcp.SrcPort)
	}
}

func TestPersistenceGroupCompileErrors(t *testing.T) {
	ports := []portInfo{newPortInfo(testPorts()[0], 0, macWAN), newPortInfo(testPorts()[1], 1, macLAN)}
	other := persistentService("tls", 443, 8443, 2, "site")
	other.Persistence = time.Minute
	noPersist := persistentService("all", 0, 0, 2, "")
	noPersist.Persistence = 0
	for _, tc := range []struct {
		svcs []ServiceSpec
		want string
	}{
		{[]ServiceSpec{persistentService("web", 80, 8080, 2, "site"), other}, `services[1].persistence_group: "site" is shared with services[0], whose persistence_timeout and persistence_granularity differ`},
		{[]ServiceSpec{noPersist}, "services[0].port: 0 (every port of the VIP) is for persistent services only"},
	} {
		_, err := compile(1, &Spec{Ports: testPorts(), Services: tc.svcs, Timeouts: testTimeouts, Security: testSecurity}, ports, newIDAllocator())
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}
