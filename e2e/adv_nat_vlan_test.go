package e2e

import (
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// tagged is an Ethernet header with a stack of 802.1Q-style tags (each
// TPID given, VLAN 10+i) around inner, then ls.
func tagged(t *testing.T, src, dst net.HardwareAddr, tpids []layers.EthernetType, inner layers.EthernetType, ls ...gopacket.SerializableLayer) []byte {
	all := []gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: tpids[0]}}
	for i := range tpids {
		next := inner
		if i+1 < len(tpids) {
			next = tpids[i+1]
		}
		all = append(all, &layers.Dot1Q{VLANIdentifier: uint16(10 + i), Type: next})
	}
	return serialize(t, append(all, ls...)...)
}

// TestAdvNATVLANAndEtherTypes: tagged frames are not handled: one tag,
// QinQ, a stack of three, a priority tag (VLAN 0), a tag cut short, a
// tagged ARP request for the VIP, a tagged reply from the server side:
// all dropped as vlan. Other EtherTypes (IPv6, LLDP, an 802.3 length
// field, 0x9100) are not_ipv4. Nothing is forwarded or answered.
func TestAdvNATVLANAndEtherTypes(t *testing.T) {
	_, s := natSite(t)
	rs := s.servers[0]
	port := forgedPorts(5)
	q, qinq := layers.EthernetTypeDot1Q, layers.EthernetTypeQinQ
	syn := func(i int) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{ip4(clientIP, vip, layers.IPProtocolTCP), tcpSeg(port+uint16(i), 80, "S", 1)}
	}
	priority := tagged(t, s.clientMAC, s.wanMAC, []layers.EthernetType{q}, layers.EthernetTypeIPv4, syn(3)...)
	priority[14], priority[15] = 0xe0, 0 // PCP 7, VLAN 0
	cut := tagged(t, s.clientMAC, s.wanMAC, []layers.EthernetType{q}, layers.EthernetTypeIPv4, syn(4)...)[:16]
	vlan := [][]byte{
		tagged(t, s.clientMAC, s.wanMAC, []layers.EthernetType{q}, layers.EthernetTypeIPv4, syn(0)...),
		tagged(t, s.clientMAC, s.wanMAC, []layers.EthernetType{qinq, q}, layers.EthernetTypeIPv4, syn(1)...),
		tagged(t, s.clientMAC, s.wanMAC, []layers.EthernetType{q, q, q}, layers.EthernetTypeIPv4, syn(2)...),
		priority, cut,
		tagged(t, s.clientMAC, broadcastMAC, []layers.EthernetType{q}, layers.EthernetTypeARP, arpMsg(1, s.clientMAC, clientIP, zeroMAC, vip)),
	}
	other := func(et layers.EthernetType) []byte {
		return serialize(t, &layers.Ethernet{SrcMAC: s.clientMAC, DstMAC: s.wanMAC, EthernetType: et}, payload("not an IPv4 datagram, 46 bytes of it at least....."))
	}
	notIPv4 := [][]byte{other(layers.EthernetTypeIPv6), other(layers.EthernetTypeLinkLayerDiscovery), other(0x0026), other(0x9100)}
	reply := tagged(t, s.serverMAC[rs.Ident], s.lanMAC, []layers.EthernetType{q}, layers.EthernetTypeIPv4,
		ip4(rs.IP.String(), clientIP, layers.IPProtocolTCP), tcpSeg(rsHTTPPort, port, "SA", 1))

	a := s.attack(t, "VLAN stacks and other EtherTypes")
	a.client(vlan...)
	a.client(notIPv4...)
	a.server(rs, reply)
	a.settle()
	a.wantDrop("vlan", len(vlan)+1)
	a.wantDrop("not_ipv4", len(notIPv4))
	a.want("svc.web.conns", 0)
	a.noneAtServers("a tagged SYN", portsIn(port, 5))
	a.noneAtClient("a tagged reply", portsIn(port, 5))
}
