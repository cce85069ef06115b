package netlab

import (
	"net/netip"
	"strings"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Builders of forged frames, for the demo's hostile frames and the e2e
// adversarial suite.

// ForgeIPv4 is an IPv4 header from src to dst with DF set and TTL 64.
func ForgeIPv4(src, dst netip.Addr, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Flags: layers.IPv4DontFragment, Protocol: proto,
		SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
}

// ForgeTCP is a TCP header; flags are letters as tcpdump writes them (S,
// F, R, P, A for ACK, U, E for ECE, C for CWR), "" for none.
func ForgeTCP(sport, dport uint16, flags string, seq uint32) *layers.TCP {
	return &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Window: 64240,
		SYN: strings.Contains(flags, "S"), FIN: strings.Contains(flags, "F"), RST: strings.Contains(flags, "R"),
		PSH: strings.Contains(flags, "P"), ACK: strings.Contains(flags, "A"), URG: strings.Contains(flags, "U"),
		ECE: strings.Contains(flags, "E"), CWR: strings.Contains(flags, "C")}
}

// Serialize builds a frame of ls with lengths and checksums computed, the
// TCP and UDP ones over the IPv4 header among ls.
func Serialize(ls ...gopacket.SerializableLayer) ([]byte, error) {
	var ip *layers.IPv4
	for _, l := range ls {
		switch l := l.(type) {
		case *layers.IPv4:
			ip = l
		case *layers.TCP:
			l.SetNetworkLayerForChecksum(ip)
		case *layers.UDP:
			l.SetNetworkLayerForChecksum(ip)
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		return nil, err
	}
	return append([]byte(nil), buf.Bytes()...), nil
}
