package netlab

import (
	"net"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// VRRP on the wire, for tests that inject adverts a router must refuse
// (netlab builds the frame; the message itself comes from the vrrp
// package, which netlab cannot import: vrrp's own tests use netlab).
const (
	ProtoVRRP = 112
	vrrpTOS   = 0xC0 // internetwork control, as routers send adverts
)

// VRRPGroup is the IPv4 multicast group adverts are sent to.
var VRRPGroup = netip.MustParseAddr("224.0.0.18")

// ForgeVRRP wraps msg, a VRRP message (the IP payload, as the caller built
// or corrupted it), in a frame from srcMAC to VRRPGroup's MAC
// (01:00:5e:00:00:12) and an IPv4 header from src to VRRPGroup with
// protocol 112, TOS 0xC0 and ttl: what a router on the segment sends,
// except that a valid advert has TTL 255.
func ForgeVRRP(srcMAC net.HardwareAddr, src netip.Addr, ttl uint8, msg []byte) ([]byte, error) {
	ip := ForgeIPv4(src, VRRPGroup, ProtoVRRP)
	ip.TTL, ip.TOS, ip.Flags = ttl, vrrpTOS, 0
	g := VRRPGroup.As4()
	eth := &layers.Ethernet{SrcMAC: srcMAC, DstMAC: net.HardwareAddr{0x01, 0x00, 0x5e, g[1] & 0x7f, g[2], g[3]},
		EthernetType: layers.EthernetTypeIPv4}
	return Serialize(eth, ip, gopacket.Payload(msg))
}
