package packet

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/google/gopacket/layers"
)

func TestEchoReplyInPlace(t *testing.T) {
	payload := []byte("abcdefghijklmnopqrstuvwxyz0123456789!") // odd length
	for _, s := range []spec{
		{src: ipClient, dst: ipVIP, ttl: 57, id: 0x4242, df: true, proto: layers.IPProtocolICMPv4, icmpType: 8, icmpID: 0xbeef, icmpSeq: 3, payload: payload},
		{vlans: 2, src: ipClient, dst: ipVIP, ttl: 1, tos: 0x28, proto: layers.IPProtocolICMPv4, icmpType: 8, icmpID: 1, icmpSeq: 65535},
		{vlans: 1, options: true, src: ipClient, dst: ipVIP, ttl: 255, proto: layers.IPProtocolICMPv4, icmpType: 8, icmpCode: 0, payload: payload[:1]},
	} {
		in := buildFrame(t, s)
		var p Parsed
		if Parse(in, &p) != OK {
			t.Fatal("parse")
		}
		if !EchoReplyInPlace(in, &p) {
			t.Fatal("EchoReplyInPlace = false")
		}
		r := s
		r.src, r.dst, r.ttl, r.icmpType = s.dst, s.src, 64, 0
		exp := buildFrame(t, r)
		copy(exp[0:6], macA[:]) // MACs swapped
		copy(exp[6:12], macB[:])
		if !bytes.Equal(in, exp) {
			t.Fatalf("reply\n got %x\nwant %x", in, exp)
		}
		if q := checkFrame(t, in); q != p {
			t.Fatalf("Parsed %+v, re-parse %+v", p, q)
		}
		// A reply is not a request: second call refuses and changes nothing.
		orig := clone(in)
		if EchoReplyInPlace(in, &p) || !bytes.Equal(in, orig) {
			t.Fatal("echo reply answered")
		}
	}
	for _, s := range []spec{
		{src: ipClient, dst: ipVIP, proto: layers.IPProtocolICMPv4, icmpType: 3, payload: make([]byte, 28)},
		{src: ipClient, dst: ipVIP, proto: layers.IPProtocolUDP},
	} {
		in := buildFrame(t, s)
		var p Parsed
		Parse(in, &p)
		if EchoReplyInPlace(in, &p) {
			t.Fatalf("non-echo answered: %+v", s)
		}
	}
	if EchoReplyInPlace(nil, &Parsed{Proto: ProtoICMP, L3Off: 14, L4Off: 34, IPEnd: 42}) {
		t.Fatal("nil frame")
	}
}

func TestIsICMPError(t *testing.T) {
	for ty := 0; ty < 256; ty++ {
		want := ty == 3 || ty == 4 || ty == 5 || ty == 11 || ty == 12
		if IsICMPError(uint8(ty)) != want {
			t.Errorf("IsICMPError(%d) = %v", ty, !want)
		}
	}
}

// icmpCase is one quoted datagram and how much of it the error carries.
type icmpCase struct {
	name     string
	proto    layers.IPProtocol
	options  bool
	payload  []byte
	quoteLen int // 0 = everything
	zeroUDP  bool
	// halfCsum: the quote ends inside the TCP checksum field. Its first byte
	// cannot be updated (the new value depends on the missing byte), so it
	// keeps the original value rather than the reference's.
	halfCsum bool
}

func icmpCases() []icmpCase {
	long := bytes.Repeat([]byte("0123456789abcdef"), 40) // quote exceeds 548
	return []icmpCase{
		{"tcp full", layers.IPProtocolTCP, false, []byte("hello, odd"), 0, false, false},
		{"tcp header only", layers.IPProtocolTCP, false, nil, 0, false, false},
		{"tcp 8 bytes", layers.IPProtocolTCP, false, []byte("payload"), 28, false, false},
		{"tcp csum just quoted", layers.IPProtocolTCP, false, []byte("payload"), 38, false, false},
		{"tcp csum cut", layers.IPProtocolTCP, false, []byte("payload"), 37, false, true},
		{"tcp truncated payload", layers.IPProtocolTCP, false, long, 20 + 20 + 100, false, false},
		{"tcp quoted ip options", layers.IPProtocolTCP, true, []byte("x"), 0, false, false},
		{"udp full", layers.IPProtocolUDP, false, []byte("dns?"), 0, false, false},
		{"udp 8 bytes", layers.IPProtocolUDP, false, []byte("dns?"), 28, false, false},
		{"udp zero checksum", layers.IPProtocolUDP, false, []byte("dns?"), 0, true, false},
		{"udp options long", layers.IPProtocolUDP, true, long[:500], 0, false, false},
	}
}

