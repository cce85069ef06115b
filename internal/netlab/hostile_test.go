package netlab

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/dataplane/packet"
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
		if got := packet.Checksum(h.Frame[14:ipEnd], 0); got != 0 {
			t.Errorf("%s: IP header checksum wrong (verifies to %#x)", h.What, got)
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
			valid := packet.Checksum(h.Frame[ipEnd:], 0) == 0
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
