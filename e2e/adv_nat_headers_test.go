package e2e

import (
	"encoding/binary"
	"testing"

	"github.com/govs-project/govs/internal/netlab"
)

// TestAdvNATMalformedIPHeaders: each lie about the IPv4 header is its own
// drop reason: version 6 in an IPv4 frame (bad_version), IHL 4 or longer
// than the frame (bad_ihl), a total length past the frame or below the
// header (bad_total_len), a wrong header checksum (bad_ip_checksum), a
// frame that ends inside the header (truncated).
func TestAdvNATMalformedIPHeaders(t *testing.T) {
	_, s := natSite(t)
	port := forgedPorts(1)
	syn := func() []byte { return synTo(t, s.fromClient(), clientIP, vip, port, 80) }
	patch := func(off int, v byte) []byte { f := syn(); f[off] = v; fixIPChecksum(f); return f }
	ihl15 := syn()
	ihl15[ethLen] = 0x4f // 60-byte header, 40 bytes in the frame
	badSum := syn()
	badSum[ipCsum] ^= 0xff
	cases := map[string][][]byte{
		"bad_version":     {patch(ethLen, 0x65)},
		"bad_ihl":         {patch(ethLen, 0x44), ihl15},
		"bad_total_len":   {setIP16(syn(), ipTotLen, 1000), setIP16(syn(), ipTotLen, 12)},
		"bad_ip_checksum": {badSum},
		"truncated":       {syn()[:ethLen+12]},
	}
	a := s.attack(t, "malformed IPv4 headers")
	for _, frames := range cases {
		a.client(frames...)
	}
	a.settle()
	for reason, frames := range cases {
		a.wantDrop(reason, len(frames))
	}
	a.want("svc.web.conns", 0)
	a.noneAtServers("a malformed datagram", portsIn(port, 1))
}

// TestAdvNATMalformedL4Headers: TCP data offsets below 5 or past the
// segment are bad_tcp_offset; a TCP header, UDP header or ICMP header cut
// short, and a UDP length past the datagram or below 8, are l4_truncated.
// None reaches a server. (A UDP length short of the datagram is legal:
// TestAdvNATTrimsToIPLength.)
func TestAdvNATMalformedL4Headers(t *testing.T) {
	_, s := natSite(t)
	port := forgedPorts(4)
	offset := func(doff byte) []byte {
		f := synTo(t, s.fromClient(), clientIP, vip, port, 80)
		f[ethLen+20+12] = doff << 4
		return f
	}
	cut := func(f []byte, l4 int) []byte {
		f = f[:ethLen+20+l4]
		return setIP16(f, ipTotLen, uint16(20+l4))
	}
	udpLen := func(n uint16) []byte {
		f := udpTo(t, s.fromClient(), clientIP, vip, port+1, 53)
		binary.BigEndian.PutUint16(f[ethLen+20+4:], n)
		return f
	}
	cases := map[string][][]byte{
		"bad_tcp_offset": {offset(2), offset(15)},
		"l4_truncated": {
			cut(synTo(t, s.fromClient(), clientIP, vip, port+2, 80), 12),
			cut(udpTo(t, s.fromClient(), clientIP, vip, port+3, 53), 6),
			cut(echoTo(t, s.fromClient(), clientIP, vip, port), 4),
			udpLen(200), udpLen(4),
		},
	}
	a := s.attack(t, "malformed TCP, UDP and ICMP headers")
	for _, frames := range cases {
		a.client(frames...)
	}
	a.settle()
	for reason, frames := range cases {
		a.wantDrop(reason, len(frames))
	}
	a.want("svc.web.conns", 0)
	a.want("svc.dns.conns", 0)
	a.noneAtServers("a malformed segment", portsIn(port, 4))
	a.noneAtClient("an answer to a malformed segment", anyOf(portsIn(port, 4), icmpType(0)))
}

// TestAdvNATIPOptions: source-routed datagrams (loose, strict) are dropped
// as source_route and options whose length leaves the header as
// bad_ip_options; a SYN with a well-formed record-route option is
// load-balanced like any other, its options carried to the server.
func TestAdvNATIPOptions(t *testing.T) {
	_, s := natSite(t)
	port := forgedPorts(5)
	syn := func(i int, opts []byte) []byte {
		return withIPOptions(synTo(t, s.fromClient(), clientIP, vip, port+uint16(i), 80), opts)
	}
	recordRoute := []byte{7, 7, 4, 0, 0, 0, 0, 0}
	a := s.attack(t, "IPv4 options")
	a.client(
		syn(0, []byte{131, 7, 4, 10, 1, 0, 11, 0}), // loose source route via rs1
		syn(1, []byte{1, 137, 7, 4, 10, 1, 0, 12}), // strict, after a no-op
		syn(2, []byte{7, 0, 0, 0}),                 // length 0
		syn(3, []byte{68, 40, 5, 0}),               // timestamp past the header
		syn(4, recordRoute))
	a.settle()
	a.wantDrop("source_route", 2)
	a.wantDrop("bad_ip_options", 2)
	a.want("svc.web.conns", 1)
	a.noneAtServers("a source-routed or malformed datagram", portsIn(port, 4))
	isSYN := func(f netlab.Frame) bool { return f.TCPFlags == "S" }
	// (the client's kernel then resets the server's SYN-ACK: not counted)
	if got := a.atServers(byDirector(s.lanMAC, allOf(portsIn(port+4, 1), isSYN))); len(got) != 1 || got[0].TotalLen != 48 {
		t.Errorf("the SYN with record route reached the servers as %v, want once with its 8 bytes of options (total length 48)", got)
	}
}
