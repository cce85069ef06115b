package daemon

import (
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/control/health"
)

// healthChecker is what the daemon uses of the health manager: an
// interface so reloads and the admin view are tested with a fake.
type healthChecker interface {
	Apply(health.Spec)
	Stop()
	Servers() []health.ServerStatus
	Services() []health.ServiceStatus
	Subscribe(buf int) (<-chan health.Event, func())
}

// healthApplier turns the manager's state changes into snapshots: every
// change kicks it, and one Apply covers every change made before it runs,
// so a burst of failures costs one snapshot, not one per server.
type healthApplier struct {
	kick chan struct{}
	quit chan struct{}
	done chan struct{}
}

// startHealth starts the checkers of the running configuration and the
// goroutine that applies their verdicts.
func (d *Daemon) startHealth(reg prometheus.Registerer) error {
	d.applier = &healthApplier{kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	if d.health == nil {
		m, err := health.New(health.Options{Log: d.log.With("component", "health"), Registerer: reg, OnChange: d.healthChanged})
		if err != nil {
			return err
		}
		d.health = m
	}
	go d.applyHealth()
	// Overrides first, so the first quorum already counts a restored
	// maintenance, silently, as the first snapshot did.
	d.pushOverrides()
	d.mu.Lock()
	d.health.Apply(healthSpec(d.cfg.Load()))
	d.mu.Unlock()
	d.healthChanged()
	return nil
}

// healthChanged is the manager's OnChange: it never blocks.
func (d *Daemon) healthChanged() {
	if a := d.applier; a != nil {
		select {
		case a.kick <- struct{}{}:
		default:
		}
	}
}

func (d *Daemon) applyHealth() {
	a := d.applier
	defer close(a.done)
	for {
		select {
		case <-a.quit:
			return
		case <-a.kick:
		}
		if err := d.applyCurrent(); err != nil {
			d.log.Error("applying health check results refused by the dataplane", "err", err)
		}
	}
}

// applyCurrent applies the running configuration as the checks leave it.
func (d *Daemon) applyCurrent() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	cfg := d.cfg.Load()
	next := effectiveSpec(cfg, d.view())
	d.setVRRP(cfg, next)
	var err error
	if !d.withDataplane(func() { err = d.dp.Apply(next) }) {
		return nil
	}
	return err
}

// stopHealth stops the checkers, then the applier.
func (d *Daemon) stopHealth() {
	if d.health != nil {
		d.health.Stop()
	}
	if a := d.applier; a != nil {
		close(a.quit)
		<-a.done
		d.applier = nil
	}
}

// Health reports every checker and every checked service's quorum.
func (d *Daemon) Health() admin.Health {
	h := admin.Health{Servers: []admin.ServerHealth{}, Services: []admin.ServiceHealth{}}
	if d.health == nil {
		return h
	}
	ix := indexConfig(d.cfg.Load())
	v := viewOf(d.health)
	for _, s := range d.health.Servers() {
		h.Servers = append(h.Servers, admin.ServerHealth{
			Service: s.Service, Address: s.Addr.String(), Port: s.Port, Type: string(s.Kind), State: ix.healthState(s),
			Since: s.Since, LastError: s.LastError, LastCheck: s.LastCheck, LastDuration: float64(s.LastDuration.Microseconds()) / 1000,
			LastOutcome: s.LastOutcome, Successes: s.Successes, Failures: s.Failures, DynamicWeight: s.DynamicWeight,
		})
	}
	for _, q := range d.health.Services() {
		sv := ix.services[q.Key]
		h.Services = append(h.Services, admin.ServiceHealth{
			Service: q.Key, QuorumUp: q.QuorumUp, Since: q.Since, AliveWeight: q.AliveWeight, Quorum: q.Quorum, Hysteresis: q.Hysteresis,
			SorryActive: sv != nil && sv.SorryServer != nil && v.quorumLost(q.Key),
		})
	}
	return h
}

// configIndex finds services and real servers by key: the listings run
// over thousands of servers, so nothing in them may search the
// configuration once per server.
type configIndex struct {
	services map[string]*config.Service
	servers  map[serverKey]*config.RealServer
}

func indexConfig(cfg *config.Config) configIndex {
	ix := configIndex{services: map[string]*config.Service{}, servers: map[serverKey]*config.RealServer{}}
	for i := range cfg.Services {
		sv := &cfg.Services[i]
		key := serviceKey(*sv)
		ix.services[key] = sv
		for j := range sv.RealServers {
			rs := &sv.RealServers[j]
			ix.servers[serverKey{key, rs.Address, rs.Port}] = rs
		}
	}
	return ix
}

