package e2e

import (
	"net"
	"testing"

	"github.com/google/gopacket/layers"
)

// TestAdvNATBadMACs: IP frames not sent to the receiving port's own MAC
// (broadcast, a multicast group's, another host's; from either side) are
// dropped as bad_dst_mac, even an echo request; frames from a broadcast,
// multicast or zero source MAC, ARP included, as bad_src_mac. Nothing
// reaches a server, nothing is answered, no connection is made.
func TestAdvNATBadMACs(t *testing.T) {
	_, s := natSite(t)
	rs := s.servers[0]
	const n = 6
	port := forgedPorts(n)
	syn := func(src, dst net.HardwareAddr, i int) []byte {
		return serialize(t, eth(src, dst), ip4(clientIP, vip, layers.IPProtocolTCP), tcpSeg(port+uint16(i), 80, "S", 1))
	}
	echo := serialize(t, eth(s.clientMAC, broadcastMAC), ip4(clientIP, vip, layers.IPProtocolICMPv4), icmpMsg(8, 0, port, 1))
	// a NAT "reply" towards a forged client port, sent to everyone
	reply := serialize(t, eth(s.serverMAC[rs.Ident], broadcastMAC), ip4(rs.IP.String(), clientIP, layers.IPProtocolTCP),
		tcpSeg(rsHTTPPort, port, "SA", 1))
	garp := arpFrame(t, multicastMAC, broadcastMAC, arpMsg(1, multicastMAC, strangerClient, zeroMAC, vip))

	a := s.attack(t, "bad MACs")
	a.client(syn(s.clientMAC, broadcastMAC, 0), syn(s.clientMAC, multicastMAC, 1), syn(s.clientMAC, attackerMAC, 2), echo)
	a.server(rs, reply)
	a.client(syn(broadcastMAC, s.wanMAC, 3), syn(multicastMAC, s.wanMAC, 4), syn(zeroMAC, s.wanMAC, 5), garp)
	a.settle()

	a.wantDrop("bad_dst_mac", 5)
	a.wantDrop("bad_src_mac", 4)
	a.want("svc.web.conns", 0)
	a.noneAtServers("a SYN from a forged client port", portsIn(port, n))
	a.noneAtClient("an answer to a forged frame", anyOf(portsIn(port, n), icmpType(0)))
}
