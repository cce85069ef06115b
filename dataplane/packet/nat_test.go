package packet

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/google/gopacket/layers"
)

func TestSetDstSetSrc(t *testing.T) {
	payload := []byte("some application bytes, odd length")
	tests := []struct {
		name  string
		s     spec
		dnat  bool
		ip    uint32
		port  uint16
		zeroU bool // UDP sent without checksum
	}{
		{"tcp dnat", spec{src: ipClient, dst: ipVIP, sport: 40000, dport: 80, proto: layers.IPProtocolTCP, tcpFlags: "S", tcpOptions: true}, true, ipRS, 8080, false},
		{"tcp dnat payload vlan", spec{vlans: 1, src: ipClient, dst: ipVIP, sport: 40000, dport: 80, proto: layers.IPProtocolTCP, tcpFlags: "PA", payload: payload}, true, ipRS, 80, false},
		{"tcp snat ip options qinq", spec{vlans: 2, options: true, src: ipRS, dst: ipClient, sport: 8080, dport: 40000, proto: layers.IPProtocolTCP, tcpFlags: "SA"}, false, ipVIP, 80, false},
		{"udp dnat", spec{src: ipClient, dst: ipVIP, sport: 5353, dport: 53, proto: layers.IPProtocolUDP, payload: payload}, true, ipRS, 5300, false},
		{"udp snat", spec{src: ipRS, dst: ipClient, sport: 5300, dport: 5353, proto: layers.IPProtocolUDP, payload: payload}, false, ipVIP, 53, false},
		{"udp dnat zero checksum", spec{src: ipClient, dst: ipVIP, sport: 5353, dport: 53, proto: layers.IPProtocolUDP, payload: payload}, true, ipRS, 5300, true},
		{"udp snat zero checksum", spec{src: ipRS, dst: ipClient, sport: 5300, dport: 5353, proto: layers.IPProtocolUDP, payload: payload}, false, ipVIP, 53, true},
		{"tcp same values", spec{src: ipClient, dst: ipVIP, sport: 1, dport: 80, proto: layers.IPProtocolTCP}, true, ipVIP, 80, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := buildFrame(t, tc.s)
			want := tc.s
			if tc.dnat {
				want.dst, want.dport = tc.ip, tc.port
			} else {
				want.src, want.sport = tc.ip, tc.port
			}
			exp := buildFrame(t, want)
			var p Parsed
			if e := Parse(in, &p); e != OK {
				t.Fatal(e)
			}
			if tc.zeroU {
				binary.BigEndian.PutUint16(in[p.L4Off+6:], 0)
				binary.BigEndian.PutUint16(exp[p.L4Off+6:], 0)
			}
			if tc.dnat {
				SetDst(in, &p, tc.ip, tc.port)
			} else {
				SetSrc(in, &p, tc.ip, tc.port)
			}
			// gopacket computed every checksum of exp from scratch.
			if !bytes.Equal(in, exp) {
				t.Fatalf("rewritten frame differs from reference\n got %x\nwant %x", in, exp)
			}
			q := checkFrame(t, in)
			if q != p {
				t.Fatalf("Parsed not updated: %+v vs re-parse %+v", p, q)
			}
			if tc.zeroU && binary.BigEndian.Uint16(in[p.L4Off+6:]) != 0 {
				t.Fatal("zero UDP checksum was filled in")
			}
		})
	}
}

// TestSetDstUDPZeroResult crafts a datagram whose checksum after DNAT is
// computed as 0x0000, which RFC 768 says must go out as 0xffff.
func TestSetDstUDPZeroResult(t *testing.T) {
	s := spec{src: ipClient, dst: ipVIP, sport: 5353, dport: 53, proto: layers.IPProtocolUDP, payload: make([]byte, 8)}
	after := s
	after.dst, after.dport = ipRS, 5300
	// Choose an adjust word in the payload so the post-NAT sum is 0xffff:
	// with the word zero the checksum is C, so adding C makes it -0.
	exp := buildFrame(t, after)
	c := binary.BigEndian.Uint16(exp[34+6:])
	binary.BigEndian.PutUint16(s.payload[2:], c)
	after.payload = s.payload
	exp = buildFrame(t, after)
	if binary.BigEndian.Uint16(exp[34+6:]) != 0 {
		t.Fatalf("setup: reference checksum %#04x, want 0", binary.BigEndian.Uint16(exp[34+6:]))
	}
	in := buildFrame(t, s)
	var p Parsed
	if Parse(in, &p) != OK {
		t.Fatal("parse")
	}
	SetDst(in, &p, ipRS, 5300)
	if got := binary.BigEndian.Uint16(in[34+6:]); got != 0xffff {
		t.Fatalf("UDP checksum = %#04x, want 0xffff", got)
	}
	binary.BigEndian.PutUint16(exp[34+6:], 0xffff)
	if !bytes.Equal(in, exp) {
		t.Fatalf("got %x\nwant %x", in, exp)
	}
	checkFrame(t, in)
	// And back: SNAT-ing the reply from a 0xffff checksum stays correct.
	SetDst(in, &p, ipVIP, 53)
	checkFrame(t, in)
}

