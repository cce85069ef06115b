package daemon

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/vrrp"
)

// vrrpHooks take and release an instance's addresses in the dataplane and
// send its gratuitous ARPs. They run on the instance's goroutine.
type vrrpHooks struct {
	r    *vrrpRunner
	ri   *runningInstance
	name string

	master atomic.Bool
	garp   garpTimers
}

func (h *vrrpHooks) BecomeMaster() {
	h.master.Store(true)
	h.apply("taking the addresses")
	h.garp.start(h, h.r.current(h.ri).GARP)
}

func (h *vrrpHooks) Release(vrrp.State) {
	h.master.Store(false)
	h.garp.stop()
	h.apply("releasing the addresses")
}

// apply makes a snapshot of the running configuration as the elections
// leave it (the same path the health checks take).
func (h *vrrpHooks) apply(what string) {
	if err := h.r.d.applyCurrent(); err != nil {
		h.r.log.Error("vrrp: "+what+" refused by the dataplane", "vrrp_instance", h.name, "err", err)
	}
}

// announce sends times gratuitous ARPs for each of the instance's
// addresses, unless it is no longer master.
func (h *vrrpHooks) announce(times int) {
	if !h.master.Load() {
		return
	}
	addrs := h.r.current(h.ri).VirtualAddresses
	h.announceAddrs(addrs, times)
}

func (h *vrrpHooks) announceAddrs(addrs []netip.Addr, times int) {
	var err error
	h.r.d.withDataplane(func() { err = h.r.d.dp.AnnounceTimes(addrs, times) })
	if err != nil {
		h.r.log.Warn("vrrp: gratuitous ARP", "vrrp_instance", h.name, "err", err)
	}
}

// garpTimers is keepalived's gratuitous ARP schedule for a new master: a
// batch at once, another after garp_master_delay, and one every
// garp_master_refresh while still master. Leaving master (or a new start)
// ends it: each schedule has a generation, and a timer of an old one does
// nothing.
type garpTimers struct {
	mu     sync.Mutex
	gen    uint64
	timers []*time.Timer
}

// start sends the first batch and schedules the others.
func (g *garpTimers) start(h *vrrpHooks, s config.GARP) {
	gen := g.restart()
	h.announce(s.Repeat)
	g.later(h, s, gen)
}

// schedule replaces the pending batches with s's (a reload while master).
func (g *garpTimers) schedule(h *vrrpHooks, s config.GARP) {
	g.later(h, s, g.restart())
}

// restart ends the running schedule and opens a new generation.
func (g *garpTimers) restart() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopLocked()
	return g.gen
}

func (g *garpTimers) later(h *vrrpHooks, s config.GARP, gen uint64) {
	if s.Delay > 0 {
		g.after(gen, s.Delay, func() { h.announce(s.Repeat) })
	}
	if s.Refresh > 0 {
		var refresh func()
		refresh = func() {
			h.announce(s.RefreshRepeat)
			g.after(gen, s.Refresh, refresh)
		}
		g.after(gen, s.Refresh, refresh)
	}
}

// after runs f after d unless generation gen has ended by then.
func (g *garpTimers) after(gen uint64, d time.Duration, f func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gen != gen {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		g.mu.Lock()
		live := g.gen == gen
		g.timers = deleteTimer(g.timers, t)
		g.mu.Unlock()
		if live {
			f()
		}
	})
	g.timers = append(g.timers, t)
}

func deleteTimer(ts []*time.Timer, t *time.Timer) []*time.Timer {
	for i, x := range ts {
		if x == t {
			return append(ts[:i], ts[i+1:]...)
		}
	}
	return ts
}

func (g *garpTimers) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopLocked()
}

func (g *garpTimers) stopLocked() {
	g.gen++
	for _, t := range g.timers {
		t.Stop()
	}
	g.timers = nil
}

// pending reports how many timers are armed (tests).
func (g *garpTimers) pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.timers)
}
