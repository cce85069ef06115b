package netlab

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Each hostile frame decodes as what it claims, differs from a valid
// request only where its rule looks, and uses a source port of its own.
func TestHostileFrames(t *testing.T) {
	site := HostileSite{
		SenderMAC:   net.HardwareAddr{2, 0, 0, 0, 0, 2},
		DirectorMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1},
		Sender:      netip.MustParseAddr("10.0.0.2"),
		VIP:         netip.MustParseAddrPort("10.0.0.100:80"),
		FirstPort:   40000,
	}
	frames, err := HostileFrames(site)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) < 5 {
		t.Fatalf("%d frames", len(frames))
	}
	ports := map[uint16]string{}
	for _, h := range frames {
		pkt := gopacket.NewPacket(h.Frame, layers.LayerTypeEthernet, gopacket.Default)
		if el := pkt.ErrorLayer(); el != nil {
			t.Errorf("%s: does not decode: %v", h.What, el.Error())
			continue
		}
		eth := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if ip == nil || h.Reason == "" {
			t.Errorf("%s: no IPv4 layer or no reason", h.What)
			continue
		}
		if eth.SrcMAC.String() != site.SenderMAC.String() {
			t.Errorf("%s: from %s", h.What, eth.SrcMAC)
		}
		ipEnd := 14 + int(h.Frame[14]&0x0f)*4
		if got := onesComplement(h.Frame[14:ipEnd]); got != 0xffff {
			t.Errorf("%s: IP header checksum wrong (sum %#x)", h.What, got)
		}
		var sport uint16
		switch l4 := pkt.TransportLayer().(type) {
		case *layers.TCP:
			sport = uint16(l4.SrcPort)
			if l4.DstPort != layers.TCPPort(site.VIP.Port()) {
				t.Errorf("%s: to port %d", h.What, l4.DstPort)
			}
		default:
			icmp, ok := pkt.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
			if !ok || icmp.TypeCode.Type() != 8 {
				t.Errorf("%s: neither TCP nor an echo request", h.What)
				continue
			}
			sport = icmp.Id
			valid := onesComplement(h.Frame[ipEnd:]) == 0xffff
			if valid == (h.Reason == "bad_icmp_checksum") {
				t.Errorf("%s: ICMP checksum valid=%v for reason %s", h.What, valid, h.Reason)
			}
		}
		if other, dup := ports[sport]; dup {
			t.Errorf("%s and %s share source port/id %d", h.What, other, sport)
		}
		ports[sport] = h.What
	}
}

func onesComplement(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}
