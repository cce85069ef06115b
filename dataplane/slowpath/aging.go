package slowpath

import "time"

// maintain moves one entry along the (simplified) Linux neighbour states:
//
//   - static: nothing, ever.
//   - incomplete: a request every RetryTime; a learned entry is given up
//     (deleted, held packets dropped) one RetryTime after its MaxProbes-th
//     unanswered request, a wanted one is asked for forever.
//   - wanted and stale, or being re-validated (another MAC claimed its
//     address, accept.go): probed every RetryTime, first MaxProbes times by
//     unicast to the known MAC (as Linux's ucast_probes), then by
//     broadcast in case it moved; it keeps its MAC meanwhile (a real
//     server that is down is the health checks' business) until a reply
//     to one of these requests confirms one.
//   - learned and stale: never probed (we cannot see whether the lcores
//     use it; hosts that talk to us ARP for us and so confirm it), deleted
//     once unconfirmed for GCStale.
func (s *SlowPath) maintain(n *neighbour, now time.Time) {
	s.expireHeld(n, now)
	switch {
	case n.static:
	case !n.resolved:
		if !n.wanted && n.probes >= s.cfg.MaxProbes && s.retryDue(n, now) {
			s.remove(n)
			return
		}
		if s.retryDue(n, now) {
			s.sendRequest(n, false, now)
		}
	case n.wanted:
		if (n.revalidate || !s.reachable(n, now)) && s.retryDue(n, now) {
			s.probe(n, now)
		}
	default:
		if now.Sub(n.confirmed) >= s.cfg.GCStale {
			s.remove(n)
		}
	}
}

// retryDue reports whether RetryTime has passed since the last request.
func (s *SlowPath) retryDue(n *neighbour, now time.Time) bool {
	return n.requested.IsZero() || now.Sub(n.requested) >= s.cfg.RetryTime
}

// probe asks a resolved entry to confirm its MAC: unicast to it for the
// first MaxProbes requests since the last confirmation, then by broadcast.
func (s *SlowPath) probe(n *neighbour, now time.Time) {
	s.sendRequest(n, n.probes < s.cfg.MaxProbes, now)
}
