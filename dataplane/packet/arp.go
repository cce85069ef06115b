package packet

import "encoding/binary"

// ARPFrameLen is an untagged Ethernet + Ethernet/IPv4 ARP frame before
// padding. Builders pad to MinFrameLen and return that.
const ARPFrameLen = 42

// arpLen is the ARP payload size for Ethernet/IPv4.
const arpLen = 28

// ARP operations.
const (
	ARPRequest = 1
	ARPReply   = 2
)

// ARP is a decoded Ethernet/IPv4 ARP packet.
type ARP struct {
	Op  uint16
	SHA MAC
	SPA uint32
	THA MAC
	TPA uint32
}

// ParseARP decodes the ARP payload after p.L2Len. Only Ethernet/IPv4 ARP
// (htype 1, ptype 0x0800, hlen 6, plen 4) is accepted; anything else, or a
// frame that Parse did not classify as ARP, returns false.
func ParseARP(frame []byte, p *Parsed, a *ARP) bool {
	if p.EtherType != EtherTypeARP || p.L2Len < 0 || p.L2Len > len(frame)-arpLen {
		return false
	}
	b := frame[p.L2Len : p.L2Len+arpLen]
	if binary.BigEndian.Uint16(b[0:2]) != 1 || binary.BigEndian.Uint16(b[2:4]) != EtherTypeIPv4 ||
		b[4] != 6 || b[5] != 4 {
		return false
	}
	a.Op = binary.BigEndian.Uint16(b[6:8])
	copy(a.SHA[:], b[8:14])
	a.SPA = binary.BigEndian.Uint32(b[14:18])
	copy(a.THA[:], b[18:24])
	a.TPA = binary.BigEndian.Uint32(b[24:28])
	return true
}

// ARPReplyInPlace turns the request described by a (as returned by ParseARP
// on this frame) into the reply "a.TPA is-at mac", addressed to the
// requester at L2 and L3. VLAN tags and padding are kept, so the frame goes
// back out with its original length. a is not modified (the caller may still
// want the requester's binding). The caller decides whether to answer, i.e.
// checks a.Op == ARPRequest and that a.TPA is one of ours.
func ARPReplyInPlace(frame []byte, p *Parsed, a *ARP, mac MAC) {
	if p.L2Len < EthHdrLen || p.L2Len > len(frame)-arpLen {
		return
	}
	SetEth(frame, a.SHA, mac)
	b := frame[p.L2Len : p.L2Len+arpLen]
	putARP(b, ARPReply, mac, a.TPA, a.SHA, a.SPA)
}

// putARP writes an Ethernet/IPv4 ARP payload; b must hold arpLen bytes.
func putARP(b []byte, op uint16, sha MAC, spa uint32, tha MAC, tpa uint32) {
	if len(b) < arpLen {
		return
	}
	binary.BigEndian.PutUint16(b[0:2], 1)
	binary.BigEndian.PutUint16(b[2:4], EtherTypeIPv4)
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:8], op)
	copy(b[8:14], sha[:])
	binary.BigEndian.PutUint32(b[14:18], spa)
	copy(b[18:24], tha[:])
	binary.BigEndian.PutUint32(b[24:28], tpa)
}

// buildARP writes a broadcast ARP request padded to MinFrameLen.
func buildARP(buf []byte, src MAC, spa uint32, tha MAC, tpa uint32) int {
	if len(buf) < MinFrameLen {
		return 0
	}
	putEthHdr(buf, BroadcastMAC, src, EtherTypeARP)
	putARP(buf[EthHdrLen:ARPFrameLen], ARPRequest, src, spa, tha, tpa)
	clear(buf[ARPFrameLen:MinFrameLen]) // buffers are reused mbufs: no stale bytes on the wire
	return MinFrameLen
}

// BuildARPRequest writes a broadcast "who-has targetIP tell srcIP" into buf
// and returns the frame length (60), or 0 if buf is too small.
func BuildARPRequest(buf []byte, srcMAC MAC, srcIP, targetIP uint32) int {
	return buildARP(buf, srcMAC, srcIP, MAC{}, targetIP)
}

// BuildGratuitousARP writes the broadcast "who-has ip tell ip" that
// keepalived sends on VRRP takeover (target MAC ff:ff:ff:ff:ff:ff), so that
// neighbours refresh their cache entry for ip to mac. Returns 60, or 0 if buf
// is too small.
func BuildGratuitousARP(buf []byte, mac MAC, ip uint32) int {
	return buildARP(buf, mac, ip, BroadcastMAC, ip)
}
