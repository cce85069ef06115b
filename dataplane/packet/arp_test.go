package packet

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/google/gopacket/layers"
)

func arpFrame(t *testing.T, vlans int, op uint16, sha MAC, spa uint32, tha MAC, tpa uint32) []byte {
	return serialize(t, append(l2Layers(vlans, layers.EthernetTypeARP), &layers.ARP{
		AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: op, SourceHwAddress: hwAddr(sha), SourceProtAddress: netIP(spa),
		DstHwAddress: hwAddr(tha), DstProtAddress: netIP(tpa)})...)
}

func TestParseARPAndReply(t *testing.T) {
	for vlans := 0; vlans <= 2; vlans++ {
		in := arpFrame(t, vlans, ARPRequest, macA, ipClient, MAC{}, ipVIP)
		var p Parsed
		var a ARP
		if Parse(in, &p) != OK || !ParseARP(in, &p, &a) {
			t.Fatalf("vlans %d: parse failed", vlans)
		}
		want := ARP{Op: ARPRequest, SHA: macA, SPA: ipClient, TPA: ipVIP}
		if a != want {
			t.Fatalf("ParseARP = %+v, want %+v", a, want)
		}
		n := len(in)
		ARPReplyInPlace(in, &p, &a, macC)
		if len(in) != n || a != want {
			t.Fatal("length or ARP struct changed")
		}
		// Compare with a reply built by gopacket (Ethernet dst = requester).
		exp := arpFrame(t, vlans, ARPReply, macC, ipVIP, macA, ipClient)
		copy(exp[0:6], macA[:])
		copy(exp[6:12], macC[:])
		if !bytes.Equal(in, exp) {
			t.Fatalf("vlans %d reply\n got %x\nwant %x", vlans, in, exp)
		}
		pkt := decode(in)
		arp, _ := pkt.Layer(layers.LayerTypeARP).(*layers.ARP)
		if arp == nil || arp.Operation != 2 || !bytes.Equal(arp.SourceHwAddress, macC[:]) ||
			!bytes.Equal(arp.DstProtAddress, netIP(ipClient)) {
			t.Fatalf("gopacket view of reply: %+v", arp)
		}
		var r ARP
		Parse(in, &p)
		if !ParseARP(in, &p, &r) || r != (ARP{Op: ARPReply, SHA: macC, SPA: ipVIP, THA: macA, TPA: ipClient}) {
			t.Fatalf("re-parse of reply: %+v", r)
		}
	}
}

func TestParseARPRejects(t *testing.T) {
	good := arpFrame(t, 0, ARPRequest, macA, ipClient, MAC{}, ipVIP)
	var p Parsed
	Parse(good, &p)
	tests := []struct {
		name string
		f    func(b []byte) []byte
	}{
		{"htype 6", func(b []byte) []byte { b[15] = 6; return b }},
		{"ptype ipv6", func(b []byte) []byte { b[16], b[17] = 0x86, 0xdd; return b }},
		{"hlen 8", func(b []byte) []byte { b[18] = 8; return b }},
		{"plen 16", func(b []byte) []byte { b[19] = 16; return b }},
		{"truncated", func(b []byte) []byte { return b[:41] }},
	}
	for _, tc := range tests {
		in := tc.f(clone(good))
		var a ARP
		if ParseARP(in, &p, &a) {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	var a ARP
	ip := buildFrame(t, spec{proto: layers.IPProtocolUDP, src: 1, dst: 2})
	var pi Parsed
	Parse(ip, &pi)
	if ParseARP(ip, &pi, &a) {
		t.Error("IPv4 frame accepted as ARP")
	}
	if ParseARP(good, &Parsed{EtherType: EtherTypeARP, L2Len: -4}, &a) ||
		ParseARP(good, &Parsed{EtherType: EtherTypeARP, L2Len: 40}, &a) {
		t.Error("bad L2Len accepted")
	}
	// Bad offsets must not panic or write.
	f := clone(good)
	ARPReplyInPlace(f, &Parsed{L2Len: 40}, &a, macC)
	ARPReplyInPlace(f, &Parsed{L2Len: -1}, &a, macC)
	ARPReplyInPlace(f[:30], &p, &a, macC)
	if !bytes.Equal(f, good) {
		t.Error("frame modified with bad offsets")
	}
}

func unhex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(strings.NewReplacer(" ", "", "\n", "", "\t", "").Replace(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBuildARP(t *testing.T) {
	src := MAC{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	buf := bytes.Repeat([]byte{0xee}, 100) // stale bytes must not leak into padding
	n := BuildARPRequest(buf, src, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2))
	want := unhex(t, `
		ffffffffffff 525400123456 0806
		0001 0800 06 04 0001
		525400123456 0a000001
		000000000000 0a000002
		000000000000000000000000000000000000`)
	if n != MinFrameLen || !bytes.Equal(buf[:n], want) {
		t.Fatalf("request n=%d\n got %x\nwant %x", n, buf[:n], want)
	}
	if buf[n] != 0xee {
		t.Fatal("wrote past the frame")
	}
	arp, _ := decode(buf[:n]).Layer(layers.LayerTypeARP).(*layers.ARP)
	if arp == nil || arp.Operation != 1 || !bytes.Equal(arp.DstProtAddress, []byte{10, 0, 0, 2}) {
		t.Fatalf("gopacket: %+v", arp)
	}

	n = BuildGratuitousARP(buf, src, ip4(10, 0, 0, 100))
	want = unhex(t, `
		ffffffffffff 525400123456 0806
		0001 0800 06 04 0001
		525400123456 0a000064
		ffffffffffff 0a000064
		000000000000000000000000000000000000`)
	if n != MinFrameLen || !bytes.Equal(buf[:n], want) {
		t.Fatalf("garp n=%d\n got %x\nwant %x", n, buf[:n], want)
	}
	var p Parsed
	var a ARP
	if Parse(buf[:n], &p) != OK || !ParseARP(buf[:n], &p, &a) || a.SPA != a.TPA || a.THA != BroadcastMAC {
		t.Fatalf("GARP re-parse: %+v", a)
	}

	if BuildARPRequest(buf[:59], src, 1, 2) != 0 || BuildGratuitousARP(nil, src, 1) != 0 {
		t.Fatal("small buffer accepted")
	}
	if ARPFrameLen != 14+28 {
		t.Fatal("ARPFrameLen")
	}
}
