package netlab

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Hostile is one forged frame a hardened director must drop, and the drop
// reason (dataplane/fastpath/fp_layout.h FP_DROPS) it must count.
type Hostile struct {
	What   string
	Reason string
	Frame  []byte
}

// HostileSite is where the frames are sent from: the sender's link (its
// MAC and address, on the director's port of MAC DirectorMAC) and a TCP
// service at VIP.
type HostileSite struct {
	SenderMAC, DirectorMAC net.HardwareAddr
	Sender                 netip.Addr
	VIP                    netip.AddrPort
	// FirstPort is the first source port the frames use, one per frame,
	// so that none of them can match a connection.
	FirstPort uint16
}

// HostileFrames are a sampler of what a director on the internet's edge
// receives: each otherwise valid and aimed at the service, so that only the
// rule its Reason names can stop it. The demo sends them; the e2e suite
// (e2e/adv_*_test.go) covers each class at length.
func HostileFrames(s HostileSite) ([]Hostile, error) {
	vip, dport := s.VIP.Addr(), s.VIP.Port()
	sport := s.FirstPort
	next := func() uint16 { sport++; return sport - 1 }
	syn := func(src, dst netip.Addr, flags string) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{ForgeIPv4(src, dst, layers.IPProtocolTCP), ForgeTCP(next(), dport, flags, 1)}
	}
	ping := func(dst netip.Addr) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{ForgeIPv4(s.Sender, dst, layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: next(), Seq: 1}, gopacket.Payload("ping")}
	}
	sourceRouted := func() []gopacket.SerializableLayer {
		ls := syn(s.Sender, vip, "S")
		ls[0].(*layers.IPv4).Options = []layers.IPv4Option{{OptionType: 131, OptionLength: 7, OptionData: []byte{4, 10, 1, 0, 11}}}
		return ls
	}
	toUs := s.eth(s.DirectorMAC)
	plan := []struct {
		what, reason string
		eth          *layers.Ethernet
		ls           []gopacket.SerializableLayer
		corrupt      func([]byte)
	}{
		{"SYN from 127.0.0.1", "martian_src", toUs, syn(netip.MustParseAddr("127.0.0.1"), vip, "S"), nil},
		{"SYN from the VIP itself", "spoofed_src", toUs, syn(vip, vip, "S"), nil},
		{"SYN to the broadcast MAC", "bad_dst_mac", s.eth(layers.EthernetBroadcast), syn(s.Sender, vip, "S"), nil},
		{"SYN+FIN", "bad_tcp_flags", toUs, syn(s.Sender, vip, "SF"), nil},
		{"TCP with no flags", "bad_tcp_flags", toUs, syn(s.Sender, vip, ""), nil},
		{"SYN with a loose source route", "source_route", toUs, sourceRouted(), nil},
		{"echo request with a bad checksum", "bad_icmp_checksum", toUs, ping(vip), func(f []byte) { f[14+20+2] ^= 0xff }},
		{"echo request to a multicast group", "martian_dst", toUs, ping(netip.MustParseAddr("224.0.0.1")), nil},
	}
	out := make([]Hostile, 0, len(plan))
	for _, p := range plan {
		f, err := Serialize(append([]gopacket.SerializableLayer{p.eth}, p.ls...)...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.what, err)
		}
		if p.corrupt != nil {
			p.corrupt(f)
		}
		out = append(out, Hostile{What: p.what, Reason: p.reason, Frame: f})
	}
	return out, nil
}

func (s HostileSite) eth(dst net.HardwareAddr) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: s.SenderMAC, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
}
