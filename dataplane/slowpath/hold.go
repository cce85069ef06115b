package slowpath

import (
	"time"

	"github.com/govs-project/govs/dataplane/packet"
)

// heldPacket waits for its next hop's MAC.
type heldPacket struct {
	p       Packet
	outPort int
	at      time.Time
}

// HandleUnresolved takes a packet that is ready to go out on outPort except
// for the Ethernet addresses of hop. If hop's MAC is known (the mirror lags,
// or could not take the entry) the packet leaves at once; otherwise it is
// held, an entry is created, and a request goes out unless one did within
// RetryTime. Held packets leave, in arrival order, when hop answers.
//
// Overflow drops the new packet rather than the oldest (Linux drops the
// oldest): the first packets of a connection, its SYN, matter most.
func (s *SlowPath) HandleUnresolved(p Packet, outPort int, hop uint32, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
	if outPort < 0 || outPort >= len(s.view.Ports) || len(p.Frame()) < packet.EthHdrLen {
		s.stats.PuntInvalid++
		p.Free()
		return
	}
	n := s.table.byIP[hop]
	if n != nil && n.resolved {
		if s.transmit(p, outPort, n.mac) {
			s.stats.SentKnown++
		}
		return
	}
	if n == nil {
		if r := s.addressRefusal(hop, outPort); r != accepted {
			s.count(r)
			p.Free()
			return
		}
		if n = s.addLearned(hop, outPort, now); n == nil {
			p.Free()
			return
		}
	}
	s.hold(n, p, outPort, now)
	if s.retryDue(n, now) || s.heldRetryDue(n, now) {
		s.sendRequest(n, false, now)
	}
}

// heldRetryTime is how soon a configured next hop (a real server, a
// gateway) that has not answered is asked again when a packet waits for
// it. Its first request may have gone out before the link was up (a
// director whose cable is plugged in after it started, or a new VRRP
// master whose neighbours were never resolved): waiting out RetryTime
// would drop a second of its connections. Learned neighbours keep
// RetryTime: their requests count towards giving them up.
const heldRetryTime = 100 * time.Millisecond

func (s *SlowPath) heldRetryDue(n *neighbour, now time.Time) bool {
	return n.wanted && !n.resolved && now.Sub(n.requested) >= heldRetryTime
}

func (s *SlowPath) hold(n *neighbour, p Packet, outPort int, now time.Time) {
	if len(n.held) >= s.cfg.HoldPerNeigh || s.holding >= s.cfg.HoldTotal {
		s.stats.HoldOverflow++
		p.Free()
		return
	}
	n.held = append(n.held, heldPacket{p: p, outPort: outPort, at: now})
	s.holding++
	s.stats.Held++
}

// flush sends what n held, now that its MAC is known.
func (s *SlowPath) flush(n *neighbour) {
	for i, h := range n.held {
		if s.transmit(h.p, h.outPort, n.mac) {
			s.stats.HoldSent++
		}
		n.held[i] = heldPacket{}
	}
	s.holding -= len(n.held)
	n.held = nil
}

// transmit writes the Ethernet addresses (dst = the neighbour, src = the
// out port) and sends the packet.
func (s *SlowPath) transmit(p Packet, outPort int, mac [6]byte) bool {
	if outPort >= len(s.view.Ports) { // the port went away while it was held
		s.stats.SendFailed++
		p.Free()
		return false
	}
	packet.SetEth(p.Frame(), mac, s.view.Ports[outPort].MAC)
	if !p.Send(outPort) {
		s.stats.SendFailed++
		return false
	}
	return true
}

// expireHeld drops the packets n has held for HoldTimeout or longer.
func (s *SlowPath) expireHeld(n *neighbour, now time.Time) {
	k := 0
	for k < len(n.held) && now.Sub(n.held[k].at) >= s.cfg.HoldTimeout {
		k++
	}
	s.freeHeld(n, k)
}

// dropHeld drops everything n holds (its entry is going away).
func (s *SlowPath) dropHeld(n *neighbour) { s.freeHeld(n, len(n.held)) }

// freeHeld frees the k oldest packets of n, counted as hold timeouts.
func (s *SlowPath) freeHeld(n *neighbour, k int) {
	if k == 0 {
		return
	}
	for i := 0; i < k; i++ {
		n.held[i].p.Free()
	}
	rest := copy(n.held, n.held[k:])
	clear(n.held[rest:])
	n.held = n.held[:rest]
	s.holding -= k
	s.stats.HoldTimeout += uint64(k)
}