func TestSetDstNonPortProtocols(t *testing.T) {
	for _, s := range []spec{
		{src: ipClient, dst: ipVIP, proto: layers.IPProtocolICMPv4, icmpType: 8, icmpID: 77, payload: []byte("ping")},
		{src: ipClient, dst: ipVIP, proto: layers.IPProtocolIPv4, payload: make([]byte, 20)},
	} {
		in := buildFrame(t, s)
		var p Parsed
		if Parse(in, &p) != OK {
			t.Fatal("parse")
		}
		icmpBefore := clone(in[p.L4Off:p.IPEnd])
		SetDst(in, &p, ipRS, 9999)
		SetSrc(in, &p, ipRouter, 9999)
		want := s
		want.dst, want.src = ipRS, ipRouter
		if exp := buildFrame(t, want); !bytes.Equal(in, exp) {
			t.Fatalf("got %x\nwant %x", in, exp)
		}
		if !bytes.Equal(icmpBefore, in[p.L4Off:p.IPEnd]) {
			t.Fatal("L4 bytes changed for a port-less protocol")
		}
		if p.Dst != ipRS || p.Src != ipRouter || (s.proto == layers.IPProtocolICMPv4 && (p.SrcPort != 77 || p.DstPort != 77)) {
			t.Fatalf("Parsed: %+v", p)
		}
	}
}

func TestSetDstBadParsedIsNoop(t *testing.T) {
	in := buildFrame(t, spec{src: ipClient, dst: ipVIP, sport: 1, dport: 2, proto: layers.IPProtocolTCP})
	var good Parsed
	Parse(in, &good)
	for _, p := range []Parsed{
		{L3Off: -1, Proto: ProtoTCP},
		{L3Off: len(in) - 10, Proto: ProtoUDP},
		{L3Off: 14, L4Off: 20, Proto: ProtoTCP},          // L4 inside the IP header
		{L3Off: 14, L4Off: len(in) - 4, Proto: ProtoTCP}, // checksum field past the end
		{L3Off: 14, L4Off: 1 << 40, Proto: ProtoUDP},
	} {
		f := clone(in)
		pp := p
		SetDst(f, &pp, 1, 2)
		SetSrc(f, &pp, 1, 2)
		if !bytes.Equal(f, in) || pp != p {
			t.Errorf("%+v: frame or Parsed changed", p)
		}
	}
	SetDst(nil, &good, 1, 2)
	SetSrc(in[:20], &good, 1, 2)
	DecTTL(in[:20], &good)
}

func TestDecTTL(t *testing.T) {
	for _, ttl := range []uint8{255, 64, 2, 1} {
		for _, opt := range []bool{false, true} {
			s := spec{src: ipClient, dst: ipVIP, sport: 1, dport: 2, proto: layers.IPProtocolTCP, ttl: ttl, options: opt}
			in := buildFrame(t, s)
			var p Parsed
			Parse(in, &p)
			orig := clone(in)
			ok := DecTTL(in, &p)
			if ttl <= 1 {
				if ok || !bytes.Equal(in, orig) || p.TTL != ttl {
					t.Fatalf("ttl %d: DecTTL = %v, frame changed %v", ttl, ok, !bytes.Equal(in, orig))
				}
				continue
			}
			s.ttl = ttl - 1
			if !ok || !bytes.Equal(in, buildFrame(t, s)) || p.TTL != ttl-1 {
				t.Fatalf("ttl %d: DecTTL = %v\n got %x\nwant %x", ttl, ok, in, buildFrame(t, s))
			}
			checkFrame(t, in)
		}
	}
	// TTL 0 in a hand-made header.
	in := buildFrame(t, spec{proto: layers.IPProtocolUDP, src: 1, dst: 2})
	in[14+8] = 0
	fixIPCsum(in, 14)
	if DecTTL(in, &Parsed{L3Off: 14}) {
		t.Fatal("TTL 0 decremented")
	}
}

func TestEthHelpers(t *testing.T) {
	in := buildFrame(t, spec{proto: layers.IPProtocolUDP, src: 1, dst: 2})
	if EthDst(in) != macB || EthSrc(in) != macA {
		t.Fatalf("EthDst/EthSrc = %v %v", EthDst(in), EthSrc(in))
	}
	SetEth(in, macC, macB)
	if EthDst(in) != macC || EthSrc(in) != macB {
		t.Fatal("SetEth")
	}
	if pkt := decode(in); pkt.ErrorLayer() != nil {
		t.Fatal(pkt.ErrorLayer().Error())
	}
	short := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	SetEth(short, macC, macC)
	if EthSrc(short) != (MAC{}) || EthDst(short) != (MAC{1, 2, 3, 4, 5, 6}) || short[0] != 1 {
		t.Fatal("runt handling")
	}
	if EthDst(nil) != (MAC{}) {
		t.Fatal("nil")
	}
}
