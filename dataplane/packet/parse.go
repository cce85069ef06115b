package packet

import "encoding/binary"

// Parsed holds what Parse learnt about a frame: offsets for the rewriters and
// the fields the classifier and connection table need. It is filled in place
// so that the caller can keep one per mbuf slot and never allocate.
type Parsed struct {
	L2Len     int    // 14, or 18/22 with one/two VLAN tags
	VLANs     int    // number of VLAN tags seen (0..2)
	EtherType uint16 // inner ethertype after VLAN tags
	L3Off     int    // offset of the IPv4 (or ARP) header
	L4Off     int    // L3Off + IHL*4
	IPEnd     int    // L3Off + IPv4 total length; Ethernet padding after it is ignored
	Src, Dst  uint32
	Proto     uint8
	TTL       uint8
	TOS       uint8
	DF        bool
	SrcPort   uint16 // TCP/UDP; for ICMP echo both hold the identifier
	DstPort   uint16
	TCPFlags  uint8 // FIN=0x01 SYN=0x02 RST=0x04 PSH=0x08 ACK=0x10 (URG/ECE/CWR above)
	ICMPType  uint8
	ICMPCode  uint8
}

// TCP flag bits as found in Parsed.TCPFlags.
const (
	TCPFlagFIN = 0x01
	TCPFlagSYN = 0x02
	TCPFlagRST = 0x04
	TCPFlagPSH = 0x08
	TCPFlagACK = 0x10
)

// Header sizes.
const (
	IPv4HdrLen = 20
	TCPHdrLen  = 20
	UDPHdrLen  = 8
	ICMPHdrLen = 8
)

// Parse decodes the Ethernet, VLAN, IPv4 and TCP/UDP/ICMP headers of frame
// into p without copying. For ARP it fills only the L2 fields and returns OK;
// the caller continues with ParseARP. Other IP protocols return OK with zero
// ports. p is fully overwritten, whatever the outcome.
func Parse(frame []byte, p *Parsed) Error {
	*p = Parsed{}
	if len(frame) < EthHdrLen {
		return ErrTruncated
	}
	off := EthHdrLen
	et := binary.BigEndian.Uint16(frame[12:14])
	for et == EtherTypeVLAN || et == EtherTypeQinQ {
		if p.VLANs == MaxVLANs {
			// Deeper stacks are not something we forward; treat as foreign.
			return ErrNotIPv4
		}
		if len(frame) < off+VLANTagLen {
			return ErrTruncated
		}
		et = binary.BigEndian.Uint16(frame[off+2 : off+4])
		off += VLANTagLen
		p.VLANs++
	}
	p.L2Len = off
	p.L3Off = off
	p.EtherType = et
	switch et {
	case EtherTypeARP:
		return OK
	case EtherTypeIPv4:
	default:
		return ErrNotIPv4
	}
	if e := parseIPv4(frame, p); e != OK {
		return e
	}
	switch p.Proto {
	case ProtoTCP:
		return parseTCP(frame, p)
	case ProtoUDP:
		return parseUDP(frame, p)
	case ProtoICMP:
		return parseICMP(frame, p)
	}
	return OK
}
