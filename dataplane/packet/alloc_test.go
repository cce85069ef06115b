package packet

import (
	"testing"

	"github.com/google/gopacket/layers"
)

// TestNoAllocs guards the hot-path rule: nothing in this package allocates.
func TestNoAllocs(t *testing.T) {
	tcp := buildFrame(t, spec{vlans: 1, src: ipClient, dst: ipVIP, sport: 1, dport: 80, proto: layers.IPProtocolTCP, payload: make([]byte, 100)})
	udp := buildFrame(t, spec{src: ipClient, dst: ipVIP, sport: 1, dport: 53, proto: layers.IPProtocolUDP, payload: make([]byte, 30)})
	echo := buildFrame(t, spec{src: ipClient, dst: ipVIP, proto: layers.IPProtocolICMPv4, icmpType: 8, payload: make([]byte, 56)})
	icmpErr := buildICMPErrorFrame(t, 0, ipRS, ipClient, 3, 3, 0,
		buildIP(t, spec{src: ipClient, dst: ipRS, sport: 1, dport: 8080, proto: layers.IPProtocolTCP, payload: []byte("x")}))
	arp := arpFrame(t, 0, ARPRequest, macA, ipClient, MAC{}, ipVIP)
	work := make([]byte, 2048)
	out := make([]byte, 2048)
	var p Parsed
	var q Quoted
	var a ARP

	// Each case copies its template into work first so that every run
	// rewrites a fresh packet; copy does not allocate.
	cases := []struct {
		name string
		f    func()
	}{
		{"Parse", func() { Parse(tcp, &p) }},
		{"Parse error", func() { Parse(tcp[:20], &p) }},
		{"Checksum", func() { Checksum(tcp, 0) }},
		{"VerifyIPv4Header", func() { Parse(tcp, &p); VerifyIPv4Header(tcp, &p) }},
		{"SetDst TCP", func() { w := work[:copy(work, tcp)]; Parse(w, &p); SetDst(w, &p, ipRS, 8080) }},
		{"SetSrc UDP", func() { w := work[:copy(work, udp)]; Parse(w, &p); SetSrc(w, &p, ipRS, 8080) }},
		{"DecTTL", func() { w := work[:copy(work, tcp)]; Parse(w, &p); DecTTL(w, &p) }},
		{"SetEth", func() { SetEth(work, macA, macB); _ = EthSrc(work); _ = EthDst(work) }},
		{"EchoReplyInPlace", func() { w := work[:copy(work, echo)]; Parse(w, &p); EchoReplyInPlace(w, &p) }},
		{"ParseARP+Reply", func() {
			w := work[:copy(work, arp)]
			Parse(w, &p)
			ParseARP(w, &p, &a)
			ARPReplyInPlace(w, &p, &a, macC)
		}},
		{"BuildARPRequest", func() { BuildARPRequest(out, macA, 1, 2) }},
		{"BuildGratuitousARP", func() { BuildGratuitousARP(out, macA, 1) }},
		{"ICMP error reply direction", func() {
			w := work[:copy(work, icmpErr)]
			Parse(w, &p)
			ParseICMPError(w, &p, &q)
			ICMPErrorSetOuterSrcInnerDst(w, &p, &q, ipVIP, ipVIP, 80)
		}},
		{"ICMP error request direction", func() {
			w := work[:copy(work, icmpErr)]
			Parse(w, &p)
			ParseICMPError(w, &p, &q)
			ICMPErrorSetOuterDstInnerSrc(w, &p, &q, ipVIP, ipVIP, 80)
		}},
		{"BuildICMPError", func() { BuildICMPError(out, macA, macB, 1, 2, 3, 4, 1400, tcp[18:]) }},
		{"Error.String", func() { _ = ErrFragment.String() }},
	}
	for _, c := range cases {
		if n := testing.AllocsPerRun(100, c.f); n != 0 {
			t.Errorf("%s: %v allocs/op", c.name, n)
		}
	}
}

func BenchmarkParseTCP(b *testing.B) {
	f := buildFrame(b, spec{src: ipClient, dst: ipVIP, sport: 1, dport: 80, proto: layers.IPProtocolTCP, tcpFlags: "A"})
	var p Parsed
	b.ReportAllocs()
	for b.Loop() {
		Parse(f, &p)
	}
}

func BenchmarkParseSetDstTCP(b *testing.B) {
	f := buildFrame(b, spec{src: ipClient, dst: ipVIP, sport: 1, dport: 80, proto: layers.IPProtocolTCP, tcpFlags: "A"})
	var p Parsed
	b.ReportAllocs()
	ip := ipRS
	for b.Loop() {
		Parse(f, &p)
		SetDst(f, &p, ip, 8080)
		ip ^= 1
	}
}