// healthState is up, down, draining (down, kept at weight 0) or unchecked.
func (ix configIndex) healthState(s health.ServerStatus) string {
	switch {
	case !s.Checked:
		return admin.HealthUnchecked
	case s.Up:
		return admin.HealthUp
	}
	if rs := ix.servers[serverKey{s.Service, s.Addr, s.Port}]; rs != nil && inhibited(*ix.services[s.Service], *rs) {
		return admin.HealthDraining
	}
	return admin.HealthDown
}

// Subscribe streams the health manager's events and the VRRP
// transitions as the admin API's. The channel closes when both sources
// have closed theirs (the daemon stops) or on cancel.
func (d *Daemon) Subscribe(buf int) (<-chan admin.Event, func()) {
	out := make(chan admin.Event, buf)
	var healthEvents <-chan health.Event
	cancelHealth := func() {}
	if d.health != nil {
		healthEvents, cancelHealth = d.health.Subscribe(buf)
	}
	var vrrpEvents <-chan admin.Event
	cancelVRRP := func() {}
	if r := d.vrrp.Load(); r != nil {
		vrrpEvents, cancelVRRP = r.events.Subscribe(buf)
	}
	stop := make(chan struct{})
	go func() {
		defer close(out)
		for healthEvents != nil || vrrpEvents != nil {
			var ae admin.Event
			select {
			case <-stop:
				return
			case ev, ok := <-healthEvents:
				if !ok {
					healthEvents = nil
					continue
				}
				ae = admin.Event{Time: ev.Time, Type: ev.Type, Service: ev.Service, Port: ev.Port, Reason: ev.Reason}
				if ev.Addr.IsValid() {
					ae.Address = ev.Addr.String()
				}
			case ev, ok := <-vrrpEvents:
				if !ok {
					vrrpEvents = nil
					continue
				}
				ae = ev
			}
			select {
			case out <- ae:
			case <-stop:
				return
			}
		}
	}()
	var once sync.Once
	return out, func() {
		once.Do(func() {
			close(stop)
			cancelHealth()
			cancelVRRP()
		})
	}
}

// withHealth adds to the dataplane's listing what the checks know: each
// checked server's health, the servers the checks took out (no longer in
// the dataplane) and which dest is a sorry server.
func withHealth(svcs []admin.Service, cfg *config.Config, h []health.ServerStatus, log *slog.Logger) []admin.Service {
	ix := indexConfig(cfg)
	byKey := make(map[serverKey]health.ServerStatus, len(h))
	for _, s := range h {
		byKey[serverKey{s.Service, s.Addr, s.Port}] = s
	}
	for i := range svcs {
		as := &svcs[i]
		key := fmt.Sprintf("%s/%s:%d", as.Protocol, as.VIP, as.Port)
		sv := ix.services[key]
		if sv == nil {
			continue
		}
		listed := make(map[netip.AddrPort]bool, len(as.RealServers))
		for j := range as.RealServers {
			ar := &as.RealServers[j]
			addr, err := netip.ParseAddr(ar.Address)
			if err != nil {
				log.Warn("listing: unparsable real server address", "address", ar.Address)
				continue
			}
			listed[netip.AddrPortFrom(addr, ar.Port)] = true
			if sv.SorryServer != nil && sv.SorryServer.Address == addr && sv.SorryServer.Port == ar.Port && ix.servers[serverKey{key, addr, ar.Port}] == nil {
				ar.Sorry = true
				continue
			}
			markHealth(ar, ix, byKey[serverKey{key, addr, ar.Port}])
		}
		for _, rs := range sv.RealServers {
			if listed[netip.AddrPortFrom(rs.Address, rs.Port)] {
				continue
			}
			ar := admin.RealServer{Address: rs.Address.String(), Port: rs.Port, Method: rs.Method.String()}
			markHealth(&ar, ix, byKey[serverKey{key, rs.Address, rs.Port}])
			as.RealServers = append(as.RealServers, ar)
		}
	}
	return svcs
}

// markHealth sets a listed server's health from its checker, if it has one.
func markHealth(ar *admin.RealServer, ix configIndex, st health.ServerStatus) {
	if st.Checked {
		ar.Health, ar.HealthSince, ar.HealthError = ix.healthState(st), st.Since, st.LastError
	}
}
