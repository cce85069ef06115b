package packet

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"testing"

	"github.com/google/gopacket/layers"
)

func TestParseValid(t *testing.T) {
	payload := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	tests := []struct {
		name string
		s    spec
		want Parsed
	}{
		{"tcp syn", spec{src: ipClient, dst: ipVIP, sport: 40000, dport: 80, proto: layers.IPProtocolTCP, tcpFlags: "S", ttl: 63, tos: 0x10, df: true},
			Parsed{L2Len: 14, EtherType: EtherTypeIPv4, L3Off: 14, L4Off: 34, IPEnd: 54, Src: ipClient, Dst: ipVIP,
				Proto: ProtoTCP, TTL: 63, TOS: 0x10, DF: true, SrcPort: 40000, DstPort: 80, TCPFlags: TCPFlagSYN}},
		{"tcp with options and payload", spec{src: ipClient, dst: ipVIP, sport: 1, dport: 443, proto: layers.IPProtocolTCP, tcpFlags: "PA", tcpOptions: true, payload: payload},
			Parsed{L2Len: 14, EtherType: EtherTypeIPv4, L3Off: 14, L4Off: 34, IPEnd: 34 + 24 + len(payload), Src: ipClient, Dst: ipVIP,
				Proto: ProtoTCP, TTL: 64, SrcPort: 1, DstPort: 443, TCPFlags: TCPFlagPSH | TCPFlagACK}},
		{"udp", spec{src: ipClient, dst: ipVIP, sport: 5353, dport: 53, proto: layers.IPProtocolUDP, payload: []byte("query")},
			Parsed{L2Len: 14, EtherType: EtherTypeIPv4, L3Off: 14, L4Off: 34, IPEnd: 34 + 8 + 5, Src: ipClient, Dst: ipVIP,
				Proto: ProtoUDP, TTL: 64, SrcPort: 5353, DstPort: 53}},
		{"icmp echo", spec{src: ipClient, dst: ipVIP, proto: layers.IPProtocolICMPv4, icmpType: 8, icmpID: 0x1234, icmpSeq: 7, payload: payload},
			Parsed{L2Len: 14, EtherType: EtherTypeIPv4, L3Off: 14, L4Off: 34, IPEnd: 34 + 8 + len(payload), Src: ipClient, Dst: ipVIP,
				Proto: ProtoICMP, TTL: 64, SrcPort: 0x1234, DstPort: 0x1234, ICMPType: 8}},
		{"icmp dest unreachable", spec{src: ipRS, dst: ipClient, proto: layers.IPProtocolICMPv4, icmpType: 3, icmpCode: 3, payload: make([]byte, 28)},
			Parsed{L2Len: 14, EtherType: EtherTypeIPv4, L3Off: 14, L4Off: 34, IPEnd: 34 + 36, Src: ipRS, Dst: ipClient,
				Proto: ProtoICMP, TTL: 64, ICMPType: 3, ICMPCode: 3}},
		{"ip options", spec{src: ipClient, dst: ipVIP, sport: 9, dport: 80, proto: layers.IPProtocolTCP, options: true, tcpFlags: "A"},
			Parsed{L2Len: 14, EtherType: EtherTypeIPv4, L3Off: 14, L4Off: 38, IPEnd: 58, Src: ipClient, Dst: ipVIP,
				Proto: ProtoTCP, TTL: 64, SrcPort: 9, DstPort: 80, TCPFlags: TCPFlagACK}},
		{"one vlan", spec{vlans: 1, src: ipClient, dst: ipVIP, sport: 9, dport: 80, proto: layers.IPProtocolUDP},
			Parsed{L2Len: 18, VLANs: 1, EtherType: EtherTypeIPv4, L3Off: 18, L4Off: 38, IPEnd: 46, Src: ipClient, Dst: ipVIP,
				Proto: ProtoUDP, TTL: 64, SrcPort: 9, DstPort: 80}},
		{"two vlans", spec{vlans: 2, src: ipClient, dst: ipVIP, sport: 9, dport: 80, proto: layers.IPProtocolTCP, tcpFlags: "F"},
			Parsed{L2Len: 22, VLANs: 2, EtherType: EtherTypeIPv4, L3Off: 22, L4Off: 42, IPEnd: 62, Src: ipClient, Dst: ipVIP,
				Proto: ProtoTCP, TTL: 64, SrcPort: 9, DstPort: 80, TCPFlags: TCPFlagFIN}},
		{"ipip (other protocol)", spec{src: ipVIP, dst: ipRS, proto: layers.IPProtocolIPv4, payload: make([]byte, 20)},
			Parsed{L2Len: 14, EtherType: EtherTypeIPv4, L3Off: 14, L4Off: 34, IPEnd: 54, Src: ipVIP, Dst: ipRS, Proto: ProtoIPIP, TTL: 64}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frame := buildFrame(t, tc.s)
			var p Parsed
			if e := Parse(frame, &p); e != OK {
				t.Fatalf("Parse = %v", e)
			}
			if p != tc.want {
				t.Fatalf("Parse:\n got %+v\nwant %+v", p, tc.want)
			}
			if !VerifyIPv4Header(frame, &p) {
				t.Fatal("VerifyIPv4Header = false")
			}
		})
	}
}

