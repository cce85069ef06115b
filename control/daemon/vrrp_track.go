package daemon

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/dataplane"
	"github.com/govs-project/govs/internal/command"
	"github.com/govs-project/govs/vrrp"
)

const (
	// trackPoll is how often port links and worker lcores are read: two
	// reads of counters in shared memory, cheap against the failover it
	// speeds up.
	trackPoll = 100 * time.Millisecond
	// minStall bounds the stall threshold below (3 advert intervals of the
	// fastest instance). An idle worker sleeps at most 10ms per turn, but
	// on a loaded host the kernel may not run a worker thread for a few
	// hundred ms (seen: 400-500 ms on 2 shared cores, which put a healthy
	// master in FAULT at 300 ms): a false FAULT moves the VIPs, so the
	// floor is set well above that.
	minStall = time.Second
)

// Tracked object names, as govsctl vrrp and govs_vrrp_tracked_up show them.
const (
	objDataplane    = "dataplane"
	objPortPrefix   = "port:"
	objScriptPrefix = "script:"
)

// tracker follows what the instances track: port links (track_port), vrrp
// scripts (track_script, one runner per script shared by the instances
// tracking it) and the dataplane (track_dataplane), and gives each
// instance its level (vrrp.Effective) when it changes.
//
// track_dataplane is down while a worker lcore's poll loop has not turned
// (its Iterations counter has not moved) for 3 advert intervals of the
// fastest instance tracking the dataplane, at least minStall, or while a
// physical (PCI) port's link is down. A vdev's link (net_tap, af_packet)
// describes a kernel interface that may live in another namespace, not a
// wire, so it is left to track_port.
type tracker struct {
	r         *vrrpRunner
	poll      time.Duration
	runScript command.Runner

	kick chan struct{}
	quit chan struct{}
	done chan struct{}

	mu        sync.Mutex
	cfg       *config.Config
	links     map[string]bool // port name -> link up
	iters     map[uint]uint64 // lcore -> Iterations last read
	moved     map[uint]time.Time
	dpDown    string // why the dataplane is down; "" while up
	scripts   map[string]*trackedScript
	sent      map[*runningInstance]trackLevel
	startOnce sync.Once
}

type trackedScript struct {
	s      config.VRRPScript
	up     bool
	cancel context.CancelFunc
	done   chan struct{}
}

type trackLevel struct {
	fault bool
	prio  int
}

func newTracker(r *vrrpRunner) *tracker {
	return &tracker{r: r, poll: trackPoll, runScript: command.RunShell,
		kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
		links: map[string]bool{}, iters: map[uint]uint64{}, moved: map[uint]time.Time{},
		scripts: map[string]*trackedScript{}, sent: map[*runningInstance]trackLevel{}}
}

// start reads the dataplane once and starts the scripts, so that the
// instances built next start with their tracking known, then polls.
func (t *tracker) start(cfg *config.Config) {
	t.setConfig(cfg)
	t.sample(time.Now())
	t.startOnce.Do(func() { go t.loop() })
}

func (t *tracker) stop() {
	t.startOnce.Do(func() { close(t.done) }) // never started
	select {
	case <-t.quit:
	default:
		close(t.quit)
	}
	<-t.done
	t.mu.Lock()
	scripts := t.scripts
	t.scripts = map[string]*trackedScript{}
	t.mu.Unlock()
	for _, s := range scripts {
		s.cancel()
		<-s.done
	}
}

func (t *tracker) loop() {
	defer close(t.done)
	tick := time.NewTicker(t.poll)
	defer tick.Stop()
	for {
		select {
		case <-t.quit:
			return
		case now := <-tick.C:
			t.sample(now)
		case <-t.kick:
		}
		t.update()
	}
}

