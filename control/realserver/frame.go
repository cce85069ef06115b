package realserver

import (
	"encoding/binary"
	"net/netip"
)

// DropReason says why the decapsulator dropped a packet.
type DropReason int

// Drop reasons, in the order they are checked.
const (
	DropTruncated        DropReason = iota // shorter than an IPv4 header or its total length
	DropNotIPv4                            // outer version is not 4
	DropBadHeader                          // outer IHL below 5 or beyond the packet
	DropNotIPIP                            // outer protocol is not 4 (IPIP)
	DropInnerTruncated                     // inner shorter than an IPv4 header
	DropInnerNotIPv4                       // inner version is not 4
	DropInnerBadHeader                     // inner IHL below 5 or beyond the payload
	DropInnerBadLength                     // inner total length below its header or beyond the payload
	DropInnerBadChecksum                   // inner header checksum wrong
	DropNotVIP                             // inner destination is none of the VIPs
	DropWriteError                         // writing to the TUN device failed
	numDropReasons
)

var dropNames = [numDropReasons]string{
	"truncated", "not_ipv4", "bad_header", "not_ipip",
	"inner_truncated", "inner_not_ipv4", "inner_bad_header", "inner_bad_length",
	"inner_bad_checksum", "not_vip", "write_error",
}

func (r DropReason) String() string {
	if r < 0 || r >= numDropReasons {
		return "unknown"
	}
	return dropNames[r]
}

// vipSet is a small flat set of IPv4 addresses (a linear scan beats a map
// for the handful of VIPs a real server holds, and allocates nothing).
type vipSet [][4]byte

func newVIPSet(vips []netip.Addr) vipSet {
	s := make(vipSet, 0, len(vips))
	for _, v := range vips {
		s = append(s, v.As4())
	}
	return s
}

func (s vipSet) has(a []byte) bool {
	for i := range s {
		if s[i][0] == a[0] && s[i][1] == a[1] && s[i][2] == a[2] && s[i][3] == a[3] {
			return true
		}
	}
	return false
}

// decapFrame checks an IPIP packet as a raw IPv4 socket returns it (outer
// header included) and returns the inner IPv4 packet, a subslice of pkt.
// ok is false when the packet must be dropped, for reason.
func decapFrame(pkt []byte, vips vipSet) (inner []byte, reason DropReason, ok bool) {
	if len(pkt) < 20 {
		return nil, DropTruncated, false
	}
	if pkt[0]>>4 != 4 {
		return nil, DropNotIPv4, false
	}
	ihl := int(pkt[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(pkt[2:4]))
	if ihl < 20 || ihl > len(pkt) || total < ihl {
		return nil, DropBadHeader, false
	}
	if total > len(pkt) {
		return nil, DropTruncated, false
	}
	if pkt[9] != 4 {
		return nil, DropNotIPIP, false
	}
	in := pkt[ihl:total]
	if len(in) < 20 {
		return nil, DropInnerTruncated, false
	}
	if in[0]>>4 != 4 {
		return nil, DropInnerNotIPv4, false
	}
	iihl := int(in[0]&0x0f) * 4
	if iihl < 20 || iihl > len(in) {
		return nil, DropInnerBadHeader, false
	}
	itotal := int(binary.BigEndian.Uint16(in[2:4]))
	if itotal < iihl || itotal > len(in) {
		return nil, DropInnerBadLength, false
	}
	if ipChecksum(in[:iihl]) != 0 {
		return nil, DropInnerBadChecksum, false
	}
	if !vips.has(in[16:20]) {
		return nil, DropNotVIP, false
	}
	return in[:itotal], 0, true
}

// ipChecksum is the Internet checksum of h; 0 over a header that carries
// a correct checksum.
func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	if len(h)%2 == 1 {
		sum += uint32(h[len(h)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