func quoteOf(t *testing.T, c icmpCase, src, dst uint32, sport, dport uint16) []byte {
	q := buildIP(t, spec{src: src, dst: dst, sport: sport, dport: dport, proto: c.proto, options: c.options,
		payload: c.payload, tcpFlags: "PA", ttl: 61, id: 0x1111})
	ihl := int(q[0]&0xf) * 4
	if c.zeroUDP {
		binary.BigEndian.PutUint16(q[ihl+6:], 0)
	}
	if c.quoteLen > 0 {
		q = q[:c.quoteLen]
	}
	return q
}

// verifyICMPError checks every checksum of a translated ICMP error with the
// oracle, and that ParseICMPError sees what the translation reported.
func verifyICMPError(t *testing.T, frame []byte, p *Parsed, q *Quoted, full bool) {
	t.Helper()
	rp := checkFrame(t, frame) // outer IP header and ICMP over the whole message
	if rp != *p {
		t.Fatalf("Parsed %+v, re-parse %+v", *p, rp)
	}
	if !ipHdrValid(frame, q.Off) {
		t.Fatal("quoted IP header checksum invalid")
	}
	var rq Quoted
	if !ParseICMPError(frame, &rp, &rq) || rq != *q {
		t.Fatalf("Quoted %+v, re-parse %+v", *q, rq)
	}
	if full {
		if !l4Valid(q.Src, q.Dst, q.Proto, frame[q.L4Off:p.IPEnd]) {
			t.Fatal("quoted L4 checksum invalid")
		}
	}
}

func TestICMPErrorTranslation(t *testing.T) {
	const cport, vport, rport = 40000, 80, 8080
	for _, c := range icmpCases() {
		for vlans := 0; vlans <= 1; vlans++ {
			full := c.quoteLen == 0
			t.Run(c.name+"/reply direction", func(t *testing.T) {
				// RS says "port unreachable" about C:cport -> RS:rport; the client
				// must see it from VIP about C:cport -> VIP:vport.
				in := buildICMPErrorFrame(t, vlans, ipRS, ipClient, 3, 3, 0, quoteOf(t, c, ipClient, ipRS, cport, rport))
				exp := buildICMPErrorFrame(t, vlans, ipVIP, ipClient, 3, 3, 0, quoteOf(t, c, ipClient, ipVIP, cport, vport))
				var p Parsed
				var q Quoted
				if Parse(in, &p) != OK || !ParseICMPError(in, &p, &q) {
					t.Fatal("parse")
				}
				if q.Src != ipClient || q.Dst != ipRS || !q.HasPorts || q.SrcPort != cport || q.DstPort != rport || q.Proto != uint8(c.proto) {
					t.Fatalf("Quoted %+v", q)
				}
				orig := clone(in)
				ICMPErrorSetOuterSrcInnerDst(in, &p, &q, ipVIP, ipVIP, vport)
				fixHalfCsum(t, c, orig, exp, p.IPEnd)
				if !bytes.Equal(in, exp) {
					t.Fatalf("translated\n got %x\nwant %x", in, exp)
				}
				if p.Src != ipVIP || q.Dst != ipVIP || q.DstPort != vport {
					t.Fatalf("structs not updated: %+v %+v", p, q)
				}
				verifyICMPError(t, in, &p, &q, full)
			})
			t.Run(c.name+"/request direction", func(t *testing.T) {
				// A router says "fragmentation needed" about VIP:vport -> C:cport;
				// the RS must see it addressed to itself about RS:rport -> C:cport.
				in := buildICMPErrorFrame(t, vlans, ipRouter, ipVIP, 3, 4, 1400, quoteOf(t, c, ipVIP, ipClient, vport, cport))
				exp := buildICMPErrorFrame(t, vlans, ipRouter, ipRS, 3, 4, 1400, quoteOf(t, c, ipRS, ipClient, rport, cport))
				var p Parsed
				var q Quoted
				if Parse(in, &p) != OK || !ParseICMPError(in, &p, &q) {
					t.Fatal("parse")
				}
				orig := clone(in)
				ICMPErrorSetOuterDstInnerSrc(in, &p, &q, ipRS, ipRS, rport)
				fixHalfCsum(t, c, orig, exp, p.IPEnd)
				if !bytes.Equal(in, exp) {
					t.Fatalf("translated\n got %x\nwant %x", in, exp)
				}
				if p.Dst != ipRS || q.Src != ipRS || q.SrcPort != rport {
					t.Fatalf("structs not updated: %+v %+v", p, q)
				}
				verifyICMPError(t, in, &p, &q, full)
			})
		}
	}
}

