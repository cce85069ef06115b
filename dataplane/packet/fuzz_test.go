package packet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// seed is a named fuzz input; the name starts with the Error label Parse must
// return for it, which TestFuzzCorpus checks for the checked-in files.
type seed struct {
	name string
	data []byte
}

func setU16(b []byte, off int, v uint16) []byte { binary.BigEndian.PutUint16(b[off:], v); return b }

func seedFrames(t testing.TB) []seed {
	tcp := spec{src: ipClient, dst: ipVIP, sport: 40000, dport: 80, proto: layers.IPProtocolTCP, tcpFlags: "S", tcpOptions: true}
	tcpData := spec{src: ipClient, dst: ipVIP, sport: 40000, dport: 80, proto: layers.IPProtocolTCP, tcpFlags: "PA", payload: []byte("GET / HTTP/1.0\r\n\r\n")}
	udp := spec{src: ipClient, dst: ipVIP, sport: 5353, dport: 53, proto: layers.IPProtocolUDP, payload: []byte("query")}
	echo := spec{src: ipClient, dst: ipVIP, proto: layers.IPProtocolICMPv4, icmpType: 8, icmpID: 7, icmpSeq: 1, payload: []byte("ping!")}
	fix := func(b []byte, l3 int) []byte { fixIPCsum(b, l3); return b }
	f := func(s spec) []byte { return buildFrame(t, s) }
	with := func(s spec, m func(*spec)) spec { m(&s); return s }
	arp := func(vlans int, op uint16, tha MAC, spa, tpa uint32) []byte {
		return serialize(t, append(l2Layers(vlans, layers.EthernetTypeARP), &layers.ARP{
			AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: op, SourceHwAddress: hwAddr(macA), SourceProtAddress: netIP(spa),
			DstHwAddress: hwAddr(tha), DstProtAddress: netIP(tpa)})...)
	}
	quoteTCP := buildIP(t, with(tcpData, func(s *spec) { s.dst = ipRS; s.dport = 8080 }))
	quoteUDP := buildIP(t, with(udp, func(s *spec) { s.src, s.dst, s.sport, s.dport = ipVIP, ipClient, 53, 5353 }))
	quoteEcho := buildIP(t, echo)
	icmpErr := func(vlans int, src, dst uint32, typ, code uint8, seq uint16, q []byte) []byte {
		return buildICMPErrorFrame(t, vlans, src, dst, typ, code, seq, q)
	}
	r := rand.New(rand.NewPCG(5, 6))
	garbage := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		return b
	}
	v6 := serialize(t, append(l2Layers(0, layers.EthernetTypeIPv6),
		&layers.IPv6{Version: 6, NextHeader: layers.IPProtocolUDP, HopLimit: 64,
			SrcIP: []byte{0x20, 1, 0xd, 0xb8, 15: 1}, DstIP: []byte{0x20, 1, 0xd, 0xb8, 15: 2}},
		gopacket.Payload("v6 payload"))...)

	return []seed{
		{"ok-tcp_syn_mss", f(tcp)},
		{"ok-tcp_payload", f(tcpData)},
		{"ok-tcp_padded", append(f(with(tcp, func(s *spec) { s.tcpOptions = false })), 1, 2, 3)},
		{"ok-udp", f(udp)},
		{"ok-udp_zero_csum", func() []byte { b := f(udp); return setU16(b, 34+6, 0) }()},
		{"ok-icmp_echo", f(echo)},
		{"ok-icmp_echo_reply", f(with(echo, func(s *spec) { s.icmpType = 0 }))},
		{"ok-ip_options_tcp", f(with(tcpData, func(s *spec) { s.options = true }))},
		{"ok-ip_options_echo", f(with(echo, func(s *spec) { s.options = true }))},
		{"ok-vlan1_tcp", f(with(tcpData, func(s *spec) { s.vlans = 1 }))},
		{"ok-vlan2_udp", f(with(udp, func(s *spec) { s.vlans = 2 }))},
		{"ok-vlan2_echo", f(with(echo, func(s *spec) { s.vlans = 2 }))},
		{"ok-ipip", f(spec{src: ipVIP, dst: ipRS, proto: layers.IPProtocolIPv4, payload: quoteTCP})},
		{"ok-ttl1_tcp", f(with(tcp, func(s *spec) { s.ttl = 1 }))},
		{"ok-arp_request", arp(0, 1, MAC{}, ipClient, ipVIP)},
		{"ok-arp_reply", arp(0, 2, macB, ipClient, ipVIP)},
		{"ok-arp_vlan2", arp(2, 1, MAC{}, ipClient, ipVIP)},
		{"ok-arp_garp", arp(0, 1, BroadcastMAC, ipVIP, ipVIP)},
		{"ok-arp_bad_htype", setU16(arp(0, 1, MAC{}, ipClient, ipVIP), 14, 6)},
		{"ok-arp_truncated", arp(0, 1, MAC{}, ipClient, ipVIP)[:30]},
		{"ok-icmp_err_port_unreach_udp", icmpErr(0, ipClient, ipVIP, 3, 3, 0, quoteUDP)},
		{"ok-icmp_err_frag_needed_tcp28", icmpErr(0, ipRouter, ipVIP, 3, 4, 1400, quoteTCP[:28])},
		{"ok-icmp_err_time_exceeded_tcp_full", icmpErr(1, ipRS, ipClient, 11, 0, 0, quoteTCP)},
		{"ok-icmp_err_quoted_echo", icmpErr(0, ipRS, ipClient, 11, 0, 0, quoteEcho)},
		{"ok-icmp_err_quoted_options", icmpErr(2, ipRS, ipClient, 3, 1, 0,
			buildIP(t, with(udp, func(s *spec) { s.options = true })))},
		{"ok-icmp_err_quote_cut", icmpErr(0, ipRS, ipClient, 3, 3, 0, quoteTCP[:24])},
		{"ok-icmp_err_quoted_ihl_bad", icmpErr(0, ipRS, ipClient, 3, 3, 0, func() []byte { q := clone(quoteTCP); q[0] = 0x4f; return q[:40] }())},
		{"truncated-empty", []byte{}},
		{"truncated-eth", f(tcp)[:13]},
		{"truncated-vlan", f(with(udp, func(s *spec) { s.vlans = 2 }))[:20]},
		{"truncated-ip", f(tcp)[:30]},
		{"not_ipv4-ipv6", v6},
		{"not_ipv4-vlan3", f(with(udp, func(s *spec) { s.vlans = 3 }))},
		{"not_ipv4-lldp", setU16(f(udp), 12, 0x88cc)},
		{"bad_version", fix(func() []byte { b := f(tcp); b[14] = 0x65; return b }(), 14)},
		{"bad_ihl-4", func() []byte { b := f(tcp); b[14] = 0x44; return b }()},
		{"bad_ihl-15", func() []byte { b := f(udp); b[14] = 0x4f; return b[:50] }()},
		{"bad_total_len-small", fix(setU16(f(tcp), 16, 19), 14)},
		{"bad_total_len-large", fix(setU16(f(tcp), 16, 1500), 14)},
		{"bad_checksum", func() []byte { b := f(tcp); b[24] ^= 0x55; return b }()},
		{"fragment-mf", fix(func() []byte { b := f(udp); b[20] |= 0x20; return b }(), 14)},
		{"fragment-offset", fix(func() []byte { b := f(udp); b[21] = 0xb9; return b }(), 14)},
		{"l4_truncated-tcp", fix(setU16(f(tcpData), 16, 20+19), 14)},
		{"l4_truncated-udp", fix(setU16(f(udp), 16, 20+7), 14)},
		{"l4_truncated-udp_len", setU16(f(udp), 34+4, 200)},
		{"l4_truncated-icmp", fix(setU16(f(echo), 16, 20+4), 14)},
		{"bad_tcp_offset-small", func() []byte { b := f(tcp); b[34+12] = 0x30; return b }()},
		{"bad_tcp_offset-large", func() []byte { b := f(tcp); b[34+12] = 0xf0; return b }()},
		{"not_ipv4-garbage64", garbage(64)},
		{"not_ipv4-garbage1500", garbage(1500)},
		{"not_ipv4-zeros", make([]byte, 60)},
		{"truncated-ff", bytes.Repeat([]byte{0xff}, 12)},
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range seedFrames(f) {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAll(t, data)
	})
}