func TestParseEthernetPadding(t *testing.T) {
	// A bare TCP ACK is 54 bytes; gopacket pads it to 60, as a NIC would
	// deliver it. Add some more junk to be sure IPEnd ignores it.
	frame := buildFrame(t, spec{src: ipClient, dst: ipVIP, sport: 1, dport: 2, proto: layers.IPProtocolTCP, tcpFlags: "A"})
	if len(frame) != 60 {
		t.Fatalf("len = %d, want padded 60", len(frame))
	}
	frame = append(frame, 0xde, 0xad, 0xbe, 0xef)
	var p Parsed
	if e := Parse(frame, &p); e != OK || p.IPEnd != 54 {
		t.Fatalf("Parse = %v, IPEnd %d", e, p.IPEnd)
	}
	// A UDP datagram whose UDP length is shorter than the IP payload is fine.
	frame = buildFrame(t, spec{src: ipClient, dst: ipVIP, sport: 1, dport: 2, proto: layers.IPProtocolUDP, payload: []byte("abcdef")})
	binary.BigEndian.PutUint16(frame[34+4:], 10)
	if e := Parse(frame, &p); e != OK {
		t.Fatalf("short UDP length: %v", e)
	}
}

func TestParseARP(t *testing.T) {
	for vlans := 0; vlans <= 2; vlans++ {
		frame := serialize(t, append(l2Layers(vlans, layers.EthernetTypeARP), &layers.ARP{
			AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: 1, SourceHwAddress: hwAddr(macA), SourceProtAddress: netIP(ipClient),
			DstHwAddress: make([]byte, 6), DstProtAddress: netIP(ipVIP)})...)
		var p Parsed
		if e := Parse(frame, &p); e != OK || p.EtherType != EtherTypeARP || p.L2Len != 14+4*vlans || p.VLANs != vlans {
			t.Fatalf("vlans=%d: Parse = %v %+v", vlans, e, p)
		}
	}
}

// mutate builds a valid frame from s, applies f, and optionally fixes the
// IP header checksum so that only the intended defect remains.
func mutate(t *testing.T, s spec, fixCsum bool, f func(b []byte) []byte) []byte {
	b := f(buildFrame(t, s))
	if fixCsum && len(b) >= 34 {
		fixIPCsum(b, 14)
	}
	return b
}

