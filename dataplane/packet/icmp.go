package packet

import "encoding/binary"

// ICMP types and codes used by the dataplane.
const (
	ICMPEchoReply      = 0
	ICMPDestUnreach    = 3
	ICMPSourceQuench   = 4
	ICMPRedirect       = 5
	ICMPEcho           = 8
	ICMPTimeExceeded   = 11
	ICMPParamProblem   = 12
	ICMPCodeFragNeeded = 4 // with ICMPDestUnreach; next-hop MTU in the low 16 bits of "rest"
)

// MaxICMPErrorQuote is how much of the offending datagram an ICMP error
// carries: RFC 1812 4.3.2.3 says as much as fits in 576 bytes, i.e.
// 576 - 20 (IP) - 8 (ICMP).
const MaxICMPErrorQuote = 548

// defaultTTL is what our own replies and errors start with (Linux default).
const defaultTTL = 64

func parseICMP(frame []byte, p *Parsed) Error {
	b, ok := l4Span(frame, p)
	if !ok || len(b) < ICMPHdrLen {
		return ErrL4Truncated
	}
	p.ICMPType = b[0]
	p.ICMPCode = b[1]
	if b[0] == ICMPEcho || b[0] == ICMPEchoReply {
		// The identifier plays the role of a port so that pings to a VIP
		// can be tracked like any other flow.
		id := binary.BigEndian.Uint16(b[4:6])
		p.SrcPort, p.DstPort = id, id
	}
	return OK
}

// icmpSpan returns the ICMP message of an IPv4 frame after checking that p's
// offsets are coherent with frame, or false.
func icmpSpan(frame []byte, p *Parsed, min int) ([]byte, bool) {
	if p.Proto != ProtoICMP || !ipHdrOK(frame, p) || p.L4Off < p.L3Off+IPv4HdrLen {
		return nil, false
	}
	b, ok := l4Span(frame, p)
	if !ok || len(b) < min {
		return nil, false
	}
	return b, true
}

// EchoReplyInPlace turns an ICMP echo request into its reply: MACs and IP
// addresses swapped, type 0, TTL 64. Both checksums are updated
// incrementally (swapping the addresses does not change any sum). Returns
// false, changing nothing, if the frame is not an echo request.
func EchoReplyInPlace(frame []byte, p *Parsed) bool {
	b, ok := icmpSpan(frame, p, ICMPHdrLen)
	if !ok || b[0] != ICMPEcho {
		return false
	}
	swapEth(frame)
	ip := frame[p.L3Off:]
	var tmp [4]byte
	copy(tmp[:], ip[ipOffSrc:ipOffSrc+4])
	copy(ip[ipOffSrc:ipOffSrc+4], ip[ipOffDst:ipOffDst+4])
	copy(ip[ipOffDst:ipOffDst+4], tmp[:])

	oldTTL := binary.BigEndian.Uint16(ip[ipOffTTL : ipOffTTL+2])
	newTTL := uint16(defaultTTL)<<8 | uint16(ip[ipOffTTL+1])
	ip[ipOffTTL] = defaultTTL
	binary.BigEndian.PutUint16(ip[ipOffCsum:ipOffCsum+2],
		CsumUpdate16(binary.BigEndian.Uint16(ip[ipOffCsum:ipOffCsum+2]), oldTTL, newTTL))

	oldType := binary.BigEndian.Uint16(b[0:2])
	b[0] = ICMPEchoReply
	binary.BigEndian.PutUint16(b[2:4], CsumUpdate16(binary.BigEndian.Uint16(b[2:4]), oldType, binary.BigEndian.Uint16(b[0:2])))

	p.Src, p.Dst = p.Dst, p.Src
	p.TTL = defaultTTL
	p.ICMPType = ICMPEchoReply
	return true
}

// Quoted describes the IPv4 datagram quoted inside an ICMP error.
type Quoted struct {
	Off      int // offset of the quoted IP header in frame
	L4Off    int // offset of the quoted L4 header in frame
	Src, Dst uint32
	Proto    uint8
	SrcPort  uint16
	DstPort  uint16
	HasPorts bool // TCP/UDP, first fragment, and >= 8 bytes of L4 quoted
}

// IsICMPError reports whether t is an ICMP error type, i.e. one that quotes
// the datagram that caused it.
func IsICMPError(t uint8) bool {
	switch t {
	case ICMPDestUnreach, ICMPSourceQuench, ICMPRedirect, ICMPTimeExceeded, ICMPParamProblem:
		return true
	}
	return false
}