// FuzzICMPError wraps arbitrary bytes as the quote of a well-formed ICMP
// error and checks that translation keeps every checksum that was valid
// before valid after, in both directions.
func FuzzICMPError(f *testing.F) {
	tcp := buildIP(f, spec{src: ipClient, dst: ipRS, sport: 40000, dport: 8080, proto: layers.IPProtocolTCP, tcpFlags: "PA", payload: []byte("abc")})
	udp := buildIP(f, spec{src: ipVIP, dst: ipClient, sport: 53, dport: 5353, proto: layers.IPProtocolUDP, options: true, payload: []byte("answer")})
	udp0 := clone(udp)
	udp0[24+6], udp0[24+7] = 0, 0
	echo := buildIP(f, spec{src: ipClient, dst: ipRS, proto: layers.IPProtocolICMPv4, icmpType: 8, icmpID: 9})
	frag := clone(tcp)
	frag[6] = 0x20 // first fragment, MF
	for _, q := range [][]byte{tcp, tcp[:28], tcp[:37], tcp[:38], udp, udp[:32], udp0, echo, frag, tcp[:20], tcp[:10], nil} {
		f.Add(q, uint8(3), uint8(3), ipVIP, uint16(80), false)
		f.Add(q, uint8(11), uint8(0), ipRS, uint16(8080), true)
	}
	f.Fuzz(func(t *testing.T, quote []byte, typ, code uint8, addr uint32, port uint16, vlan bool) {
		if len(quote) > 1400 {
			quote = quote[:1400]
		}
		if !IsICMPError(typ) {
			typ = ICMPDestUnreach
		}
		frame := rawICMPFrame(vlan, ipRS, ipClient, typ, code, quote)
		var p Parsed
		if e := Parse(frame, &p); e != OK {
			t.Fatalf("well-formed ICMP error rejected: %v", e)
		}
		checkICMPError(t, frame, &p, addr, port)
	})
}

