package health

import (
	"net/netip"
)

// WeightOverride is an operator's runtime change to one server as the
// quorum counts it: the weight the dataplane gives the server while its
// checks leave it up (0 for maintenance or drain, an operator's weight in
// place of the configured or dynamic one). A server the checks took down
// counts nothing whatever its override.
type WeightOverride struct {
	Service string
	Addr    netip.Addr
	Port    uint16
	Weight  uint32
}

// SetOverrides replaces every override and re-evaluates each service's
// quorum with them, so an operator's maintenance or drain loses the
// quorum (events, quorum_down command) as a failed check would, and
// clearing it regains the quorum. Overrides are kept across Apply: a
// server or service that appears later takes its own at once.
func (m *Manager) SetOverrides(list []WeightOverride) {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return
	}
	m.overrides = map[string]map[serverKey]uint32{}
	for _, o := range list {
		byServer := m.overrides[o.Service]
		if byServer == nil {
			byServer = map[serverKey]uint32{}
			m.overrides[o.Service] = byServer
		}
		byServer[serverKey{o.Addr, o.Port}] = o.Weight
	}
	now := m.o.Clock.Now()
	var events []Event
	for key, svc := range m.services {
		svc.overrides = m.overrides[key]
		events = m.updateQuorum(svc, now, events)
	}
	m.mu.Unlock()
	if len(events) > 0 && m.o.OnChange != nil {
		m.o.OnChange()
	}
}

// countedWeight is what s adds to its service's alive weight while up.
func (svc *service) countedWeight(s *server) uint64 {
	if w, ok := svc.overrides[s.key]; ok {
		return uint64(w)
	}
	if s.dyn >= 0 {
		return uint64(s.dyn)
	}
	return uint64(s.spec.Weight)
}
