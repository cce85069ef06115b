package slowpath

import (
	"time"

	"github.com/govs-project/govs/dataplane/packet"
)

// HandleARP processes one punted ARP frame received on inPort: it learns
// from the sender within the rules of accept.go, then answers a request for
// the port's address or for a VIP that port owns (the reply is built in
// place and sent back on inPort); anything else is consumed. Frames that are
// not untagged Ethernet/IPv4 ARP requests or replies are freed and counted
// arp_invalid.
func (s *SlowPath) HandleARP(p Packet, inPort int, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
	s.stats.ARPReceived++
	frame := p.Frame()
	a := &s.arp
	if !s.parseARP(frame, inPort, a) {
		s.stats.ARPInvalid++
		p.Free()
		return
	}
	if a.Op == packet.ARPReply {
		s.stats.RepliesReceived++
	}
	forUs := s.answersFor(a.TPA, inPort)
	kind := classify(a, forUs)
	if kind == arpForOthers {
		s.stats.NotForUs++
	}
	s.learnFrom(a, kind, inPort, now)
	// A broadcast/multicast/zero sender MAC would turn our reply into a
	// broadcast (or nothing): such requests are not answered.
	if a.Op == packet.ARPRequest && forUs && usableMAC(a.SHA) {
		packet.ARPReplyInPlace(frame, &s.parsed, a, s.macOf(a.TPA, inPort))
		if p.Send(inPort) {
			s.stats.RequestsAnswered++
		} else {
			s.stats.SendFailed++
		}
		return
	}
	p.Free()
}

// parseARP accepts only what the lcores would: untagged Ethernet/IPv4 ARP
// requests and replies, on a known port.
func (s *SlowPath) parseARP(frame []byte, inPort int, a *packet.ARP) bool {
	if inPort < 0 || inPort >= len(s.view.Ports) {
		return false
	}
	if packet.Parse(frame, &s.parsed) != packet.OK || s.parsed.VLANs != 0 ||
		!packet.ParseARP(frame, &s.parsed, a) {
		return false
	}
	return a.Op == packet.ARPRequest || a.Op == packet.ARPReply
}

// answersFor reports whether inPort answers ARP for ip: its own address,
// or a VIP it owns that is not standby.
func (s *SlowPath) answersFor(ip uint32, inPort int) bool {
	if ip == 0 {
		return false
	}
	if ip == s.view.Ports[inPort].IP {
		return true
	}
	owner, ok := s.view.VIPs[ip]
	return ok && owner == inPort && !s.view.Standby[ip]
}

// macOf is the MAC that port answers and announces ip with: the
// address's own (a virtual router MAC) or the port's.
func (s *SlowPath) macOf(ip uint32, port int) [6]byte {
	if mac, ok := s.view.MACs[ip]; ok {
		return mac
	}
	return s.view.Ports[port].MAC
}

// sendRequest asks for n's MAC: by broadcast, or unicast to the MAC we
// have. A failed send still counts as a probe, so that a broken wire cannot
// keep an entry alive forever; only a request that went out makes a reply
// acceptable (n.asked, see answers).
func (s *SlowPath) sendRequest(n *neighbour, unicast bool, now time.Time) {
	n.requested = now
	n.probes++
	port := &s.view.Ports[n.port]
	var size int
	asked := request{at: now}
	if unicast {
		size = packet.BuildUnicastARPRequest(s.frame[:], n.mac, port.MAC, port.IP, n.ip)
		asked.to = n.mac
	} else {
		size = packet.BuildARPRequest(s.frame[:], port.MAC, port.IP, n.ip)
	}
	if s.wire.Send(n.port, s.frame[:size]) {
		s.stats.RequestsSent++
		n.asked = asked
	} else {
		s.stats.SendFailed++
	}
}

// announce sends the pending gratuitous ARPs. One that cannot be sent is
// tried again on the next Ticks, up to MaxProbes attempts: after a VRRP
// takeover the neighbours must hear about the VIPs.
func (s *SlowPath) announce() {
	pending := s.garps[:0]
	for _, g := range s.garps {
		size := packet.BuildGratuitousARP(s.frame[:], s.macOf(g.ip, g.port), g.ip)
		if s.wire.Send(g.port, s.frame[:size]) {
			s.stats.GARPSent++
			continue
		}
		s.stats.SendFailed++
		if g.attempts++; g.attempts < s.cfg.MaxProbes {
			pending = append(pending, g)
		}
	}
	s.garps = pending
}