// FuzzRewriteAnyParsed feeds the rewriters offsets that did not come from
// Parse. Nothing may panic, whatever p and q claim.
func FuzzRewriteAnyParsed(f *testing.F) {
	good := buildFrame(f, spec{src: ipClient, dst: ipVIP, sport: 1, dport: 80, proto: layers.IPProtocolTCP})
	f.Add(good, 14, 14, 34, 54, uint8(ProtoTCP), uint8(8), 42, 62, true)
	f.Add(good, 0, -1, 1<<30, -5, uint8(ProtoUDP), uint8(3), -1, 1<<40, true)
	f.Fuzz(func(t *testing.T, data []byte, l2, l3, l4, end int, proto, typ uint8, qoff, ql4 int, hasPorts bool) {
		p := Parsed{L2Len: l2, L3Off: l3, L4Off: l4, IPEnd: end, Proto: proto, EtherType: EtherTypeARP, ICMPType: typ}
		q := Quoted{Off: qoff, L4Off: ql4, Proto: proto, HasPorts: hasPorts}
		var a ARP
		d := clone(data)
		VerifyIPv4Header(d, &p)
		SetDst(d, &p, 1, 2)
		SetSrc(d, &p, 3, 4)
		DecTTL(d, &p)
		EchoReplyInPlace(d, &p)
		ICMPErrorSetOuterSrcInnerDst(d, &p, &q, 5, 6, 7)
		ICMPErrorSetOuterDstInnerSrc(d, &p, &q, 8, 9, 10)
		ParseICMPError(d, &p, &q)
		ParseARP(d, &p, &a)
		ARPReplyInPlace(d, &p, &a, macC)
		SetEth(d, macA, macB)
		_, _ = EthSrc(d), EthDst(d)
		BuildARPRequest(d, macA, 1, 2)
		BuildGratuitousARP(d, macA, 1)
		BuildICMPError(d, macA, macB, 1, 2, typ, 0, 0, data)
		_ = Error(typ).String()
		if len(d) != len(data) {
			t.Fatal("length changed")
		}
	})
}