// fixHalfCsum makes exp expect the untouched half checksum byte and a
// correspondingly recomputed ICMP checksum.
func fixHalfCsum(t *testing.T, c icmpCase, orig, exp []byte, ipEnd int) {
	if !c.halfCsum {
		return
	}
	exp[ipEnd-1] = orig[ipEnd-1]
	l4 := ipEnd - (8 + c.quoteLen) // start of the ICMP message
	exp[l4+2], exp[l4+3] = 0, 0
	binary.BigEndian.PutUint16(exp[l4+2:], refSum(exp[l4:ipEnd]))
}

func TestICMPErrorQuotedICMP(t *testing.T) {
	// Time exceeded about an echo request: no ports, only addresses change.
	quote := buildIP(t, spec{src: ipClient, dst: ipRS, proto: layers.IPProtocolICMPv4, icmpType: 8, icmpID: 5, payload: []byte("ping")})
	in := buildICMPErrorFrame(t, 0, ipRS, ipClient, 11, 0, 0, quote)
	var p Parsed
	var q Quoted
	if Parse(in, &p) != OK || !ParseICMPError(in, &p, &q) || q.HasPorts || q.Proto != ProtoICMP {
		t.Fatalf("parse: %+v", q)
	}
	ICMPErrorSetOuterSrcInnerDst(in, &p, &q, ipVIP, ipVIP, 1234)
	exp := buildICMPErrorFrame(t, 0, ipVIP, ipClient, 11, 0, 0,
		buildIP(t, spec{src: ipClient, dst: ipVIP, proto: layers.IPProtocolICMPv4, icmpType: 8, icmpID: 5, payload: []byte("ping")}))
	if !bytes.Equal(in, exp) {
		t.Fatalf("got %x\nwant %x", in, exp)
	}
	verifyICMPError(t, in, &p, &q, false)
}

func TestParseICMPErrorRejects(t *testing.T) {
	good := buildIP(t, spec{src: ipClient, dst: ipRS, sport: 1, dport: 2, proto: layers.IPProtocolTCP})
	tests := []struct {
		name     string
		typ      uint8
		quote    func([]byte) []byte
		ok       bool
		hasPorts bool
	}{
		{"good", 3, func(b []byte) []byte { return b }, true, true},
		{"echo is not an error", 8, func(b []byte) []byte { return b }, false, false},
		{"quote < 20 bytes", 3, func(b []byte) []byte { return b[:19] }, false, false},
		{"quoted ipv6", 3, func(b []byte) []byte { b[0] = 0x65; return b }, false, false},
		{"quoted ihl 4", 11, func(b []byte) []byte { b[0] = 0x44; return b }, false, false},
		{"quoted ihl past end", 12, func(b []byte) []byte { b[0] = 0x4f; return b[:40] }, false, false},
		{"7 bytes of L4", 3, func(b []byte) []byte { return b[:27] }, true, false},
		{"non-first fragment", 3, func(b []byte) []byte { b[7] = 1; return b }, true, false},
		{"first fragment", 3, func(b []byte) []byte { b[6] = 0x20; return b }, true, true},
		{"other protocol", 3, func(b []byte) []byte { b[9] = 47; return b }, true, false},
	}
	for _, tc := range tests {
		in := buildICMPErrorFrame(t, 0, ipRS, ipClient, tc.typ, 0, 0, tc.quote(clone(good)))
		var p Parsed
		var q Quoted
		if Parse(in, &p) != OK {
			t.Fatalf("%s: outer parse", tc.name)
		}
		ok := ParseICMPError(in, &p, &q)
		if ok != tc.ok || q.HasPorts != tc.hasPorts {
			t.Errorf("%s: ok=%v HasPorts=%v", tc.name, ok, q.HasPorts)
		}
		if !ok && q != (Quoted{}) {
			t.Errorf("%s: Quoted not reset", tc.name)
		}
	}
	// Non-ICMP frames.
	in := buildFrame(t, spec{src: 1, dst: 2, proto: layers.IPProtocolUDP, payload: make([]byte, 40)})
	var p Parsed
	var q Quoted
	Parse(in, &p)
	if ParseICMPError(in, &p, &q) {
		t.Error("UDP accepted")
	}
}

