package health

import (
	"cmp"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/govs-project/govs/internal/fanout"
)

// Manager runs the checkers of a Spec and keeps every server's and
// service's state. Its methods are safe for concurrent use.
type Manager struct {
	o      Options
	met    *metrics
	notes  *notifier
	events fanout.Broker[Event]
	ping   pingHolder

	mu       sync.Mutex
	services map[string]*service
	// overrides are the operator's, by service key (SetOverrides): kept
	// here so a service Apply creates later counts its own.
	overrides map[string]map[serverKey]uint32
	stopped   bool
	wg        sync.WaitGroup // one per armed timer and running check
}

type service struct {
	spec     ServiceSpec // without Servers
	servers  map[serverKey]*server
	quorumUp bool
	since    time.Time
	// overrides replace the weights of its servers in the quorum count.
	overrides map[serverKey]uint32
}

type serverKey struct {
	addr netip.Addr
	port uint16
}

// New returns a manager with nothing to check; Apply gives it a Spec.
func New(o Options) (*Manager, error) {
	o.fill()
	met, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	m := &Manager{o: o, met: met, services: map[string]*service{}}
	m.events.Dropped = met.eventsDropped.Inc
	m.notes = newNotifier(&m.o, func(result string) { met.notifications.WithLabelValues(result).Inc() })
	return m, nil
}

// Apply makes s the set of services checked: checkers of new servers
// start, those of removed servers stop, and a server whose service,
// address, port and check did not change keeps its state and its running
// checker (a weight or notify command change is taken in place). A server
// whose check changed starts over as a new one.
func (m *Manager) Apply(s Spec) {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		m.o.Log.Warn("health: Apply after Stop ignored")
		return
	}
	now := m.o.Clock.Now()
	var events []Event
	seen := make(map[string]bool, len(s.Services))
	for _, ss := range s.Services {
		if ss.Key == "" || seen[ss.Key] {
			m.o.Log.Warn("health: service without a key or listed twice, ignored", "key", ss.Key)
			continue
		}
		seen[ss.Key] = true
		svc, existed := m.services[ss.Key]
		if !existed {
			svc = &service{servers: map[serverKey]*server{}, since: now}
			m.services[ss.Key] = svc
		}
		svc.spec = ss
		svc.spec.Servers = nil
		svc.overrides = m.overrides[ss.Key]
		events = m.applyServers(svc, ss.Servers, now, events)
		if existed {
			// Quorum settings or weights may have changed (keepalived
			// re-evaluates the quorum on reload too).
			events = m.updateQuorum(svc, now, events)
		} else {
			svc.quorumUp = quorumAfter(false, svc.aliveWeight(), ss.Quorum, ss.Hysteresis)
			m.met.quorum.WithLabelValues(ss.Key).Set(b2f(svc.quorumUp))
		}
	}
	for key, svc := range m.services {
		if !seen[key] {
			for _, srv := range svc.servers {
				m.removeServer(srv)
			}
			m.met.quorum.DeleteLabelValues(key)
			delete(m.services, key)
		}
	}
	m.mu.Unlock()
	if len(events) > 0 && m.o.OnChange != nil {
		m.o.OnChange()
	}
}

func (m *Manager) applyServers(svc *service, specs []ServerSpec, now time.Time, events []Event) []Event {
	keep := make(map[serverKey]*server, len(specs))
	for _, sp := range specs {
		k := serverKey{sp.Addr, sp.Port}
		if _, dup := keep[k]; dup {
			m.o.Log.Warn("health: server listed twice in a service, ignored", "service", svc.spec.Key, "server", netip.AddrPortFrom(sp.Addr, sp.Port))
			continue
		}
		old := svc.servers[k]
		if old != nil && old.sameCheck(sp.Check) {
			old.spec = sp
			old.spec.Check = nil
			keep[k] = old
			continue
		}
		s := m.newServer(svc, k, sp, now)
		if old != nil {
			m.stopRunner(old)
			if old.up != s.up {
				events = m.serverChanged(s, now, "check changed", events)
			} else {
				s.since = old.since
			}
		}
		keep[k] = s
	}
	for k, old := range svc.servers {
		if keep[k] == nil {
			m.removeServer(old)
		}
	}
	svc.servers = keep
	return events
}

func (m *Manager) removeServer(s *server) {
	m.stopRunner(s)
	m.met.deleteServer(s.svc.spec.Key, s.label)
}

// Stop stops every checker and waits for them, for running notify
// commands (killed) and for the ping socket's reader; subscriptions end.
func (m *Manager) Stop() {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return
	}
	m.stopped = true
	for _, svc := range m.services {
		for _, s := range svc.servers {
			m.stopRunner(s)
		}
	}
	m.mu.Unlock()
	m.wg.Wait()
	m.notes.stop()
	m.ping.close()
	m.events.Close()
}

// Subscribe returns a channel of every state change from now on, with
// room for buf events; a subscriber that falls behind loses events
// (counted in govs_health_events_dropped_total), it never slows a checker.
// The function ends the subscription and closes the channel; Stop closes
// it too.
func (m *Manager) Subscribe(buf int) (<-chan Event, func()) { return m.events.Subscribe(buf) }

// Servers returns every server's status, sorted by service key, address
// and port.
func (m *Manager) Servers() []ServerStatus {
	m.mu.Lock()
	var out []ServerStatus
	for key, svc := range m.services {
		for _, s := range svc.servers {
			out = append(out, s.status(key))
		}
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b ServerStatus) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), a.Addr.Compare(b.Addr), cmp.Compare(a.Port, b.Port))
	})
	return out
}

// Services returns every service's quorum state, sorted by key.
func (m *Manager) Services() []ServiceStatus {
	m.mu.Lock()
	out := make([]ServiceStatus, 0, len(m.services))
	for key, svc := range m.services {
		out = append(out, ServiceStatus{Key: key, QuorumUp: svc.quorumUp, Since: svc.since,
			AliveWeight: svc.aliveWeight(), Quorum: svc.spec.Quorum, Hysteresis: svc.spec.Hysteresis})
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b ServiceStatus) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