// rawICMPFrame builds Ethernet + IPv4 + ICMP error around quote verbatim
// (BuildICMPError would trim the quote to its total length).
func rawICMPFrame(vlan bool, src, dst uint32, typ, code uint8, quote []byte) []byte {
	l2 := EthHdrLen
	if vlan {
		l2 += VLANTagLen
	}
	ipLen := IPv4HdrLen + ICMPHdrLen + len(quote)
	b := make([]byte, l2+ipLen)
	putEthHdr(b, macB, macA, EtherTypeIPv4)
	if vlan {
		binary.BigEndian.PutUint16(b[12:], EtherTypeVLAN)
		binary.BigEndian.PutUint16(b[14:], 42)
		binary.BigEndian.PutUint16(b[16:], EtherTypeIPv4)
	}
	ip := b[l2:]
	ip[0], ip[8], ip[9] = 0x45, 64, ProtoICMP
	binary.BigEndian.PutUint16(ip[2:], uint16(ipLen))
	binary.BigEndian.PutUint32(ip[12:], src)
	binary.BigEndian.PutUint32(ip[16:], dst)
	binary.BigEndian.PutUint16(ip[10:], refSum(ip[:20]))
	m := ip[20:]
	m[0], m[1] = typ, code
	copy(m[8:], quote)
	binary.BigEndian.PutUint16(m[2:], refSum(m))
	return b
}

// checkAll runs every operation that applies to data on copies and checks
// the invariants each promises.
func checkAll(t *testing.T, data []byte) {
	orig := clone(data)
	var p Parsed
	e := Parse(data, &p)
	if !bytes.Equal(orig, data) {
		t.Fatal("Parse modified the frame")
	}
	if e >= NumErrors {
		t.Fatalf("Parse returned %d", e)
	}
	if e != OK {
		return
	}
	if p.L2Len != EthHdrLen+VLANTagLen*p.VLANs || p.L3Off != p.L2Len || p.VLANs > MaxVLANs {
		t.Fatalf("bad L2 fields %+v", p)
	}
	if p.EtherType == EtherTypeARP {
		checkARP(t, data, &p)
		return
	}
	if p.EtherType != EtherTypeIPv4 {
		t.Fatalf("OK for ethertype %#x", p.EtherType)
	}
	if p.L4Off < p.L3Off+IPv4HdrLen || p.L4Off > p.IPEnd || p.IPEnd > len(data) {
		t.Fatalf("bad offsets %+v len %d", p, len(data))
	}
	if !VerifyIPv4Header(data, &p) || !ipHdrValid(data, p.L3Off) {
		t.Fatal("OK with an invalid header checksum")
	}
	seg := data[p.L4Off:p.IPEnd]
	l4WasValid := hasPorts(p.Proto) && l4Valid(p.Src, p.Dst, p.Proto, seg)

	for i, op := range []func([]byte, *Parsed){
		func(b []byte, p *Parsed) { SetDst(b, p, 0x0a0a0a0a, 8080) },
		func(b []byte, p *Parsed) { SetSrc(b, p, 0xc0a80001, 0) },
		func(b []byte, p *Parsed) { SetDst(b, p, p.Src, p.SrcPort) },
	} {
		c := clone(data)
		pp := p
		op(c, &pp)
		if !VerifyIPv4Header(c, &pp) || !ipHdrValid(c, pp.L3Off) {
			t.Fatalf("op %d: IP header checksum broken", i)
		}
		var rp Parsed
		if Parse(c, &rp) != OK || rp != pp {
			t.Fatalf("op %d: re-parse %+v, tracked %+v", i, rp, pp)
		}
		if l4WasValid && !l4Valid(pp.Src, pp.Dst, pp.Proto, c[pp.L4Off:pp.IPEnd]) {
			t.Fatalf("op %d: L4 checksum broken", i)
		}
		if p.Proto == ProtoUDP && binary.BigEndian.Uint16(seg[6:]) == 0 && binary.BigEndian.Uint16(c[pp.L4Off+6:]) != 0 {
			t.Fatalf("op %d: zero UDP checksum filled in", i)
		}
	}

	c := clone(data)
	pp := p
	if DecTTL(c, &pp) != (p.TTL > 1) {
		t.Fatalf("DecTTL with TTL %d", p.TTL)
	}
	if p.TTL > 1 && (!ipHdrValid(c, p.L3Off) || c[p.L3Off+8] != p.TTL-1 || pp.TTL != p.TTL-1) {
		t.Fatal("DecTTL broke the header")
	}
	if p.TTL <= 1 && !bytes.Equal(c, data) {
		t.Fatal("DecTTL changed a frame it refused")
	}

	if p.Proto != ProtoICMP {
		return
	}
	c = clone(data)
	pp = p
	icmpWasValid := refSum(seg) == 0
	if EchoReplyInPlace(c, &pp) != (p.ICMPType == ICMPEcho) {
		t.Fatal("EchoReplyInPlace result")
	}
	if p.ICMPType == ICMPEcho {
		var rp Parsed
		if Parse(c, &rp) != OK || rp != pp || rp.Src != p.Dst || rp.Dst != p.Src || rp.ICMPType != 0 || rp.TTL != 64 {
			t.Fatalf("echo reply re-parse %+v", rp)
		}
		if icmpWasValid && refSum(c[pp.L4Off:pp.IPEnd]) != 0 {
			t.Fatal("echo reply ICMP checksum broken")
		}
		if EthSrc(c) != EthDst(data) || EthDst(c) != EthSrc(data) {
			t.Fatal("MACs not swapped")
		}
	}
	checkICMPError(t, data, &p, 0x0a0a0a0a, 8080)
}