// wake makes the loop update the instances now (a script changed).
func (t *tracker) wake() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// setConfig starts the scripts cfg's instances track (a changed one is
// restarted, an unchanged one keeps its state) and stops the others.
func (t *tracker) setConfig(cfg *config.Config) {
	want := map[string]config.VRRPScript{}
	for _, in := range cfg.VRRP.Instances {
		for _, ts := range in.TrackScripts {
			if i := slices.IndexFunc(cfg.VRRP.Scripts, func(s config.VRRPScript) bool { return s.Name == ts.Name }); i >= 0 {
				want[ts.Name] = cfg.VRRP.Scripts[i]
			}
		}
	}
	t.mu.Lock()
	t.cfg = cfg
	var stale []*trackedScript
	for name, ts := range t.scripts {
		if s, ok := want[name]; !ok || !reflect.DeepEqual(s, ts.s) {
			stale = append(stale, ts)
			delete(t.scripts, name)
		}
	}
	for name, s := range want {
		if t.scripts[name] == nil {
			t.scripts[name] = t.startScript(s)
		}
	}
	t.mu.Unlock()
	for _, ts := range stale {
		ts.cancel()
		<-ts.done
	}
}

// startScript runs s until cancelled (t.mu held); it starts up unless
// init_fail, as vrrp.RunScript does.
func (t *tracker) startScript(s config.VRRPScript) *trackedScript {
	ctx, cancel := context.WithCancel(t.r.ctx)
	ts := &trackedScript{s: s, up: !s.InitFail, cancel: cancel, done: make(chan struct{})}
	vs := vrrp.Script{Name: s.Name, Command: s.Command, Interval: s.Interval, Timeout: s.Timeout, Rise: s.Rise, Fall: s.Fall, InitFail: s.InitFail}
	go func() {
		defer close(ts.done)
		vrrp.RunScript(ctx, vs, t.runScript, func(up bool) {
			t.mu.Lock()
			changed := ts.up != up
			ts.up = up
			t.mu.Unlock()
			if changed {
				t.r.log.Info("vrrp: track script changed", "script", s.Name, "up", up)
				t.wake()
			}
		})
	}()
	return ts
}

// needsDataplane reports whether any instance tracks a port or the
// dataplane (t.mu held): without one, nothing is read.
func (t *tracker) needsDataplane() bool {
	if t.cfg == nil {
		return false
	}
	return slices.ContainsFunc(t.cfg.VRRP.Instances, func(in config.VRRPInstance) bool {
		return in.TrackDataplane || len(in.TrackPorts) > 0
	})
}

// sample reads the port links and the lcores' loop counters.
func (t *tracker) sample(now time.Time) {
	t.mu.Lock()
	need := t.needsDataplane()
	t.mu.Unlock()
	if !need {
		return
	}
	var ports []dataplane.PortStatus
	var lcores []dataplane.LcoreStatus
	d := t.r.d
	if !d.withDataplane(func() { ports, lcores = d.dp.Ports(), d.dp.Lcores() }) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range ports {
		t.links[p.Name] = p.LinkUp
	}
	for _, l := range lcores {
		if last, seen := t.iters[l.Lcore]; !seen || last != l.Iterations {
			t.iters[l.Lcore], t.moved[l.Lcore] = l.Iterations, now
		}
	}
	why := t.dataplaneDown(now)
	if why != t.dpDown {
		if why != "" {
			t.r.log.Warn("vrrp: dataplane down: instances tracking it go to FAULT", "reason", why)
		} else {
			t.r.log.Info("vrrp: dataplane forwarding again", "was", t.dpDown)
		}
		t.dpDown = why
	}
}

