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
)

// cfuzzConfig is a configuration in the libFuzzer target's format
// (fastpath/fuzz/fp_fuzz.c): tcp/80 on 10.0.0.100 with a NAT (10.1.0.10:8000),
// a DR (10.1.0.11) and a TUN (10.1.0.12) server, rr; udp/53 with one NAT
// server (10.1.0.13:8001); port 1 has a gateway.
var cfuzzConfig = []byte{
	1,
	0, 0, 0, 80, 2, 2, 0, 0, 1, 0, 1, 1, 1, 0, 2, 2, 1, 0,
	0, 1, 0, 53, 0, 0, 3, 0, 1, 1,
	1,
}

// cfuzzFrame encodes one frame: fix checksums, optionally end the burst.
func cfuzzFrame(frame []byte, port byte, endBurst bool) []byte {
	op := byte(1)
	if endBurst {
		op |= 2
	}
	b := []byte{op, port, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(len(frame)))
	return append(b, frame...)
}

// TestWriteCFuzzCorpus regenerates the seed corpus of the C fuzz target
// (GOVS_WRITE_CORPUS=1); without it, it checks the checked-in seeds exist.
func TestWriteCFuzzCorpus(t *testing.T) {
	dir := filepath.Join("fastpath", "fuzz", "corpus")
	nat := netip.MustParseAddr("10.1.0.10")
	unknown := netip.MustParseAddr("10.0.0.9") // not in the target's neighbour table
	seeds := map[string][][]byte{
		// handshake to each server in turn (rr), replies of the NAT one, close
		"tcp-methods": {
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
		},
		"udp-and-icmp": {
			cfuzzFrame(udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "query"), 0, true),
			cfuzzFrame(udpFrame(t, macRS[0], macLAN, netip.MustParseAddr("10.1.0.13"), 8001, client, 5000, "answer"), 1, true),
			cfuzzFrame(echoFrame(t, vip), 0, false),
			cfuzzFrame(echoFrame(t, netip.MustParseAddr("10.0.0.1")), 0, true),
			cfuzzFrame(icmpQuoting(t, netip.MustParseAddr("10.1.0.13"), client, udpFrame(t, macClient, macWAN, client, 5000, netip.MustParseAddr("10.1.0.13"), 8001, "query")), 1, true),
			cfuzzFrame(icmpQuoting(t, client, vip, udpFrame(t, macWAN, macClient, vip, 53, client, 5000, "answer")), 0, true),
		},
		"unresolved-and-arp": {
			cfuzzFrame(tcpSeg(t, macClient, macWAN, unknown, 2000, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macRS[0], macLAN, nat, 8000, unknown, 2000, flSYNACK, ""), 1, true),
			cfuzzFrame(arpFrame(arpReq(client, vip)), 0, true),
		},
		"tun-too-big": {
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1000, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1001, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1002, vip, 80, flSYN, ""), 0, true),
			cfuzzFrame(tcpSeg(t, macClient, macWAN, client, 1002, vip, 80, flACK, strings.Repeat("y", 1400)), 0, true),
		},
	}
	write := os.Getenv("GOVS_WRITE_CORPUS") == "1"
	for name, frames := range seeds {
		path := filepath.Join(dir, "seed-"+name)
		if !write {
			if _, err := os.Stat(path); err != nil {
				t.Errorf("seed %s missing (GOVS_WRITE_CORPUS=1 go test -run %s ./dataplane writes it): %v", path, t.Name(), err)
			}
			continue
		}
		data := append([]byte(nil), cfuzzConfig...)
		for _, f := range frames {
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

// icmpQuoting is a port-unreachable from src to dst quoting the IP
// datagram of frame.
func icmpQuoting(t testing.TB, src, dst netip.Addr, frame []byte) []byte {
	return serialize(t, eth(macRS[0], macLAN, layers.EthernetTypeIPv4), ip4(src, dst, layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(frame[14:]))
}
