package e2e

import (
	"fmt"
	"net"
	"testing"

	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/internal/netlab"
)

// Martian, spoofed and wrong-side addresses (RFC 1812 5.3.7, Linux's
// martian and rp_filter rules). Every frame is otherwise valid and aimed
// at a service, so only the address rule can stop it.

// synTo is a SYN from src:sport to dst:dport in a frame with e's MACs.
func synTo(t *testing.T, e *layers.Ethernet, src, dst string, sport, dport uint16) []byte {
	return serialize(t, e, ip4(src, dst, layers.IPProtocolTCP), tcpSeg(sport, dport, "S", 1))
}

// udpTo is a datagram from src:sport to dst:dport.
func udpTo(t *testing.T, e *layers.Ethernet, src, dst string, sport, dport uint16) []byte {
	return serialize(t, e, ip4(src, dst, layers.IPProtocolUDP), udpDgram(sport, dport), payload("adv"))
}

// echoTo is an echo request from src to dst, id id.
func echoTo(t *testing.T, e *layers.Ethernet, src, dst string, id uint16) []byte {
	return serialize(t, e, ip4(src, dst, layers.IPProtocolICMPv4), icmpMsg(8, 0, id, 1), payload("ping"))
}

// TestAdvNATMartianSources: SYNs, datagrams and echo requests to the VIP
// from 0/8, 127/8, multicast, class E, the limited broadcast and a port
// subnet's broadcast or network address are dropped as martian_src, from
// either side; none is load-balanced or answered.
func TestAdvNATMartianSources(t *testing.T) {
	_, s := natSite(t)
	rs := s.servers[0]
	martians := []string{"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.5", "239.1.1.1", "240.0.0.1",
		"255.255.255.255", "10.0.0.255", "10.0.0.0", "10.1.0.255"}
	port := forgedPorts(len(martians) + 1)
	var frames [][]byte
	for i, src := range martians {
		frames = append(frames, synTo(t, s.fromClient(), src, vip, port+uint16(i), 80))
	}
	frames = append(frames,
		udpTo(t, s.fromClient(), "127.0.0.1", vip, port+uint16(len(martians)), 53),
		echoTo(t, s.fromClient(), "0.0.0.0", vip, port))

	a := s.attack(t, "martian sources")
	a.client(frames...)
	// "replies" from the server side: loopback and the LAN's broadcast
	a.server(rs,
		serialize(t, s.fromServer(rs), ip4("127.0.0.1", clientIP, layers.IPProtocolTCP), tcpSeg(rsHTTPPort, port, "SA", 1)),
		serialize(t, s.fromServer(rs), ip4("10.1.0.255", clientIP, layers.IPProtocolTCP), tcpSeg(rsHTTPPort, port, "SA", 1)))
	a.settle()

	a.wantDrop("martian_src", len(frames)+2)
	a.want("svc.web.conns", 0)
	a.want("svc.dns.conns", 0)
	a.noneAtServers("a forged SYN or datagram", portsIn(port, len(martians)+1))
	a.noneAtClient("an answer or a forged reply", anyOf(portsIn(port, len(martians)+1), icmpType(0)))
}

// TestAdvNATMartianDestinations: packets to 0/8, 127/8, class E, the
// limited broadcast and the ports' subnet broadcast and network addresses
// are dropped as martian_dst, not routed anywhere.
func TestAdvNATMartianDestinations(t *testing.T) {
	_, s := natSite(t)
	dsts := []string{"0.0.0.1", "127.0.0.1", "240.0.0.1", "255.255.255.255", "10.0.0.255", "10.0.0.0", "10.1.0.255", "10.1.0.0"}
	port := forgedPorts(len(dsts))
	var frames [][]byte
	for i, dst := range dsts {
		frames = append(frames, udpTo(t, s.fromClient(), clientIP, dst, port+uint16(i), rsUDPPort))
	}
	a := s.attack(t, "martian destinations")
	a.client(frames...)
	a.settle()
	a.wantDrop("martian_dst", len(dsts))
	a.noneAtServers("a datagram to a martian destination", portsIn(port, len(dsts)))
}

