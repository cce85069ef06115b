package packet

import "encoding/binary"

// Offsets inside the IPv4 header.
const (
	ipOffTTL   = 8
	ipOffCsum  = 10
	ipOffSrc   = 12
	ipOffDst   = 16
	l4OffSport = 0
	l4OffDport = 2
)

// SetDst rewrites the destination address, and for TCP/UDP the destination
// port, in place (DNAT). The IP header checksum and the TCP/UDP checksum are
// updated incrementally, the latter including the pseudo-header address
// change. A zero UDP checksum means "none" and stays zero. p must come from a
// successful Parse of frame; if its offsets do not fit frame nothing is
// written.
func SetDst(frame []byte, p *Parsed, ip uint32, port uint16) {
	if setAddrPort(frame, p, ipOffDst, l4OffDport, ip, port) {
		p.Dst = ip
		if hasPorts(p.Proto) {
			p.DstPort = port
		}
	}
}

// SetSrc is SetDst for the source address and port (SNAT).
func SetSrc(frame []byte, p *Parsed, ip uint32, port uint16) {
	if setAddrPort(frame, p, ipOffSrc, l4OffSport, ip, port) {
		p.Src = ip
		if hasPorts(p.Proto) {
			p.SrcPort = port
		}
	}
}

func hasPorts(proto uint8) bool { return proto == ProtoTCP || proto == ProtoUDP }

// ipHdrOK reports whether a minimal IPv4 header at p.L3Off lies inside frame.
func ipHdrOK(frame []byte, p *Parsed) bool {
	return p.L3Off >= 0 && p.L3Off <= len(frame)-IPv4HdrLen
}

// setAddrPort validates every offset first and only then writes, so a bad p
// leaves the frame untouched instead of half rewritten.
func setAddrPort(frame []byte, p *Parsed, addrOff, portOff int, ip uint32, port uint16) bool {
	if !ipHdrOK(frame, p) {
		return false
	}
	l4csum := -1
	if hasPorts(p.Proto) {
		if p.L4Off < p.L3Off+IPv4HdrLen {
			return false
		}
		l4csum = l4CsumOff(frame, p)
		if l4csum < 0 {
			return false
		}
	}
	a := p.L3Off + addrOff
	old := binary.BigEndian.Uint32(frame[a : a+4])
	binary.BigEndian.PutUint32(frame[a:a+4], ip)
	c := p.L3Off + ipOffCsum
	binary.BigEndian.PutUint16(frame[c:c+2], CsumUpdate32(binary.BigEndian.Uint16(frame[c:c+2]), old, ip))
	if l4csum < 0 {
		return true
	}
	po := p.L4Off + portOff
	oldPort := binary.BigEndian.Uint16(frame[po : po+2])
	binary.BigEndian.PutUint16(frame[po:po+2], port)
	sum := binary.BigEndian.Uint16(frame[l4csum : l4csum+2])
	if p.Proto == ProtoUDP && sum == 0 {
		return true // sender did not checksum; keep it that way
	}
	sum = CsumUpdate16(CsumUpdate32(sum, old, ip), oldPort, port)
	if p.Proto == ProtoUDP && sum == 0 {
		sum = 0xffff // RFC 768: a computed zero is transmitted as all ones
	}
	binary.BigEndian.PutUint16(frame[l4csum:l4csum+2], sum)
	return true
}

// DecTTL decrements the IPv4 TTL as a router must, updating the header
// checksum incrementally. It returns false, changing nothing, when the TTL is
// already <= 1 (the caller drops, or answers time-exceeded) or p does not fit
// frame.
func DecTTL(frame []byte, p *Parsed) bool {
	if !ipHdrOK(frame, p) {
		return false
	}
	t := p.L3Off + ipOffTTL
	ttl := frame[t]
	if ttl <= 1 {
		return false
	}
	// TTL is the high byte of the 16-bit word it shares with the protocol.
	old := binary.BigEndian.Uint16(frame[t : t+2])
	frame[t] = ttl - 1
	c := p.L3Off + ipOffCsum
	binary.BigEndian.PutUint16(frame[c:c+2], CsumUpdate16(binary.BigEndian.Uint16(frame[c:c+2]), old, old-0x100))
	p.TTL = ttl - 1
	return true
}
