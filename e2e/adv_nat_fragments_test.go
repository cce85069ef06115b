package e2e

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/internal/netlab"
)

// fragmentOf is the fragment of full's IP payload [off, off+n) (off a
// multiple of 8), with MF set when more is.
func fragmentOf(full []byte, off, n int, more bool) []byte {
	hl := ethLen + ihl(full)
	data := full[hl:]
	end := min(off+n, len(data))
	out := append(append([]byte(nil), full[:hl]...), data[off:end]...)
	field := uint16(off / 8)
	if more {
		field |= 0x2000
	}
	binary.BigEndian.PutUint16(out[ipFrag:], field)
	binary.BigEndian.PutUint16(out[ipTotLen:], uint16(len(out)-ethLen))
	fixIPChecksum(out)
	return out
}

// TestAdvNATFragments: the director does not reassemble, so every
// fragment is dropped as fragment before it could be taken for a
// connection's packet: a first fragment, an overlapping one, a duplicate,
// RFC 1858's tiny fragment (the TCP flags in the second fragment), an
// offset past 65535 (ping of death), DF with MF. None reaches a server.
func TestAdvNATFragments(t *testing.T) {
	_, s := natSite(t)
	port := forgedPorts(2)
	dgram := serialize(t, s.fromClient(), ip4(clientIP, vip, layers.IPProtocolUDP), udpDgram(port, 53), payload(strings.Repeat("frag", 10)))
	syn := synTo(t, s.fromClient(), clientIP, vip, port+1, 80)
	first := fragmentOf(dgram, 0, 24, true)
	pingOfDeath := fragmentOf(dgram, 8, 100, false)
	binary.BigEndian.PutUint16(pingOfDeath[ipFrag:], 8189) // 65512 + 100 bytes
	fixIPChecksum(pingOfDeath)
	dfAndMF := fragmentOf(dgram, 0, 16, true)
	dfAndMF[ipFrag] |= 0x40
	fixIPChecksum(dfAndMF)
	frames := [][]byte{
		first,
		fragmentOf(dgram, 8, 40, false), // overlaps the first
		first,                           // a duplicate
		fragmentOf(syn, 0, 8, true),     // ports and sequence number only
		fragmentOf(syn, 8, 12, false),   // the flags
		pingOfDeath,
		dfAndMF,
	}
	a := s.attack(t, "fragments")
	a.client(frames...)
	a.settle()
	a.wantDrop("fragment", len(frames))
	a.want("svc.dns.conns", 0)
	a.want("svc.web.conns", 0)
	a.noneAtServers("a fragment", fromAddr(clientIP))
	a.noneAtClient("an answer to a fragment", anyOf(portsIn(port, 2), func(f netlab.Frame) bool { return f.Proto == netlab.ProtoICMP }))
}
