package slowpath

import "github.com/govs-project/govs/dataplane/packet"

// refusal is why a binding is not learned (or a next hop not resolved).
type refusal uint8

const (
	accepted refusal = iota
	refusedNotInSubnet
	refusedOwnAddress
	refusedBadMAC
	refusedBadAddress
	refusedUnsolicited // a binding nobody asked for (accept.go)
)

// senderRefusal checks the binding an ARP frame received on port offers for
// its sender, whatever the frame is: the address rules below, a unicast MAC,
// and the port of the entry n (nil: none) it would concern.
func (s *SlowPath) senderRefusal(a *packet.ARP, n *neighbour, port int) refusal {
	switch r := s.addressRefusal(a.SPA, port); {
	case r != accepted:
		return r
	case !usableMAC(a.SHA):
		return refusedBadMAC
	case n != nil && n.port != port:
		return refusedNotInSubnet // overlapping subnets: the entry belongs to its own port
	}
	return accepted
}

// addressRefusal checks ip as a neighbour on port: never 0.0.0.0 or the
// limited broadcast, never one of our addresses or VIPs (someone claiming
// them is a conflict, not a neighbour), only inside the port's subnet, and
// not the subnet's network or broadcast address.
func (s *SlowPath) addressRefusal(ip uint32, port int) refusal {
	p := &s.view.Ports[port]
	switch {
	case ip == 0 || ip == 0xffffffff:
		return refusedBadAddress
	case s.own[ip]:
		return refusedOwnAddress
	case ip&p.Mask != p.Net&p.Mask:
		return refusedNotInSubnet
	case hasNetworkAndBroadcast(p.Mask) && (ip == p.Net&p.Mask || ip == p.Net|^p.Mask):
		return refusedBadAddress
	}
	return accepted
}

// hasNetworkAndBroadcast is false for /31 and /32, whose every address is a
// host (RFC 3021).
func hasNetworkAndBroadcast(mask uint32) bool { return ^mask > 1 }

// usableMAC refuses the zero MAC and group (broadcast, multicast) MACs:
// no unicast neighbour has them.
func usableMAC(mac [6]byte) bool {
	return mac[0]&1 == 0 && mac != [6]byte{}
}

func (s *SlowPath) count(r refusal) {
	switch r {
	case refusedNotInSubnet:
		s.stats.Refused.NotInSubnet++
	case refusedOwnAddress:
		s.stats.Refused.OwnAddress++
	case refusedBadMAC:
		s.stats.Refused.BadMAC++
	case refusedBadAddress:
		s.stats.Refused.BadAddress++
	case refusedUnsolicited:
		s.stats.Refused.Unsolicited++
	}
}
