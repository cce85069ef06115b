package packet

import "encoding/binary"

// l4Span returns the L4 bytes p.L4Off..p.IPEnd, or false if the offsets do
// not describe a range inside frame.
func l4Span(frame []byte, p *Parsed) ([]byte, bool) {
	if p.L4Off < 0 || p.L4Off > p.IPEnd || p.IPEnd > len(frame) {
		return nil, false
	}
	return frame[p.L4Off:p.IPEnd], true
}

func parseTCP(frame []byte, p *Parsed) Error {
	b, ok := l4Span(frame, p)
	if !ok || len(b) < TCPHdrLen {
		return ErrL4Truncated
	}
	doff := int(b[12]>>4) * 4
	if doff < TCPHdrLen || doff > len(b) {
		return ErrBadTCPOffset
	}
	p.SrcPort = binary.BigEndian.Uint16(b[0:2])
	p.DstPort = binary.BigEndian.Uint16(b[2:4])
	p.TCPFlags = b[13]
	return OK
}

func parseUDP(frame []byte, p *Parsed) Error {
	b, ok := l4Span(frame, p)
	if !ok || len(b) < UDPHdrLen {
		return ErrL4Truncated
	}
	// The UDP length may be shorter than the IP payload (trailing bytes are
	// ignored by receivers) but never longer, and never below the header.
	ulen := int(binary.BigEndian.Uint16(b[4:6]))
	if ulen < UDPHdrLen || ulen > len(b) {
		return ErrL4Truncated
	}
	p.SrcPort = binary.BigEndian.Uint16(b[0:2])
	p.DstPort = binary.BigEndian.Uint16(b[2:4])
	return OK
}

// l4CsumOff returns the offset of the TCP or UDP checksum field, or -1 when
// the protocol has none that covers the pseudo-header (or it is not in frame).
func l4CsumOff(frame []byte, p *Parsed) int {
	var off int
	switch p.Proto {
	case ProtoTCP:
		off = p.L4Off + 16
	case ProtoUDP:
		off = p.L4Off + 6
	default:
		return -1
	}
	if p.L4Off < 0 || off+2 > len(frame) {
		return -1
	}
	return off
}