// checkICMPError translates the ICMP error in frame both ways (on copies)
// and checks the checksums, if frame holds one.
func checkICMPError(t *testing.T, frame []byte, p *Parsed, addr uint32, port uint16) {
	var q Quoted
	if !ParseICMPError(frame, p, &q) {
		if IsICMPError(p.ICMPType) && p.IPEnd-p.L4Off >= 28 && frame[p.L4Off+8] == 0x45 {
			t.Fatal("plain quoted header rejected")
		}
		return
	}
	if q.Off != p.L4Off+8 || q.L4Off < q.Off+20 || q.L4Off > p.IPEnd || (q.HasPorts && q.L4Off+8 > p.IPEnd) {
		t.Fatalf("bad Quoted %+v for %+v", q, *p)
	}
	quotedIPValid := ipHdrValid(frame, q.Off)
	// The quoted L4 checksum can be checked only if the whole segment is quoted.
	qTotal := int(binary.BigEndian.Uint16(frame[q.Off+2:]))
	qEnd := q.Off + qTotal
	minL4 := 8
	if q.Proto == ProtoTCP {
		minL4 = 18
	}
	frag := binary.BigEndian.Uint16(frame[q.Off+6:])&0x3fff != 0
	fullyQuoted := q.HasPorts && !frag && qEnd <= p.IPEnd && qEnd >= q.L4Off+minL4
	l4WasValid := fullyQuoted && l4Valid(q.Src, q.Dst, q.Proto, frame[q.L4Off:qEnd])

	for dir := 0; dir < 2; dir++ {
		c := clone(frame)
		pp, qq := *p, q
		if dir == 0 {
			ICMPErrorSetOuterSrcInnerDst(c, &pp, &qq, addr, addr^1, port)
			if pp.Src != addr || qq.Dst != addr^1 || (q.HasPorts && qq.DstPort != port) {
				t.Fatalf("dir %d: structs %+v %+v", dir, pp, qq)
			}
		} else {
			ICMPErrorSetOuterDstInnerSrc(c, &pp, &qq, addr, addr^1, port)
			if pp.Dst != addr || qq.Src != addr^1 || (q.HasPorts && qq.SrcPort != port) {
				t.Fatalf("dir %d: structs %+v %+v", dir, pp, qq)
			}
		}
		var rp Parsed
		if Parse(c, &rp) != OK || rp != pp {
			t.Fatalf("dir %d: re-parse %+v, tracked %+v", dir, rp, pp)
		}
		if !ipHdrValid(c, pp.L3Off) {
			t.Fatalf("dir %d: outer IP checksum invalid", dir)
		}
		if refSum(c[pp.L4Off:pp.IPEnd]) != 0 {
			t.Fatalf("dir %d: ICMP checksum invalid", dir)
		}
		if ipHdrValid(c, q.Off) != quotedIPValid {
			t.Fatalf("dir %d: quoted IP checksum validity changed", dir)
		}
		var rq Quoted
		if !ParseICMPError(c, &rp, &rq) || rq != qq {
			t.Fatalf("dir %d: quoted re-parse %+v, tracked %+v", dir, rq, qq)
		}
		if l4WasValid && !l4Valid(qq.Src, qq.Dst, qq.Proto, c[qq.L4Off:qEnd]) {
			t.Fatalf("dir %d: quoted L4 checksum broken", dir)
		}
	}
}

