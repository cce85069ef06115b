package packet

import "encoding/binary"

// MAC is an Ethernet hardware address in wire order.
type MAC [6]byte

// BroadcastMAC is ff:ff:ff:ff:ff:ff.
var BroadcastMAC = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// EtherTypes and IP protocol numbers the dataplane cares about.
const (
	EtherTypeIPv4 = 0x0800
	EtherTypeARP  = 0x0806
	EtherTypeVLAN = 0x8100
	EtherTypeQinQ = 0x88a8

	ProtoICMP = 1
	ProtoIPIP = 4
	ProtoTCP  = 6
	ProtoUDP  = 17
)

const (
	// EthHdrLen is the untagged Ethernet header length (no FCS: the NIC strips it).
	EthHdrLen = 14
	// VLANTagLen is the size of one 802.1Q/802.1ad tag.
	VLANTagLen = 4
	// MaxVLANs is the deepest tag stack we look through (QinQ).
	MaxVLANs = 2
	// MinFrameLen is the minimum Ethernet frame without FCS; frames we build
	// are padded to it because some PMDs and switches drop runts.
	MinFrameLen = 60
)

// SetEth writes the destination and source MAC. Frames shorter than the two
// addresses are left untouched.
func SetEth(frame []byte, dst, src MAC) {
	if len(frame) < 12 {
		return
	}
	copy(frame[0:6], dst[:])
	copy(frame[6:12], src[:])
}

// EthDst returns the destination MAC, or the zero MAC for a runt.
func EthDst(frame []byte) MAC {
	var m MAC
	if len(frame) >= 6 {
		copy(m[:], frame[0:6])
	}
	return m
}

// EthSrc returns the source MAC, or the zero MAC for a runt.
func EthSrc(frame []byte) MAC {
	var m MAC
	if len(frame) >= 12 {
		copy(m[:], frame[6:12])
	}
	return m
}

// swapEth exchanges source and destination MAC, used to bounce a frame back
// where it came from (echo reply, ARP reply).
func swapEth(frame []byte) {
	if len(frame) < 12 {
		return
	}
	var tmp MAC
	copy(tmp[:], frame[0:6])
	copy(frame[0:6], frame[6:12])
	copy(frame[6:12], tmp[:])
}

// putEthHdr writes an untagged Ethernet header; buf must hold EthHdrLen bytes.
func putEthHdr(buf []byte, dst, src MAC, etherType uint16) {
	if len(buf) < EthHdrLen {
		return
	}
	copy(buf[0:6], dst[:])
	copy(buf[6:12], src[:])
	binary.BigEndian.PutUint16(buf[12:14], etherType)
}
