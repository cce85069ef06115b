package packet

import "encoding/binary"

// parseIPv4 validates the IPv4 header at p.L3Off and fills the L3 fields.
func parseIPv4(frame []byte, p *Parsed) Error {
	if p.L3Off < 0 || p.L3Off > len(frame) {
		return ErrTruncated
	}
	b := frame[p.L3Off:]
	if len(b) < IPv4HdrLen {
		return ErrTruncated
	}
	if b[0]>>4 != 4 {
		return ErrBadVersion
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < IPv4HdrLen || ihl > len(b) {
		return ErrBadIHL
	}
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total < ihl || total > len(b) {
		return ErrBadTotalLen
	}
	if Checksum(b[:ihl], 0) != 0 {
		return ErrBadChecksum
	}
	frag := binary.BigEndian.Uint16(b[6:8])
	if frag&0x3fff != 0 { // MF or offset: we have no reassembly, so no ports
		return ErrFragment
	}
	p.DF = frag&0x4000 != 0
	p.TOS = b[1]
	p.TTL = b[8]
	p.Proto = b[9]
	p.Src = binary.BigEndian.Uint32(b[12:16])
	p.Dst = binary.BigEndian.Uint32(b[16:20])
	p.L4Off = p.L3Off + ihl
	p.IPEnd = p.L3Off + total
	return OK
}

// VerifyIPv4Header reports whether the IPv4 header checksum at p.L3Off is
// valid, using the IHL found in the frame.
func VerifyIPv4Header(frame []byte, p *Parsed) bool {
	if p.L3Off < 0 || p.L3Off > len(frame)-IPv4HdrLen {
		return false
	}
	b := frame[p.L3Off:]
	ihl := int(b[0]&0x0f) * 4
	if ihl < IPv4HdrLen || ihl > len(b) {
		return false
	}
	return Checksum(b[:ihl], 0) == 0
}
