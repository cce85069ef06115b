package netlab_test

import (
	"strings"
	"testing"

	"github.com/govs-project/govs/internal/netlab"
)

// TestParseFrameTCP checks the TCP fields the e2e tests count SYNs by:
// ports, flags, and their rendering in failure messages.
func TestParseFrameTCP(t *testing.T) {
	// 14 Ethernet + 20 IPv4 (TCP) + 20 TCP: 10.0.0.2:40000 > 10.0.0.100:80, SYN (0x02).
	syn := []byte{
		2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00,
		0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 100,
		0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
	}
	f, ok := netlab.ParseFrame(syn)
	if !ok || f.Proto != netlab.ProtoTCP || f.SrcPort != 40000 || f.DstPort != 80 || f.TCPFlags != "S" {
		t.Errorf("TCP SYN decoded as %+v (ok %v)", f, ok)
	}
	if s := f.String(); !strings.Contains(s, "tcp 40000 > 80 [S]") {
		t.Errorf("TCP SYN rendered as %q", s)
	}
	syn[14+20+13] = 0x12 // SYN, ACK
	if f, _ := netlab.ParseFrame(syn); !strings.Contains(f.String(), "[S.]") {
		t.Errorf("SYN-ACK rendered as %q", f.String())
	}
}
