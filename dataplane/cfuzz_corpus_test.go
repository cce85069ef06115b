package dataplane

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/dataplane/packet"
)

// cfuzzConfig is a configuration in the libFuzzer target's format
// (fastpath/fuzz/fp_fuzz.c): tcp/80 on 10.0.0.100 with a NAT (10.1.0.10:8000),
// a DR (10.1.0.11) and a TUN (10.1.0.12) server, rr; udp/53 with one NAT
// server (10.1.0.13:8001); port 1 has a gateway; opts are the security
// options (0: every check on, as control/config defaults).
func cfuzzConfig(opts byte) []byte {
	return []byte{
		1,
		0, 0, 0, 80, 2, 2, 0, 0, 1, 0, 1, 1, 1, 0, 2, 2, 1, 0,
		0, 1, 0, 53, 0, 0, 3, 0, 1, 1,
		1 | opts,
	}
}

// Bits of a service's proto byte in the fuzz target's configuration.
const (
	cfuzzUDP         = 1 << 0
	cfuzzGroup1      = 1 << 1 // persistence group 1 (bit 3 adds 2)
	cfuzzPersistent  = 1 << 2 // 2 s templates
	cfuzzPersist24   = 1 << 4 // granularity /24
	cfuzzPort0       = 1 << 5 // every port of the VIP
	cfuzzOnePacket   = 1 << 6 // UDP only
	cfuzzQuiescentEx = 1 << 7 // expire_quiescent_template
)

// cfuzzUpper is a dest's addr-byte bits for an upper threshold of n
// (1-3; the lower one is 3/4 of it, as IPVS).
func cfuzzUpper(n byte) byte { return n << 3 }

// cfuzzPersistConfig: tcp/80 and tcp/443 of 10.0.0.100 persistent by
// /24 in group 1, each over NAT .10, DR .11 and TUN .12 (443's NAT port
// 8001), rr; a port-0 persistent (/32) service on 10.0.0.101 with a NAT
// server (.13) that takes the client's port and a DR one (.14).
func cfuzzPersistConfig() []byte {
	grp := byte(cfuzzPersistent | cfuzzPersist24 | cfuzzGroup1)
	return []byte{
		2,
		0, grp, 0, 80, 2, 2, 0, 0, 1, 0, 1, 1, 1, 0, 2, 2, 1, 0,
		0, grp, 1, 187, 2, 2, 0, 0, 1, 1, 1, 1, 1, 0, 2, 2, 1, 0,
		1, cfuzzPersistent | cfuzzPort0, 0, 0, 1, 2, 3, 0, 1, 4, 4, 1, 1, 0,
		1,
	}
}

// cfuzzOnePacketConfig: udp/53 of 10.0.0.100 one-packet over NAT .10,
// DR .11 and TUN .12, rr; a persistent one-packet port-0 UDP service on
// 10.0.0.101 (NAT .13, the client's port).
func cfuzzOnePacketConfig() []byte {
	return []byte{
		1,
		0, cfuzzUDP | cfuzzOnePacket, 0, 53, 2, 2, 0, 0, 1, 0, 1, 1, 1, 0, 2, 2, 1, 0,
		1, cfuzzUDP | cfuzzOnePacket | cfuzzPersistent | cfuzzPort0, 0, 0, 0, 0, 3, 0, 1, 4,
		1,
	}
}

// cfuzzThresholdConfig: tcp/80 of 10.0.0.100 over NAT .10 (upper 1) and
// NAT .11 (upper 2, lower 1), rr, and expire_quiescent persistence on
// tcp/81 over .12 with upper 1.
func cfuzzThresholdConfig() []byte {
	return []byte{
		1,
		0, 0, 0, 80, 1, 2, cfuzzUpper(1), 0, 1, 0, 1 | cfuzzUpper(2), 0, 1, 1,
		0, cfuzzPersistent | cfuzzQuiescentEx, 0, 81, 0, 0, 2 | cfuzzUpper(1), 0, 1, 2,
		1,
	}
}

// Security options of the fuzz target's configuration byte.
const (
	cfuzzRPLoose    = 1 << 1
	cfuzzNoRSTCheck = 1 << 4
	cfuzzSrcLimit   = 1 << 5
	cfuzzICMPSlow   = 1 << 6
	cfuzzKernel     = 1 << 7 // both ports have a kernel interface
)

// Frame ops beyond fixing checksums and ending the burst (fp_fuzz.c).
const (
	cfuzzOpEndBurst   = 1 << 1
	cfuzzOpClock      = 1 << 2 // the clock advances (port byte) seconds first
	cfuzzOpRemoveDest = 1 << 4 // dest (port byte / 2) is replaced: its conns lose their server
	cfuzzOpFlipExpire = 1 << 5 // every service flips expire_nodest_conn
	cfuzzOpPuntFree   = 1 << 6 // the punt ring has (port byte % 8) free slots
)