// ParseICMPError decodes the datagram quoted by the ICMP error in frame so
// the caller can look up the connection it belongs to. It checks that the
// quoted header is IPv4, has a sane IHL and lies within the ICMP message.
func ParseICMPError(frame []byte, p *Parsed, q *Quoted) bool {
	*q = Quoted{}
	b, ok := icmpSpan(frame, p, ICMPHdrLen+IPv4HdrLen)
	if !ok || !IsICMPError(b[0]) {
		return false
	}
	ip := b[ICMPHdrLen:]
	if ip[0]>>4 != 4 {
		return false
	}
	ihl := int(ip[0]&0x0f) * 4
	if ihl < IPv4HdrLen || ihl > len(ip) {
		return false
	}
	q.Off = p.L4Off + ICMPHdrLen
	q.L4Off = q.Off + ihl
	q.Src = binary.BigEndian.Uint32(ip[ipOffSrc : ipOffSrc+4])
	q.Dst = binary.BigEndian.Uint32(ip[ipOffDst : ipOffDst+4])
	q.Proto = ip[9]
	// A non-first fragment carries no L4 header, so its bytes are not ports.
	firstFrag := binary.BigEndian.Uint16(ip[6:8])&0x1fff == 0
	if hasPorts(q.Proto) && firstFrag && len(ip) >= ihl+8 {
		q.SrcPort = binary.BigEndian.Uint16(ip[ihl : ihl+2])
		q.DstPort = binary.BigEndian.Uint16(ip[ihl+2 : ihl+4])
		q.HasPorts = true
	}
	return true
}

// ICMPErrorSetOuterSrcInnerDst translates an ICMP error travelling in the
// reply direction (from a real server about a packet it received from the
// client): outer source RS -> VIP, quoted destination RS:rport -> VIP:vport.
func ICMPErrorSetOuterSrcInnerDst(frame []byte, p *Parsed, q *Quoted, outerSrc, innerDst uint32, innerDstPort uint16) {
	if translateICMPError(frame, p, q, ipOffSrc, outerSrc, ipOffDst, l4OffDport, innerDst, innerDstPort) {
		p.Src = outerSrc
		q.Dst = innerDst
		if q.HasPorts {
			q.DstPort = innerDstPort
		}
	}
}

// ICMPErrorSetOuterDstInnerSrc translates an ICMP error travelling in the
// request direction (from the client's side about a reply that left as
// VIP:vport): outer destination VIP -> RS, quoted source VIP:vport ->
// RS:rport.
func ICMPErrorSetOuterDstInnerSrc(frame []byte, p *Parsed, q *Quoted, outerDst, innerSrc uint32, innerSrcPort uint16) {
	if translateICMPError(frame, p, q, ipOffDst, outerDst, ipOffSrc, l4OffSport, innerSrc, innerSrcPort) {
		p.Dst = outerDst
		q.Src = innerSrc
		if q.HasPorts {
			q.SrcPort = innerSrcPort
		}
	}
}