// dataplaneDown says why the dataplane cannot forward, or "" (t.mu held).
func (t *tracker) dataplaneDown(now time.Time) string {
	limit := t.stallLimit()
	lcores := make([]uint, 0, len(t.moved))
	for l := range t.moved {
		lcores = append(lcores, l)
	}
	slices.Sort(lcores)
	for _, l := range lcores {
		if idle := now.Sub(t.moved[l]); idle > limit {
			return fmt.Sprintf("worker lcore %d has not polled for %v (limit %v)", l, idle.Round(time.Millisecond), limit)
		}
	}
	for _, p := range t.cfg.Ports {
		if up, known := t.links[p.Name]; known && !up && p.IsPCI() {
			return fmt.Sprintf("port %s: link down", p.Name)
		}
	}
	return ""
}

// stallLimit is 3 advert intervals of the fastest instance tracking the
// dataplane, at least minStall (t.mu held).
func (t *tracker) stallLimit() time.Duration {
	var fastest time.Duration
	for _, in := range t.cfg.VRRP.Instances {
		if in.TrackDataplane && (fastest == 0 || in.AdvertInterval < fastest) {
			fastest = in.AdvertInterval
		}
	}
	return max(3*fastest, minStall)
}

// objects are what in tracks with their state now (t.mu held).
func (t *tracker) objects(in config.VRRPInstance) []vrrp.Tracked {
	var objs []vrrp.Tracked
	for _, tp := range in.TrackPorts {
		up, known := t.links[tp.Port]
		objs = append(objs, vrrp.Tracked{Name: objPortPrefix + tp.Port, Weight: tp.Weight, Up: up || !known})
	}
	for _, ts := range in.TrackScripts {
		up := true
		if s := t.scripts[ts.Name]; s != nil {
			up = s.up
		}
		objs = append(objs, vrrp.Tracked{Name: objScriptPrefix + ts.Name, Weight: ts.Weight, Up: up})
	}
	if in.TrackDataplane {
		objs = append(objs, vrrp.Tracked{Name: objDataplane, Up: t.dpDown == ""})
	}
	return objs
}

// level is ri's tracking level now (t.mu held).
func (t *tracker) level(in config.VRRPInstance) trackLevel {
	fault, prio := vrrp.Effective(uint8(in.Priority), t.objects(in))
	return trackLevel{fault, prio}
}

// prime gives a new instance its tracking before it runs; an untracked
// one (no fault, the configured priority) is left alone.
func (t *tracker) prime(ri *runningInstance) {
	t.mu.Lock()
	lv := t.level(ri.cfg)
	t.sent[ri] = lv
	t.mu.Unlock()
	if lv != (trackLevel{false, ri.cfg.Priority}) {
		ri.inst.SetTracking(lv.fault, lv.prio)
	}
}

// resend makes the next update give ri its level even if unchanged (after
// a reload changed its base priority).
func (t *tracker) resend(ri *runningInstance) {
	t.mu.Lock()
	delete(t.sent, ri)
	t.mu.Unlock()
	t.wake()
}

func (t *tracker) forget(ri *runningInstance) {
	t.mu.Lock()
	delete(t.sent, ri)
	t.mu.Unlock()
}

// update gives every running instance whose level changed its new one.
func (t *tracker) update() {
	r := t.r
	r.mu.Lock()
	ris := make([]*runningInstance, 0, len(r.instances))
	cfgs := make([]config.VRRPInstance, 0, len(r.instances))
	for _, ri := range r.instances {
		ris, cfgs = append(ris, ri), append(cfgs, ri.cfg)
	}
	r.mu.Unlock()
	for i, ri := range ris {
		t.mu.Lock()
		lv := t.level(cfgs[i])
		last, sent := t.sent[ri]
		t.sent[ri] = lv
		t.mu.Unlock()
		if !sent || last != lv {
			ri.inst.SetTracking(lv.fault, lv.prio)
		}
	}
}

// tracked is in's tracked objects for the operator.
func (t *tracker) tracked(in config.VRRPInstance) []admin.VRRPTracked {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []admin.VRRPTracked
	for _, o := range t.objects(in) {
		out = append(out, admin.VRRPTracked{Object: o.Name, Weight: o.Weight, Up: o.Up})
	}
	return out
}