func checkARP(t *testing.T, data []byte, p *Parsed) {
	var a ARP
	if !ParseARP(data, p, &a) {
		return
	}
	c := clone(data)
	before := a
	ARPReplyInPlace(c, p, &a, macC)
	if a != before {
		t.Fatal("ARPReplyInPlace modified a")
	}
	var rp Parsed
	var r ARP
	if Parse(c, &rp) != OK || !ParseARP(c, &rp, &r) {
		t.Fatal("reply does not parse")
	}
	if r != (ARP{Op: ARPReply, SHA: macC, SPA: a.TPA, THA: a.SHA, TPA: a.SPA}) || EthDst(c) != a.SHA || EthSrc(c) != macC {
		t.Fatalf("reply %+v for request %+v", r, a)
	}
	if !bytes.Equal(c[p.L2Len+28:], data[p.L2Len+28:]) || !bytes.Equal(c[12:p.L2Len], data[12:p.L2Len]) {
		t.Fatal("reply touched bytes outside MACs and ARP payload")
	}
}

// corpusDir holds the checked-in FuzzParse seeds. Regenerate with
// GOVS_WRITE_CORPUS=1 go test -run TestFuzzCorpus ./dataplane/packet/
const corpusDir = "testdata/fuzz/FuzzParse"

// TestFuzzCorpus checks that each seed parses to the outcome its name
// promises, that together they reach every Error, and that the checked-in
// corpus matches them. Crashers added by the fuzzer (hash names) are replayed
// by the FuzzParse seed run anyway.
func TestFuzzCorpus(t *testing.T) {
	seeds := seedFrames(t)
	seen := map[Error]bool{}
	write := os.Getenv("GOVS_WRITE_CORPUS") == "1"
	for _, s := range seeds {
		var p Parsed
		e := Parse(s.data, &p)
		if !strings.HasPrefix(s.name, e.String()) {
			t.Errorf("seed %s: Parse = %v", s.name, e)
		}
		seen[e] = true
		checkAll(t, s.data)
		path := filepath.Join(corpusDir, "seed-"+s.name)
		enc := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(s.data)))
		if write {
			if err := os.MkdirAll(corpusDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(enc), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != enc {
			t.Errorf("%s missing or stale (regenerate with GOVS_WRITE_CORPUS=1): %v", path, err)
		}
	}
	for e := OK; e < NumErrors; e++ {
		if !seen[e] {
			t.Errorf("no seed reaches %v", e)
		}
	}
}