func TestICMPErrorTranslationBadQuotedIsNoop(t *testing.T) {
	in := buildICMPErrorFrame(t, 0, ipRS, ipClient, 3, 3, 0,
		buildIP(t, spec{src: ipClient, dst: ipRS, sport: 1, dport: 2, proto: layers.IPProtocolUDP}))
	var p Parsed
	var good Quoted
	Parse(in, &p)
	if !ParseICMPError(in, &p, &good) {
		t.Fatal("parse")
	}
	for _, q := range []Quoted{
		{},
		{Off: good.Off + 1, L4Off: good.L4Off, HasPorts: true},
		{Off: good.Off, L4Off: good.Off + 10},
		{Off: good.Off, L4Off: p.IPEnd + 1},
		{Off: good.Off, L4Off: p.IPEnd - 4, HasPorts: true},
	} {
		f := clone(in)
		qq := q
		pp := p
		ICMPErrorSetOuterSrcInnerDst(f, &pp, &qq, 1, 2, 3)
		ICMPErrorSetOuterDstInnerSrc(f, &pp, &qq, 1, 2, 3)
		if !bytes.Equal(f, in) || qq != q || pp != p {
			t.Errorf("%+v: modified", q)
		}
	}
	pp := p
	pp.IPEnd = len(in) + 1
	ICMPErrorSetOuterSrcInnerDst(in, &pp, &good, 1, 2, 3)
	ICMPErrorSetOuterSrcInnerDst(in[:40], &p, &good, 1, 2, 3)
}

func TestBuildICMPError(t *testing.T) {
	big := buildIP(t, spec{src: ipClient, dst: ipVIP, sport: 1, dport: 80, proto: layers.IPProtocolTCP, df: true,
		payload: bytes.Repeat([]byte{0xab}, 1460)})
	small := buildIP(t, spec{src: ipClient, dst: ipVIP, sport: 1, dport: 80, proto: layers.IPProtocolUDP, payload: []byte("hi")})
	padded := append(clone(small), 0, 0, 0, 0, 0, 0) // Ethernet padding must not be quoted
	tests := []struct {
		name    string
		quoted  []byte
		wantQ   int
		wantLen int
	}{
		{"frag needed for 1500", big, MaxICMPErrorQuote, 14 + 20 + 8 + MaxICMPErrorQuote},
		{"small", small, len(small), 14 + 20 + 8 + len(small)},
		{"padding not quoted", padded, len(small), 14 + 20 + 8 + len(small)},
		{"header + 8", big[:28], 28, 70},
		{"empty quote padded to 60", nil, 0, 60},
	}
	for _, tc := range tests {
		buf := bytes.Repeat([]byte{0xee}, 700)
		n := BuildICMPError(buf, macC, macA, ipVIP, ipClient, ICMPDestUnreach, ICMPCodeFragNeeded, 1480, tc.quoted)
		if n != tc.wantLen {
			t.Fatalf("%s: n = %d, want %d", tc.name, n, tc.wantLen)
		}
		f := buf[:n]
		var p Parsed
		if Parse(f, &p) != OK {
			t.Fatalf("%s: parse", tc.name)
		}
		checkFrame(t, f)
		if p.IPEnd != 14+20+8+tc.wantQ || p.Src != ipVIP || p.Dst != ipClient || p.TTL != 64 || p.ICMPType != 3 || p.ICMPCode != 4 ||
			EthSrc(f) != macC || EthDst(f) != macA {
			t.Fatalf("%s: %+v", tc.name, p)
		}
		for _, b := range f[p.IPEnd:] {
			if b != 0 {
				t.Fatalf("%s: padding not zero", tc.name)
			}
		}
		if !bytes.Equal(f[42:p.IPEnd], tc.quoted[:tc.wantQ]) {
			t.Fatalf("%s: quote differs", tc.name)
		}
		icmp, _ := decode(f).Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
		if icmp == nil || icmp.TypeCode != layers.CreateICMPv4TypeCode(3, 4) || icmp.Seq != 1480 || icmp.Id != 0 {
			t.Fatalf("%s: gopacket view %+v", tc.name, icmp)
		}
		if tc.wantQ >= 28 {
			var q Quoted
			if !ParseICMPError(f, &p, &q) || q.Src != ipClient || q.Dst != ipVIP || !q.HasPorts || q.DstPort != 80 {
				t.Fatalf("%s: quoted %+v", tc.name, q)
			}
		}
	}
	if BuildICMPError(make([]byte, 59), macC, macA, 1, 2, 3, 4, 0, nil) != 0 ||
		BuildICMPError(make([]byte, 100), macC, macA, 1, 2, 3, 4, 0, big) != 0 {
		t.Fatal("small buffer accepted")
	}
}