func TestParseErrors(t *testing.T) {
	tcp := spec{src: ipClient, dst: ipVIP, sport: 1000, dport: 80, proto: layers.IPProtocolTCP, tcpFlags: "S", payload: []byte("0123456789")}
	udp := spec{src: ipClient, dst: ipVIP, sport: 1000, dport: 53, proto: layers.IPProtocolUDP, payload: []byte("0123456789")}
	icmp := spec{src: ipClient, dst: ipVIP, proto: layers.IPProtocolICMPv4, icmpType: 8}
	setTotal := func(n int) func([]byte) []byte {
		return func(b []byte) []byte { binary.BigEndian.PutUint16(b[16:], uint16(n)); return b }
	}
	tests := []struct {
		name string
		s    spec
		fix  bool
		f    func([]byte) []byte
		want Error
	}{
		{"empty", tcp, false, func(b []byte) []byte { return nil }, ErrTruncated},
		{"13 bytes", tcp, false, func(b []byte) []byte { return b[:13] }, ErrTruncated},
		{"ethernet only", tcp, false, func(b []byte) []byte { return b[:14] }, ErrTruncated},
		{"vlan tag cut", spec{vlans: 1, proto: layers.IPProtocolUDP}, false, func(b []byte) []byte { return b[:16] }, ErrTruncated},
		{"second vlan tag cut", spec{vlans: 2, proto: layers.IPProtocolUDP}, false, func(b []byte) []byte { return b[:20] }, ErrTruncated},
		{"three vlan tags", spec{vlans: 3, proto: layers.IPProtocolUDP}, false, func(b []byte) []byte { return b }, ErrNotIPv4},
		{"ip header cut", tcp, false, func(b []byte) []byte { return b[:14+19] }, ErrTruncated},
		{"ip header cut after vlan", spec{vlans: 1, proto: layers.IPProtocolUDP}, false, func(b []byte) []byte { return b[:18+10] }, ErrTruncated},
		{"version 6 in ipv4 ethertype", tcp, true, func(b []byte) []byte { b[14] = 0x65; return b }, ErrBadVersion},
		{"ihl 4", tcp, false, func(b []byte) []byte { b[14] = 0x44; return b }, ErrBadIHL},
		{"ihl 0", tcp, false, func(b []byte) []byte { b[14] = 0x40; return b }, ErrBadIHL},
		{"ihl beyond frame", tcp, false, func(b []byte) []byte { b[14] = 0x4f; return b[:14+40] }, ErrBadIHL},
		{"total len < ihl", tcp, true, setTotal(19), ErrBadTotalLen},
		{"total len > frame", tcp, true, setTotal(1500), ErrBadTotalLen},
		{"total len > frame by one", tcp, true, func(b []byte) []byte { return setTotal(len(b) - 14 + 1)(b) }, ErrBadTotalLen},
		{"bad header checksum", tcp, false, func(b []byte) []byte { b[14+10] ^= 0x01; return b }, ErrBadChecksum},
		{"bad checksum (ttl changed)", tcp, false, func(b []byte) []byte { b[14+8]--; return b }, ErrBadChecksum},
		{"more fragments", tcp, true, func(b []byte) []byte { b[14+6] |= 0x20; return b }, ErrFragment},
		{"fragment offset", tcp, true, func(b []byte) []byte { b[14+7] = 0x01; return b }, ErrFragment},
		{"fragment offset high bits with DF", tcp, true, func(b []byte) []byte { b[14+6] = 0x41; return b }, ErrFragment},
		{"tcp cut by total len", tcp, true, setTotal(20 + 19), ErrL4Truncated},
		{"tcp cut by frame", spec{proto: layers.IPProtocolTCP}, true, func(b []byte) []byte { return setTotal(30)(b[:44]) }, ErrL4Truncated},
		{"tcp data offset 4", tcp, false, func(b []byte) []byte { b[34+12] = 0x40; return b }, ErrBadTCPOffset},
		{"tcp data offset past ip end", tcp, false, func(b []byte) []byte { b[34+12] = 0xf0; return b }, ErrBadTCPOffset},
		{"udp cut", udp, true, setTotal(20 + 7), ErrL4Truncated},
		{"udp length < 8", udp, false, func(b []byte) []byte { binary.BigEndian.PutUint16(b[34+4:], 7); return b }, ErrL4Truncated},
		{"udp length > ip payload", udp, false, func(b []byte) []byte { binary.BigEndian.PutUint16(b[34+4:], 19); return b }, ErrL4Truncated},
		{"icmp cut", icmp, true, setTotal(20 + 7), ErrL4Truncated},
	}
	seen := map[Error]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frame := mutate(t, tc.s, tc.fix, tc.f)
			var p Parsed
			if got := Parse(frame, &p); got != tc.want {
				t.Fatalf("Parse = %v, want %v", got, tc.want)
			}
			seen[tc.want] = true
		})
	}
	// IPv6 built properly.
	v6 := serialize(t, append(l2Layers(1, layers.EthernetTypeIPv6),
		&layers.IPv6{Version: 6, NextHeader: layers.IPProtocolNoNextHeader, HopLimit: 64,
			SrcIP: []byte{0x20, 1, 0xd, 0xb8, 15: 1}, DstIP: []byte{0x20, 1, 0xd, 0xb8, 15: 2}})...)
	var p Parsed
	if got := Parse(v6, &p); got != ErrNotIPv4 || p.EtherType != 0x86dd || p.L2Len != 18 {
		t.Fatalf("IPv6: Parse = %v %+v", got, p)
	}
	seen[ErrNotIPv4] = true
	for e := OK + 1; e < NumErrors; e++ {
		if !seen[e] {
			t.Errorf("error %v not exercised", e)
		}
	}
}