// translateICMPError validates p and q against frame, then rewrites the
// quoted address/port (fixing the quoted IP checksum and, when its field is
// quoted, the quoted TCP/UDP checksum), recomputes the ICMP checksum over the
// whole message and rewrites the outer address. The ICMP checksum is
// recomputed rather than updated: up to six quoted words change (address,
// IP checksum, port, L4 checksum), a partially quoted checksum field cannot
// be tracked incrementally, and error messages are small (RFC 1812 caps
// them at 576 bytes).
func translateICMPError(frame []byte, p *Parsed, q *Quoted, outerOff int, outer uint32, innerOff, portOff int, inner uint32, port uint16) bool {
	if _, ok := icmpSpan(frame, p, ICMPHdrLen+IPv4HdrLen); !ok {
		return false
	}
	if q.Off != p.L4Off+ICMPHdrLen || q.L4Off < q.Off+IPv4HdrLen || q.L4Off > p.IPEnd {
		return false
	}
	if q.HasPorts && q.L4Off+8 > p.IPEnd {
		return false
	}

	// Quoted IP header.
	a := q.Off + innerOff
	oldInner := binary.BigEndian.Uint32(frame[a : a+4])
	binary.BigEndian.PutUint32(frame[a:a+4], inner)
	c := q.Off + ipOffCsum
	binary.BigEndian.PutUint16(frame[c:c+2], CsumUpdate32(binary.BigEndian.Uint16(frame[c:c+2]), oldInner, inner))

	// Quoted L4 header.
	if q.HasPorts {
		po := q.L4Off + portOff
		oldPort := binary.BigEndian.Uint16(frame[po : po+2])
		binary.BigEndian.PutUint16(frame[po:po+2], port)
		cs := q.L4Off + 6
		if q.Proto == ProtoTCP {
			cs = q.L4Off + 16
		}
		if cs+2 <= p.IPEnd {
			sum := binary.BigEndian.Uint16(frame[cs : cs+2])
			if q.Proto == ProtoTCP || sum != 0 {
				sum = CsumUpdate16(CsumUpdate32(sum, oldInner, inner), oldPort, port)
				if q.Proto == ProtoUDP && sum == 0 {
					sum = 0xffff
				}
				binary.BigEndian.PutUint16(frame[cs:cs+2], sum)
			}
		}
	}

	// ICMP checksum over the whole message; it has no pseudo-header, so the
	// outer address change below does not affect it.
	msg := frame[p.L4Off:p.IPEnd]
	msg[2], msg[3] = 0, 0
	binary.BigEndian.PutUint16(msg[2:4], Checksum(msg, 0))

	// Outer IP header.
	a = p.L3Off + outerOff
	oldOuter := binary.BigEndian.Uint32(frame[a : a+4])
	binary.BigEndian.PutUint32(frame[a:a+4], outer)
	c = p.L3Off + ipOffCsum
	binary.BigEndian.PutUint16(frame[c:c+2], CsumUpdate32(binary.BigEndian.Uint16(frame[c:c+2]), oldOuter, outer))
	return true
}

// BuildICMPError writes an untagged Ethernet + IPv4 + ICMP error into buf:
// from src to dst, with the given type, code and 4-byte "rest of header"
// (for fragmentation-needed, the next-hop MTU in the low 16 bits). It quotes
// the offending IP datagram, quoted[0] being its IP header: at most
// MaxICMPErrorQuote bytes and no more than its IPv4 total length (so
// Ethernet padding is not quoted). The frame is padded to MinFrameLen.
// Returns the frame length, or 0 if buf is too small.
func BuildICMPError(buf []byte, srcMAC, dstMAC MAC, src, dst uint32, typ, code uint8, rest uint32, quoted []byte) int {
	n := len(quoted)
	if n > MaxICMPErrorQuote {
		n = MaxICMPErrorQuote
	}
	if n >= 4 {
		if tl := int(binary.BigEndian.Uint16(quoted[2:4])); tl >= IPv4HdrLen && tl < n {
			n = tl
		}
	}
	ipLen := IPv4HdrLen + ICMPHdrLen + n
	flen := EthHdrLen + ipLen
	if flen < MinFrameLen {
		flen = MinFrameLen
	}
	if len(buf) < flen {
		return 0
	}
	putEthHdr(buf, dstMAC, srcMAC, EtherTypeIPv4)

	ip := buf[EthHdrLen : EthHdrLen+IPv4HdrLen]
	ip[0] = 0x45
	ip[1] = 0xc0 // precedence "internetwork control", RFC 1812 4.3.2.5
	binary.BigEndian.PutUint16(ip[2:4], uint16(ipLen))
	binary.BigEndian.PutUint32(ip[4:8], 0) // id 0, no DF: errors must not themselves be dropped for size
	ip[8] = defaultTTL
	ip[9] = ProtoICMP
	ip[10], ip[11] = 0, 0
	binary.BigEndian.PutUint32(ip[12:16], src)
	binary.BigEndian.PutUint32(ip[16:20], dst)
	binary.BigEndian.PutUint16(ip[10:12], Checksum(ip, 0))

	msg := buf[EthHdrLen+IPv4HdrLen : EthHdrLen+ipLen]
	msg[0], msg[1], msg[2], msg[3] = typ, code, 0, 0
	binary.BigEndian.PutUint32(msg[4:8], rest)
	copy(msg[ICMPHdrLen:], quoted[:n])
	binary.BigEndian.PutUint16(msg[2:4], Checksum(msg, 0))

	clear(buf[EthHdrLen+ipLen : flen])
	return flen
}
