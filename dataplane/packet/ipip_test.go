package packet

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestEncapIPIP(t *testing.T) {
	frame := mustTCPFrame(t)
	var p Parsed
	if Parse(frame, &p) != OK {
		t.Fatal("reference frame does not parse")
	}
	const head = 64
	buf := make([]byte, head+len(frame)+6) // 6 bytes of Ethernet padding
	copy(buf[head:], frame)
	inner := append([]byte(nil), frame[p.L3Off:p.IPEnd]...)
	eth := append([]byte(nil), frame[:EthHdrLen]...)

	off, n, ok := EncapIPIP(buf[:head+len(frame)+6], head, &p, 0x0a000001, 0x0a00000b, 77)
	if !ok || off != head-IPv4HdrLen || n != EthHdrLen+IPv4HdrLen+len(inner) {
		t.Fatalf("EncapIPIP = %d %d %v", off, n, ok)
	}
	out := buf[off : off+n]
	if !bytes.Equal(out[:EthHdrLen], eth) {
		t.Fatal("Ethernet header not moved intact")
	}
	var q Parsed
	if e := Parse(out, &q); e != OK {
		t.Fatalf("encapsulated frame does not parse: %v", e)
	}
	if q.Proto != ProtoIPIP || q.Src != 0x0a000001 || q.Dst != 0x0a00000b || q.TTL != p.TTL || q.TOS != p.TOS || q.DF != p.DF {
		t.Fatalf("outer header %+v", q)
	}
	if binary.BigEndian.Uint16(out[EthHdrLen+4:]) != 77 {
		t.Fatal("IP id not set")
	}
	if !bytes.Equal(out[EthHdrLen+IPv4HdrLen:], inner) {
		t.Fatal("inner datagram changed")
	}
}

func TestEncapIPIPRefuses(t *testing.T) {
	frame := mustTCPFrame(t)
	var p Parsed
	Parse(frame, &p)
	if _, _, ok := EncapIPIP(frame, 0, &p, 1, 2, 0); ok {
		t.Fatal("encapsulated without headroom")
	}
	buf := make([]byte, 10+len(frame))
	copy(buf[10:], frame)
	if _, _, ok := EncapIPIP(buf, 10, &p, 1, 2, 0); ok {
		t.Fatal("encapsulated with 10 bytes of headroom")
	}
	bad := p
	bad.IPEnd = len(frame) + 100
	buf = make([]byte, 64+len(frame))
	copy(buf[64:], frame)
	if _, _, ok := EncapIPIP(buf, 64, &bad, 1, 2, 0); ok {
		t.Fatal("encapsulated with IPEnd past the frame")
	}
}

func mustTCPFrame(t *testing.T) []byte {
	return buildFrame(t, spec{src: 0x0a000002, dst: 0x0a000064, sport: 40000, dport: 80, proto: 6, ttl: 61, tos: 0x10, df: true, tcpFlags: "A", payload: []byte("hello")})
}