func TestParseResetsParsed(t *testing.T) {
	p := Parsed{Src: 1, SrcPort: 2, TCPFlags: 3, ICMPType: 4}
	if Parse([]byte{1, 2, 3}, &p); p != (Parsed{}) {
		t.Fatalf("stale fields after failed parse: %+v", p)
	}
}

func TestErrorString(t *testing.T) {
	label := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	names := map[string]Error{}
	for e := OK; e < NumErrors; e++ {
		s := e.String()
		if !label.MatchString(s) {
			t.Errorf("%d: label %q is not snake_case", e, s)
		}
		if prev, dup := names[s]; dup {
			t.Errorf("%d and %d share label %q", prev, e, s)
		}
		names[s] = e
	}
	if ErrTruncated.String() != "truncated" || ErrFragment.String() != "fragment" || OK.String() != "ok" {
		t.Error("unexpected labels")
	}
	if NumErrors.String() != "unknown" || Error(255).String() != "unknown" {
		t.Error("out-of-range errors must be unknown")
	}
}

func TestVerifyIPv4Header(t *testing.T) {
	frame := buildFrame(t, spec{options: true, proto: layers.IPProtocolUDP, src: 1, dst: 2})
	p := Parsed{L3Off: 14}
	if !VerifyIPv4Header(frame, &p) {
		t.Fatal("valid header rejected")
	}
	bad := clone(frame)
	bad[14+21] ^= 0xff // inside the options: must be covered
	if VerifyIPv4Header(bad, &p) {
		t.Fatal("corrupt option accepted")
	}
	for _, off := range []int{-1, len(frame) - 19, len(frame) + 5} {
		if VerifyIPv4Header(frame, &Parsed{L3Off: off}) {
			t.Errorf("L3Off %d accepted", off)
		}
	}
	if VerifyIPv4Header(frame[:14+22], &p) { // IHL 6 but the option is cut
		t.Error("IHL past the frame accepted")
	}
	if !bytes.Equal(frame, buildFrame(t, spec{options: true, proto: layers.IPProtocolUDP, src: 1, dst: 2})) {
		t.Error("VerifyIPv4Header modified the frame")
	}
}
