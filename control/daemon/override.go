package daemon

import (
	"maps"
	"sync"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// serverOverride is the operator's runtime change to one real server: a
// weight that replaces the configured (or dynamic) one, and a state.
type serverOverride struct {
	weight *uint32
	state  string // admin.OverrideDrain | admin.OverrideMaint | admin.OverrideReady
	since  time.Time
}

func (o serverOverride) empty() bool { return o.weight == nil && o.state == admin.OverrideReady }

// weightFor is the weight of a server the checks leave up: drain and
// maintenance take it out of scheduling (weight 0, its connections go
// on, as IPVS's quiescing), an operator's weight replaces the
// configured or dynamic one. A server the checks took down is not asked:
// maintenance wins over "up", "down" wins over an operator's weight.
func (o serverOverride) weightFor(w uint32) uint32 {
	switch {
	case o.state != admin.OverrideReady:
		return 0
	case o.weight != nil:
		return *o.weight
	}
	return w
}

// apply is o after action, stamped now if it changed.
func (o serverOverride) apply(req admin.OverrideRequest, now time.Time) serverOverride {
	next := o
	switch req.Action {
	case admin.ActionWeight:
		w := *req.Weight
		next.weight = &w
	case admin.ActionDrain:
		next.state = admin.OverrideDrain
	case admin.ActionMaint:
		next.state = admin.OverrideMaint
	case admin.ActionReady:
		next.state = admin.OverrideReady
	}
	if next.state != o.state || !sameWeight(next.weight, o.weight) {
		next.since = now
	}
	return next
}

func sameWeight(a, b *uint32) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// overrideStore holds the overrides and writes each change to its state
// file (none when path is empty: tests, and `govsd -t`).
type overrideStore struct {
	mu   sync.Mutex
	path string
	set  map[serverKey]serverOverride
}

func newOverrideStore(path string) *overrideStore {
	return &overrideStore{path: path, set: map[serverKey]serverOverride{}}
}

// snapshot is a copy the caller may keep: effectiveSpec reads it.
func (s *overrideStore) snapshot() map[serverKey]serverOverride {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.set)
}

// update changes the overrides with edit and persists them; when the
// state file cannot be written nothing changes. It returns the overrides
// as they were, for a caller that must undo.
func (s *overrideStore) update(edit func(map[serverKey]serverOverride)) (old map[serverKey]serverOverride, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := maps.Clone(s.set)
	edit(next)
	if err := writeStateFile(s.path, next); err != nil {
		return nil, err
	}
	old, s.set = s.set, next
	return old, nil
}

// restore puts back what update returned.
func (s *overrideStore) restore(old map[serverKey]serverOverride) error {
	_, err := s.update(func(m map[serverKey]serverOverride) {
		clear(m)
		maps.Copy(m, old)
	})
	return err
}
