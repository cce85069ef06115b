package slowpath

import (
	"container/list"
	"time"
)

// neighbour is one entry of the table. Kinds: static (configured binding),
// wanted (configured next hop, resolved by us) and learned (everything
// else: from ARP, or a next hop the fast path asked for).
type neighbour struct {
	ip       uint32
	port     int
	mac      [6]byte
	resolved bool // mac is valid
	static   bool
	wanted   bool
	inMirror bool // the mirror holds this entry's current binding

	created   time.Time
	confirmed time.Time // last ARP that confirmed the binding (install time for static)
	requested time.Time // last request sent; zero = never
	probes    int       // requests sent since the last confirmation
	asked     request   // the request a reply may still answer (accept.go)

	// revalidate: a request aimed at us claimed this wanted entry's
	// address with another MAC; it is probed as if stale until a reply
	// settles it.
	revalidate bool

	held []heldPacket  // packets waiting for mac, in arrival order
	lru  *list.Element // position in table.lru while evictable
}

// request is the last request that went out for an entry and has not been
// answered yet.
type request struct {
	at time.Time // when it was sent; zero = none outstanding
	to [6]byte   // the MAC a unicast probe went to; zero = broadcast
}

// evictable entries may make room for others: learned and resolved.
// Incomplete ones are not (their packets are about to be sent).
func (n *neighbour) evictable() bool { return n.resolved && !n.static && !n.wanted }

// table indexes the entries by address and keeps the evictable ones in
// order of confirmation, so that eviction and its refusal are O(1) even
// under an ARP flood.
type table struct {
	byIP map[uint32]*neighbour
	lru  *list.List // of *neighbour, oldest confirmation at the front
}

func newTable() table {
	return table{byIP: map[uint32]*neighbour{}, lru: list.New()}
}

func (t *table) add(ip uint32, port int, now time.Time) *neighbour {
	n := &neighbour{ip: ip, port: port, created: now}
	t.byIP[ip] = n
	return n
}

func (t *table) drop(n *neighbour) {
	t.untrack(n)
	delete(t.byIP, n.ip)
}

func (t *table) untrack(n *neighbour) {
	if n.lru != nil {
		t.lru.Remove(n.lru)
		n.lru = nil
	}
}

// track places n in the eviction order if it is evictable, by confirmation
// time. A fresh confirmation goes straight to the back; only Apply (an entry
// no longer wanted) inserts further in.
func (t *table) track(n *neighbour) {
	t.untrack(n)
	if !n.evictable() {
		return
	}
	e := t.lru.Back()
	for e != nil && e.Value.(*neighbour).confirmed.After(n.confirmed) {
		e = e.Prev()
	}
	if e == nil {
		n.lru = t.lru.PushFront(n)
	} else {
		n.lru = t.lru.InsertAfter(n, e)
	}
}

// oldest returns the evictable entry confirmed longest ago, or nil.
func (t *table) oldest() *neighbour {
	if e := t.lru.Front(); e != nil {
		return e.Value.(*neighbour)
	}
	return nil
}

// addLearned creates a learned entry if the table has room, evicting the
// oldest STALE learned entry when it is full (as Linux's forced GC does)
// rather than refusing a new neighbour in favour of one nobody confirmed.
// Reachable and incomplete entries are never evicted.
func (s *SlowPath) addLearned(ip uint32, port int, now time.Time) *neighbour {
	if len(s.table.byIP) >= s.cfg.MaxEntries {
		o := s.table.oldest()
		if o == nil || s.reachable(o, now) {
			s.stats.Refused.TableFull++
			return nil
		}
		s.evict(o)
	}
	return s.table.add(ip, port, now)
}

// trimToLimit makes room for configured entries by evicting learned ones,
// oldest first. Configured entries alone may exceed MaxEntries: the
// configuration wins over the bound.
func (s *SlowPath) trimToLimit() {
	for len(s.table.byIP) > s.cfg.MaxEntries {
		o := s.table.oldest()
		if o == nil {
			return
		}
		s.evict(o)
	}
}

func (s *SlowPath) evict(n *neighbour) {
	s.stats.Evicted++
	s.remove(n)
}

// remove deletes n, from the mirror too, and drops what it held.
func (s *SlowPath) remove(n *neighbour) {
	s.dropHeld(n)
	if n.inMirror {
		s.mirror.Delete(n.ip)
		n.inMirror = false
	}
	s.table.drop(n)
	s.stats.EntriesDeleted++
}

// bind records n at mac on port as confirmed now and mirrors it. It reports
// whether the binding changed. The mirror is written on every change, and
// again when an earlier write failed; if a write fails the mirror's old
// binding is deleted, so the lcores punt to us instead of using a wrong MAC.
func (s *SlowPath) bind(n *neighbour, mac [6]byte, port int, now time.Time) bool {
	changed := !n.resolved || n.mac != mac || n.port != port
	n.mac, n.port, n.resolved = mac, port, true
	n.confirmed, n.probes = now, 0
	if changed || !n.inMirror {
		if err := s.mirror.Set(n.ip, n.port, n.mac); err != nil {
			s.stats.MirrorFull++
			if n.inMirror {
				s.mirror.Delete(n.ip)
				n.inMirror = false
			}
		} else {
			n.inMirror = true
		}
	}
	return changed
}

// confirm applies what an ARP from n's owner said: a first binding is
// learned (and releases the held packets), a different one is an update.
func (s *SlowPath) confirm(n *neighbour, mac [6]byte, now time.Time) {
	wasResolved := n.resolved
	changed := s.bind(n, mac, n.port, now)
	switch {
	case !wasResolved:
		s.stats.Learned++
		s.flush(n)
	case changed:
		s.stats.Updated++
	}
	s.table.track(n)
}

func (s *SlowPath) reachable(n *neighbour, now time.Time) bool {
	return now.Sub(n.confirmed) < s.cfg.ReachableTime
}

func (s *SlowPath) state(n *neighbour, now time.Time) State {
	switch {
	case n.static:
		return StatePermanent
	case !n.resolved:
		return StateIncomplete
	case s.reachable(n, now):
		return StateReachable
	}
	return StateStale
}
