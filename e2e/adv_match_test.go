package e2e

import (
	"net/netip"

	"github.com/govs-project/govs/internal/netlab"
)

// Matchers over captured frames, for what an attack may or may not have
// caused.

// portsIn matches TCP or UDP frames from or to a port in [base, base+n):
// the forged client ports of one test, as NAT keeps them both ways.
func portsIn(base uint16, n int) func(netlab.Frame) bool {
	in := func(p uint16) bool { return p >= base && int(p) < int(base)+n }
	return func(f netlab.Frame) bool {
		return (f.Proto == netlab.ProtoTCP || f.Proto == netlab.ProtoUDP) && (in(f.SrcPort) || in(f.DstPort))
	}
}

// icmpType matches ICMP messages of type typ (any code).
func icmpType(typ uint8) func(netlab.Frame) bool {
	return func(f netlab.Frame) bool { return f.Proto == netlab.ProtoICMP && f.ICMPType == typ }
}

// fromAddr matches frames whose IP source is addr.
func fromAddr(addr string) func(netlab.Frame) bool {
	a := netip.MustParseAddr(addr)
	return func(f netlab.Frame) bool { return f.Src == a }
}

// anyOf matches what any of ms matches.
func anyOf(ms ...func(netlab.Frame) bool) func(netlab.Frame) bool {
	return func(f netlab.Frame) bool {
		for _, m := range ms {
			if m(f) {
				return true
			}
		}
		return false
	}
}

// allOf matches what every one of ms matches.
func allOf(ms ...func(netlab.Frame) bool) func(netlab.Frame) bool {
	return func(f netlab.Frame) bool {
		for _, m := range ms {
			if !m(f) {
				return false
			}
		}
		return true
	}
}
