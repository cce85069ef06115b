package slowpath

import (
	"time"

	"github.com/govs-project/govs/dataplane/packet"
)

// Which ARP may bind a MAC to an address (create, update or refresh an
// entry). First, whatever the frame: static entries never change
// (configuration beats ARP) and the sender's binding must pass the hygiene
// rules (hygiene.go; refused by address, MAC or port). Then by kind of frame,
// with n the entry of the sender's address on the receiving port:
//
//   - A reply answers us if n exists, we sent a request for n (Wire.Send
//     succeeded) less than RetryTime*MaxProbes ago and no reply or
//     gratuitous ARP has been accepted for n since, the reply is addressed
//     to the receiving port's address (the sender of every request we send)
//     and, when that latest request was a unicast probe, it comes from the
//     MAC the probe went to (after a broadcast, any MAC). Such a reply
//     resolves, refreshes or updates n. The window is the time our
//     requests take to give a learned entry up; the first accepted reply
//     closes it, so back-to-back replies cannot flip the MAC (Linux's
//     locktime keeps the first too). With ARPAccept, any reply binds as if
//     it answered us: it may create an entry.
//   - A gratuitous ARP (request or reply, sender address = target address)
//     never creates an entry; with ARPAccept it binds n if it exists. Every
//     other gratuitous ARP is refused.
//   - A request aimed at us (the port's address, or a VIP the port owns)
//     creates an entry for its sender if there is none, as Linux does: the
//     sender is about to talk to us and the answer goes to it. It refreshes
//     n if it offers n's MAC. It may change a learned entry's MAC (Linux
//     does): such an entry is a client's or another host's that talks to
//     us, the request came from the port whose subnet holds its address,
//     and a host that changed its MAC (a new NIC, a migrated VM) must get
//     our replies at once; whoever could forge it sits on that segment,
//     where it could as well answer our broadcasts. A configured next hop
//     (real server, gateway: View.Wanted) is never bound by a request: one
//     that offers another MAC, or a MAC before we resolved it, is refused;
//     when n has a MAC it is re-validated: probed at once if no request
//     went out within RetryTime, then as if stale (aging.go) until a reply
//     to our requests settles it, so a real change is taken from the
//     answer to a broadcast once the old MAC stays silent.
//   - Any other request (for someone else's address) only refreshes n if n
//     already has that very MAC; anything else it offers for n is refused.
//     It is counted not_for_us either way.
//
// Every refusal here is counted refused.unsolicited.

// arpKind is what an ARP frame is, for learning from its sender.
type arpKind uint8

const (
	arpGratuitous arpKind = iota // sender address = target address
	arpReply                     // any other reply
	arpForUs                     // a request for the port's address or a VIP it owns
	arpForOthers                 // any other request
)

func classify(a *packet.ARP, forUs bool) arpKind {
	switch {
	case a.SPA == a.TPA:
		return arpGratuitous
	case a.Op == packet.ARPReply:
		return arpReply
	case forUs:
		return arpForUs
	}
	return arpForOthers
}

// learnFrom applies the sender binding of a, received on inPort, if the
// rules above allow it.
func (s *SlowPath) learnFrom(a *packet.ARP, kind arpKind, inPort int, now time.Time) {
	n := s.table.byIP[a.SPA]
	if n != nil && n.static {
		return // configuration beats ARP
	}
	if r := s.senderRefusal(a, n, inPort); r != accepted {
		s.count(r)
		return
	}
	if !s.admit(a, kind, n, inPort, now) {
		return
	}
	if n == nil {
		if n = s.addLearned(a.SPA, inPort, now); n == nil {
			return
		}
	}
	s.confirm(n, a.SHA, now)
	if kind == arpReply || kind == arpGratuitous { // settled: no request outstanding
		n.asked, n.revalidate = request{}, false
	}
}

// admit reports whether a, of kind, may bind its sender's MAC to n (nil:
// create an entry), counting the refusals.
func (s *SlowPath) admit(a *packet.ARP, kind arpKind, n *neighbour, inPort int, now time.Time) bool {
	switch kind {
	case arpGratuitous:
		return s.unsolicitedUnless(n != nil && s.view.ARPAccept)
	case arpReply:
		return s.unsolicitedUnless(s.view.ARPAccept || s.answers(a, n, inPort, now))
	case arpForUs:
		if n == nil || !n.wanted || (n.resolved && n.mac == a.SHA) {
			return true
		}
		s.count(refusedUnsolicited)
		if n.resolved {
			n.revalidate = true
			if s.retryDue(n, now) {
				s.probe(n, now)
			}
		}
		return false
	}
	return n != nil && s.unsolicitedUnless(n.resolved && n.mac == a.SHA)
}

func (s *SlowPath) unsolicitedUnless(ok bool) bool {
	if !ok {
		s.count(refusedUnsolicited)
	}
	return ok
}

// answers reports whether reply a, received on inPort, answers the request
// outstanding for n (nil: none), by the rule above.
func (s *SlowPath) answers(a *packet.ARP, n *neighbour, inPort int, now time.Time) bool {
	if n == nil || n.asked.at.IsZero() || now.Sub(n.asked.at) >= s.cfg.RetryTime*time.Duration(s.cfg.MaxProbes) {
		return false
	}
	return a.TPA == s.view.Ports[inPort].IP && (n.asked.to == [6]byte{} || n.asked.to == a.SHA)
}
