package packet

import "encoding/binary"

// EncapIPIP wraps the IPv4 datagram of the untagged frame buf[off:] in an
// outer IPv4 header (RFC 2003): protocol 4, outer src/dst as given, TOS and
// DF copied from the inner header, outer TTL = inner TTL (IPVS does the
// same). The Ethernet header moves IPv4HdrLen bytes towards the buffer start,
// into the headroom, so nothing after it is copied. Ethernet padding after
// the inner datagram is dropped. It returns the new frame offset and length,
// or ok=false (frame untouched) when there is not enough headroom, the frame
// is tagged, or p does not fit the frame.
func EncapIPIP(buf []byte, off int, p *Parsed, src, dst uint32, id uint16) (newOff, newLen int, ok bool) {
	if p.VLANs != 0 || p.L2Len != EthHdrLen || off < IPv4HdrLen || off > len(buf) {
		return 0, 0, false
	}
	frame := buf[off:]
	if p.L3Off != EthHdrLen || p.IPEnd > len(frame) || p.IPEnd < p.L3Off+IPv4HdrLen {
		return 0, 0, false
	}
	inner := frame[p.L3Off:p.IPEnd]
	innerLen := len(inner)
	if innerLen+IPv4HdrLen > 0xffff {
		return 0, 0, false
	}
	newOff = off - IPv4HdrLen
	copy(buf[newOff:newOff+EthHdrLen], buf[off:off+EthHdrLen])
	ip := buf[newOff+EthHdrLen : newOff+EthHdrLen+IPv4HdrLen]
	ip[0] = 0x45
	ip[1] = inner[1] // TOS
	binary.BigEndian.PutUint16(ip[2:4], uint16(innerLen+IPv4HdrLen))
	binary.BigEndian.PutUint16(ip[4:6], id)
	if inner[6]&0x40 != 0 {
		ip[6], ip[7] = 0x40, 0 // DF, as the inner packet asked
	} else {
		ip[6], ip[7] = 0, 0
	}
	ip[8] = inner[8]
	ip[9] = ProtoIPIP
	ip[10], ip[11] = 0, 0
	binary.BigEndian.PutUint32(ip[12:16], src)
	binary.BigEndian.PutUint32(ip[16:20], dst)
	binary.BigEndian.PutUint16(ip[10:12], Checksum(ip, 0))
	return newOff, EthHdrLen + IPv4HdrLen + innerLen, true
}