// cfuzzFrame encodes one frame: fix checksums, optionally end the burst.
func cfuzzFrame(frame []byte, port byte, endBurst bool) []byte {
	op := byte(0)
	if endBurst {
		op |= cfuzzOpEndBurst
	}
	return cfuzzOp(op, frame, port)
}

// cfuzzOp encodes one frame with op's bits, checksums fixed; port's low
// bit is the port it arrives on, the rest is op's argument.
func cfuzzOp(op byte, frame []byte, port byte) []byte {
	b := []byte{op | 1, port, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(len(frame)))
	return append(b, frame...)
}

// TestWriteCFuzzCorpus regenerates the seed corpus of the C fuzz target
// (GOVS_WRITE_CORPUS=1); without it, it checks the checked-in seeds exist.
func TestWriteCFuzzCorpus(t *testing.T) {
	dir := filepath.Join("fastpath", "fuzz", "corpus")
	nat := netip.MustParseAddr("10.1.0.10")
	unknown := netip.MustParseAddr("10.0.0.9") // not in the target's neighbour table
	rst := func(seq uint32) []byte {
		return segment(t, client, 1000, 80, func(tcp *layers.TCP) { tcp.RST, tcp.ACK, tcp.Seq = true, true, seq })
	}
	ttl1 := tcpSeg(t, macClient, macWAN, client, 1003, vip, 80, flSYN, "")
	setTTL(ttl1, 1)
	var flood [][]byte
	for i := 0; i < 70; i++ { // over the target's 64 connections: eviction
		flood = append(flood, cfuzzFrame(tcpSeg(t, macClient, macWAN, netip.AddrFrom4([4]byte{10, 0, 0, byte(2 + i%4)}), uint16(3000+i), vip, 80, flSYN, ""), 0, i%32 == 31))
	}
	wanAddr, lanAddr := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.1.0.1")
	vrrpGroup := netip.MustParseAddr("224.0.0.18")
	vrrpAdvert := ipFrame(t, macClient, groupMAC(vrrpGroup), netip.MustParseAddr("10.0.0.5"), vrrpGroup, layers.IPProtocol(112), "vrrp")
	sshTo := func(sport uint16) []byte { return tcpSeg(t, macClient, macWAN, client, sport, wanAddr, 22, flSYN, "") }
	data := func(sport uint16) []byte { return tcpSeg(t, macClient, macWAN, client, sport, vip, 80, flACK, "more") }
	type seed struct {
		opts   byte
		frames [][]byte
	}
	// seeds whose configuration is not cfuzzConfig's
	configs := map[string][]byte{
		"persistence": cfuzzPersistConfig(),
		"one-packet":  cfuzzOnePacketConfig(),
		"thresholds":  cfuzzThresholdConfig(),
	}
	vip2 := netip.MustParseAddr("10.0.0.101")
	neighbour := netip.MustParseAddr("10.0.0.3") // client's /24
	syn := func(src netip.Addr, sport uint16, dst netip.Addr, dport uint16) []byte {
		return tcpSeg(t, macClient, macWAN, src, sport, dst, dport, flSYN, "")
	}
	seeds := map[string]seed{
		// handshake to each server in turn (rr), replies of the NAT one, close
		"tcp-methods": {0, [][]byte{
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1000, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1001, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1002, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macRS[0], macLAN, nat, 8000, client, 1000, flSYNACK, ""), 1, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1000, vip, 80, flACK, "GET /"), 0, false),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1001, vip, 80, flACK, "GET /"), 0, false),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1002, vip, 80, flACK, strings.Repeat("x", 1300)), 0, true),
			cfuzzFrame(tcpSeg(t, macRS[0], macLAN, nat, 8000, client, 1000, flFINACK, ""), 1, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1000, vip, 80, flFINACK, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1000, vip, 80, flSYN, ""), 0, true),
		}},
		"udp-and-icmp": {0, [][]byte{
			cfuzzFrame(udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "query"), 0, true),
			cfuzzFrame(udpFrame(t, macRS[0], macLAN, netip.MustParseAddr("10.1.0.13"), 8001, client, 5000, "answer"), 1, true),
			cfuzzFrame(echoFrame(t, vip), 0, false),
			cfuzzFrame(echoFrame(t, netip.MustParseAddr("10.0.0.1")), 0, true),
			cfuzzFrame(icmpQuoting(t, macRS[0], macLAN, netip.MustParseAddr("10.1.0.13"), client, udpFrame(t, macClient, macWAN, client, 5000, netip.MustParseAddr("10.1.0.13"), 8001, "query")), 1, true),
			cfuzzFrame(icmpQuoting(t, macClient, macWAN, client, vip, udpFrame(t, macWAN, macClient, vip, 53, client, 5000, "answer")), 0, true),
		}},
		"unresolved-and-arp": {0, [][]byte{
			cfuzzFrame(tcpSeg(t, macClient, macWAN, unknown, 2000, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macRS[0], macLAN, nat, 8000, unknown, 2000, flSYNACK, ""), 1, true),
			cfuzzFrame(arpFrame(arpReq(client, vip)), 0, true),
		}},
		"tun-too-big": {0, [][]byte{
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1000, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1001, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1002, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1002, vip, 80, flACK, strings.Repeat("y", 1400)), 0, true),
		}},
		// each ingress rule refused once, then a clean handshake and blind RSTs
		"security": {cfuzzICMPSlow, [][]byte{
			cfuzzFrame(tcpSeg(t, macClient, macWAN, netip.MustParseAddr("127.0.0.1"), 1000, vip, 80, flSYN, ""), 0, false),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, vip, 1000, vip, 80, flSYN, ""), 0, false),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1000, vip, 80, tcpFlags{syn: true, fin: true}, ""), 0, false),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 0, vip, 80, flSYN, ""), 0, false),
			cfuzzFrame(tcpSeg(t, macClient, macLAN, client, 1000, vip, 80, flSYN, ""), 0, false),
			cfuzzFrame(ttl1, 0, false),
			cfuzzFrame(ttl1, 0, true),
			cfuzzFrame(tcpSeg(t, macClient, macLAN, client, 1000, vip, 80, flSYN, ""), 1, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1000, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(rst(1+5<<16), 0, false),
			cfuzzFrame(rst(2), 0, true),
		}},
		"rp-loose-no-rst-check": {cfuzzRPLoose | cfuzzNoRSTCheck, [][]byte{
			cfuzzFrame(tcpSeg(t, macClient, macWAN, netip.MustParseAddr("10.1.0.50"), 1000, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1000, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(rst(1+5<<16), 0, true),
		}},
		"flood-and-source-limit": {cfuzzSrcLimit, flood},
		// what the kernel interfaces get, what they do not, and the
		// punt ring's reserve (4 in the target) refusing them
		"kernel": {cfuzzKernel, [][]byte{
			cfuzzFrame(sshTo(40000), 0, false),
			cfuzzFrame(echoFrame(t, wanAddr), 0, false),
			cfuzzFrame(vrrpAdvert, 0, false),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, netip.MustParseAddr("127.0.0.1"), 1000, wanAddr, 22, flSYN, ""), 0, false),
			cfuzzFrame(echoFrame(t, vip), 0, false),
			cfuzzFrame(arpFrame(arpReq(client, wanAddr)), 0, true),
			cfuzzFrame(tcpSeg(t, macRS[0], macLAN, netip.MustParseAddr("10.1.0.11"), 80, lanAddr, 40001, flSYNACK, ""), 1, true),
			cfuzzOp(cfuzzOpPuntFree, sshTo(40002), 6), // 6 free: two for the kernel, then kernel_full
			cfuzzFrame(sshTo(40003), 0, false),
			cfuzzFrame(sshTo(40004), 0, false),
			cfuzzFrame(arpFrame(arpReq(client, vip)), 0, true),
		}},
		// a connection whose server leaves: dropped, then expired and
		// scheduled anew (the first SYN goes to dest 2, the TUN server)
		"dest-unavailable": {0, [][]byte{
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1000, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1001, vip, 80, flSYN, ""), 0, true),
			cfuzzOp(cfuzzOpRemoveDest|cfuzzOpEndBurst, data(1000), 4),
			cfuzzFrame(data(1001), 0, true),
			cfuzzOp(cfuzzOpFlipExpire|cfuzzOpEndBurst, data(1000), 0),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1000, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(data(1000), 0, true),
		}},
		// frames to the ports' virtual MACs (VRRP use_vmac): in both
		// directions of a NAT connection, not across ports, and ARP
		// (the target's MACs: 00:00:5e:00:01:01 on wan, :02 on lan)
		"virtual-mac": {0, [][]byte{
			cfuzzFrame(tcpSeg(t, macClient, VirtualRouterMAC(1), client, 1000, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macRS[0], VirtualRouterMAC(2), nat, 8000, client, 1000, flSYNACK, ""), 1, true),
			cfuzzFrame(tcpSeg(t, macClient, VirtualRouterMAC(2), client, 1001, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macClient, VirtualRouterMAC(3), client, 1002, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(arpReplyTo(VirtualRouterMAC(1)), 0, true),
		}},
		// several connections of one client network to a persistent
		// service, its group's other port, the port-0 service on two
		// ports; then the templates expire (4 s) and the next SYN is
		// scheduled anew
		"persistence": {0, [][]byte{
			cfuzzFrame(syn(client, 1000, vip, 80), 0, true),
			cfuzzFrame(syn(client, 1001, vip, 80), 0, false),
			cfuzzFrame(syn(neighbour, 1002, vip, 80), 0, true),
			cfuzzFrame(syn(client, 1003, vip, 443), 0, true),
			cfuzzFrame(tcpSeg(t, macRS[0], macLAN, nat, 8000, client, 1000, flSYNACK, ""), 1, true),
			cfuzzFrame(syn(client, 1004, vip2, 22), 0, false),
			cfuzzFrame(syn(client, 1005, vip2, 8080), 0, true),
			cfuzzFrame(syn(neighbour, 1006, vip2, 8080), 0, true),
			cfuzzOp(cfuzzOpClock|cfuzzOpEndBurst, syn(neighbour, 1007, vip, 80), 4),
			cfuzzFrame(syn(client, 1008, vip, 443), 0, true),
		}},
		// datagrams of one flow, each scheduled (NAT, DR, TUN in turn),
		// a NAT server's answer (no connection to translate it by), and
		// the port-0 one-packet service
		"one-packet": {0, [][]byte{
			cfuzzFrame(udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "q1"), 0, false),
			cfuzzFrame(udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "q2"), 0, false),
			cfuzzFrame(udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "q3"), 0, true),
			cfuzzFrame(udpFrame(t, macRS[0], macLAN, nat, 8000, client, 5000, "answer"), 1, true),
			cfuzzFrame(udpFrame(t, macClient, macWAN, client, 5001, vip2, 514, "log"), 0, false),
			cfuzzFrame(udpFrame(t, macClient, macWAN, neighbour, 5002, vip2, 514, "log"), 0, true),
		}},
		// servers with upper thresholds fill up and new connections are
		// refused; a close and the clock bring one below its lower one
		"thresholds": {0, [][]byte{
			cfuzzFrame(syn(client, 1000, vip, 80), 0, true),
			cfuzzFrame(syn(client, 1001, vip, 80), 0, true),
			cfuzzFrame(syn(client, 1002, vip, 80), 0, true),
			cfuzzFrame(syn(client, 1003, vip, 80), 0, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1000, vip, 80, flRST, ""), 0, true),
			cfuzzOp(cfuzzOpClock|cfuzzOpEndBurst, syn(client, 1004, vip, 80), 10),
			cfuzzFrame(syn(client, 1005, vip, 81), 0, true),
			cfuzzFrame(syn(neighbour, 1006, vip, 81), 0, true),
		}},
		// an echo whose reply's checksummed words are all zero (RFC 1624's corner)
		"echo-all-zero": {0, [][]byte{cfuzzFrame(serialize(t, eth(macClient, macWAN, layers.EthernetTypeIPv4),
			ip4(client, vip, layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)}), 0, true)}},
	}
	write := os.Getenv("GOVS_WRITE_CORPUS") == "1"
	for name, sd := range seeds {
		path := filepath.Join(dir, "seed-"+name)
		if !write {
			if _, err := os.Stat(path); err != nil {
				t.Errorf("seed %s missing (GOVS_WRITE_CORPUS=1 go test -run %s ./dataplane writes it): %v", path, t.Name(), err)
			}
			continue
		}
		data := cfuzzConfig(sd.opts)
		if c, ok := configs[name]; ok {
			data = append([]byte(nil), c...)
		}
		for _, f := range sd.frames {
			data = append(data, f...)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Println("wrote", path)
	}
}

// arpReplyTo is a client's ARP reply sent to dst (unicast).
func arpReplyTo(dst packet.MAC) []byte {
	f := arpFrame(packet.ARP{Op: packet.ARPReply, SHA: macClient, SPA: addrU32(client), THA: dst, TPA: addrU32(vip)})
	copy(f[0:6], dst[:])
	return f
}

// icmpQuoting is a port-unreachable from src to dst quoting the IP
// datagram of frame.
func icmpQuoting(t testing.TB, srcMAC, dstMAC packet.MAC, src, dst netip.Addr, frame []byte) []byte {
	return serialize(t, eth(srcMAC, dstMAC, layers.EthernetTypeIPv4), ip4(src, dst, layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(frame[14:]))
}