// TestAdvNATMulticastDestinations: multicast is never routed. To the
// director's MAC, a datagram to a group (mDNS, SSDP, all-hosts, from
// either side) is martian_dst; in the group's own MAC it is bad_dst_mac
// (multicast MACs are for ARP only). Nothing leaves the director.
func TestAdvNATMulticastDestinations(t *testing.T) {
	_, s := natSite(t)
	rs := s.servers[1]
	groups := []string{"224.0.0.251", "239.255.255.250", "224.0.0.1"}
	port := forgedPorts(2 * len(groups))
	var toDirector, toGroup [][]byte
	for i, g := range groups {
		toDirector = append(toDirector, udpTo(t, s.fromClient(), clientIP, g, port+uint16(i), 5353))
		toGroup = append(toGroup, udpTo(t, eth(s.clientMAC, groupMAC(g)), clientIP, g, port+uint16(len(groups)+i), 5353))
	}
	a := s.attack(t, "multicast destinations")
	a.client(toDirector...)
	a.client(toGroup...)
	a.server(rs, udpTo(t, s.fromServer(rs), rs.IP.String(), groups[0], 5353, 5353))
	a.settle()
	a.wantDrop("martian_dst", len(groups)+1)
	// Sent to the group's own MAC, a datagram is for the director's
	// kernel (its kernel interface: VRRP and routing protocols use such
	// groups), never forwarded; the kernel drops groups it has not joined.
	a.want("stats.lcores.punted.kernel", len(groups))
	a.wantDrop("bad_dst_mac", 0)
	noMulticast := func(f netlab.Frame) bool { return f.Dst.IsMulticast() }
	a.noneAtServers("a multicast datagram", noMulticast)
	a.noneAtClient("a multicast datagram", noMulticast)
}

// groupMAC is the Ethernet address of IPv4 multicast group g (RFC 1112).
func groupMAC(g string) net.HardwareAddr {
	ip := net.ParseIP(g).To4()
	return net.HardwareAddr{0x01, 0x00, 0x5e, ip[1] & 0x7f, ip[2], ip[3]}
}

// TestAdvNATSpoofedSources: packets claiming to come from the VIP or a
// director address are dropped as spoofed_src from either side, among
// them the VIP:53 -> VIP:53 datagram that once made two echo servers
// bounce datagrams through the director.
func TestAdvNATSpoofedSources(t *testing.T) {
	_, s := natSite(t)
	rs := s.servers[2]
	port := forgedPorts(3)
	client := [][]byte{
		synTo(t, s.fromClient(), vip, vip, port, 80),
		synTo(t, s.fromClient(), wanAddr, vip, port+1, 80),
		synTo(t, s.fromClient(), lanAddr, vip, port+2, 80),
		udpTo(t, s.fromClient(), vip, vip, 53, 53),
		echoTo(t, s.fromClient(), vip, vip, port),
	}
	server := [][]byte{
		udpTo(t, s.fromServer(rs), vip, clientIP, 53, port),
		serialize(t, s.fromServer(rs), ip4(lanAddr, clientIP, layers.IPProtocolTCP), tcpSeg(rsHTTPPort, port, "SA", 1)),
	}
	a := s.attack(t, "spoofed sources")
	a.client(client...)
	a.server(rs, server...)
	a.settle()
	a.wantDrop("spoofed_src", len(client)+len(server))
	a.want("svc.web.conns", 0)
	a.want("svc.dns.conns", 0)
	fromUs := anyOf(fromAddr(vip), fromAddr(wanAddr), fromAddr(lanAddr))
	a.noneAtServers("a packet from a VIP or director address", fromUs)
	a.noneAtClient("a forged packet or an answer", anyOf(portsIn(port, 3), allOf(fromAddr(vip), portsIn(53, 1))))
}

// TestAdvNATReversePath: strict reverse path per port. A "reply" from a
// real server's address injected on the client side (once rewritten and
// delivered to the client), and a source no port routes to, are dropped
// as rp_filter; so is a client's address arriving on the server side. A
// live connection is not disturbed by the forged reply.
func TestAdvNATReversePath(t *testing.T) {
	env, s := natSite(t)
	sess := openLineSession(t, env.lab.Client, fmt.Sprintf("%s:%d", vip, rsEchoPort))
	cport := uint16(sess.lc.LocalAddr().(*net.TCPAddr).Port)
	port := forgedPorts(2)
	var client [][]byte
	for _, rs := range s.servers { // whichever server holds the session
		client = append(client, serialize(t, s.fromClient(), ip4(rs.IP.String(), clientIP, layers.IPProtocolTCP),
			tcpSeg(rsEchoPort, cport, "PA", 1), payload("forged\n")))
	}
	client = append(client, synTo(t, s.fromClient(), "192.0.2.1", vip, port, 80))
	rs := s.servers[0]
	server := [][]byte{
		synTo(t, s.fromServer(rs), clientIP, vip, port+1, 80),
		synTo(t, s.fromServer(rs), strangerClient, vip, port+1, 80),
	}
	a := s.attack(t, "wrong-side sources")
	a.client(client...)
	a.server(rs, server...)
	a.settle()
	a.wantDrop("rp_filter", len(client)+len(server))
	a.want("svc.web.conns", 0)
	a.noneAtClient("the forged reply", portsIn(cport, 1))
	a.noneAtServers("a forged SYN", portsIn(port, 2))
	sess.say("after-forged-reply")
}
