package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/internal/netlab"
)

// haPrefix names the HA demo's namespaces (govsdemo-hd1, -hc, -hr1...):
// under demoTag, so a leftover of either demo is cleaned by the next.
const haPrefix = demoTag + "-h"

// haDemo is the VRRP failover demonstration (-ha): two directors in front
// of the same NAT real servers, the first killed and restarted under a
// client loop.
type haDemo struct {
	ctx     context.Context // bounded by haLimit
	parent  context.Context // cancelled on Ctrl-C
	o       options
	lab     *netlab.HALab
	dirs    [2]*haDirector
	servers []string // the real servers' addresses, each director resolves them
	url     string
	loop    *netlab.HTTPLoop
	long    *netlab.LongLived // connection sync's long-lived connections (ha_sync.go)
	t       haTimes
}

// haLimit bounds the whole demo once the lab is built; it takes 10-15 s.
const haLimit = 60 * time.Second

func runHA(parent context.Context, o options) error {
	if why := netlab.MissingRoot(); why != "" {
		return errors.New(why)
	}
	var dirs [2]*haDirector
	memoryMB := 0
	for i, path := range []string{o.config, o.peerConfig} {
		h, err := loadDirector(i, path)
		if err != nil {
			return err
		}
		dirs[i] = h
		memoryMB += max(h.cfg.EAL.MemoryMB, 64)
	}
	if why := netlab.MissingHugepages(memoryMB); why != "" {
		return errors.New(why)
	}
	spec, err := haSpec(dirs)
	if err != nil {
		return err
	}
	release, err := claimDemo()
	if err != nil {
		return err
	}
	defer release()

	ctx, cancel := context.WithTimeoutCause(parent, haLimit, fmt.Errorf("the demo took more than %v", haLimit))
	defer cancel()
	step("building namespaces: client %s, directors %s and %s, real servers %v routed via the floating gateway %s",
		spec.ClientCIDR, haPrefix+"d1", haPrefix+"d2", spec.ServerCIDRs, spec.ServerGW)
	lab, err := netlab.NewHALab(spec)
	if err != nil {
		return err
	}
	defer func() {
		step("removing namespaces")
		lab.Close()
	}()
	for i, h := range dirs {
		h.ns = lab.Directors[i]
		if h.log, err = os.CreateTemp("", fmt.Sprintf("govs-demo-ha-govsd%d-*.log", i+1)); err != nil {
			return err
		}
		defer h.log.Close()
	}
	defer func() {
		dirs[1].stop()
		dirs[0].stop()
	}()
	d := &haDemo{ctx: ctx, parent: parent, o: o, lab: lab, dirs: dirs, url: fmt.Sprintf("http://%s/", dirs[0].topo.httpVIP)}
	for _, s := range lab.Servers {
		d.servers = append(d.servers, s.IP.String())
	}
	defer func() {
		if d.loop != nil {
			d.loop.Stop()
		}
		if d.long != nil {
			d.long.Stop()
		}
	}()
	if err := d.run(); err != nil {
		return d.failed(err)
	}
	return nil
}

// loadDirector reads director i's configuration: a NAT lab's ports and
// services, and VRRP instances.
func loadDirector(i int, path string) (*haDirector, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	topo, err := topology(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(cfg.VRRP.Instances) == 0 {
		return nil, fmt.Errorf("%s: no vrrp instances: nothing would fail over", path)
	}
	return &haDirector{
		name: fmt.Sprintf("director %d", i+1), index: i, config: path,
		cfg: cfg, topo: topo, cl: admin.Dial(topo.socket),
	}, nil
}

// haSpec is the lab both configurations describe: the same VIP and real
// servers, the VIP on an instance of the wan port and the servers' gateway
// the virtual address of one on the lan port.
func haSpec(dirs [2]*haDirector) (netlab.HASpec, error) {
	a, b := dirs[0].topo, dirs[1].topo
	if a.httpVIP != b.httpVIP || a.spec.HTTPPort != b.spec.HTTPPort || !slices.Equal(a.spec.ServerCIDRs, b.spec.ServerCIDRs) {
		return netlab.HASpec{}, fmt.Errorf("%s and %s must serve the same VIP from the same real servers (%v to %v, %v to %v)",
			dirs[0].config, dirs[1].config, a.httpVIP, a.spec.ServerCIDRs, b.httpVIP, b.spec.ServerCIDRs)
	}
	for _, h := range dirs {
		if _, ok := virtualAddressOn(h.cfg, "wan", h.topo.httpVIP.Addr()); !ok {
			return netlab.HASpec{}, fmt.Errorf("%s: the VIP %v is no virtual address of a vrrp instance on the wan port", h.config, h.topo.httpVIP.Addr())
		}
	}
	gw, ok := virtualAddressOn(dirs[0].cfg, "lan", netip.Addr{})
	if !ok {
		return netlab.HASpec{}, fmt.Errorf("%s: no vrrp instance on the lan port: the servers' gateway would not move with the VIP", dirs[0].config)
	}
	if _, ok := virtualAddressOn(dirs[1].cfg, "lan", gw); !ok {
		return netlab.HASpec{}, fmt.Errorf("%s: the servers' gateway %v is no virtual address of a vrrp instance on the lan port", dirs[1].config, gw)
	}
	return netlab.HASpec{
		Prefix:      haPrefix,
		NAT:         true,
		ClientCIDR:  a.spec.ClientCIDR,
		ServerCIDRs: a.spec.ServerCIDRs,
		ServerGW:    gw.String(),
		Services:    netlab.Services{HTTPPort: a.spec.HTTPPort, EchoPort: haEchoPort},
	}, nil
}

// virtualAddressOn finds want (or, if want is invalid, the first address)
// among the virtual addresses of cfg's instances on port.
func virtualAddressOn(cfg *config.Config, port string, want netip.Addr) (netip.Addr, bool) {
	for _, in := range cfg.VRRP.Instances {
		if in.Port != port {
			continue
		}
		for _, va := range in.VirtualAddresses {
			if !want.IsValid() || va == want {
				return va, true
			}
		}
	}
	return netip.Addr{}, false
}

// run is the demo's steps, in order; the first that fails is named.
func (d *haDemo) run() error {
	for _, s := range []struct {
		name string
		do   func() error
	}{
		{"starting both directors", d.startBoth},
		{"serving through director 1", d.serve},
		{"long-lived connections synced to director 2", d.openLongLived},
		{"killing director 1", d.killMaster},
		{"long-lived connections after the kill", func() error { return d.checkLongLived("director 1's death") }},
		{"restarting director 1", d.preempt},
		{"long-lived connections after the preemption", func() error { return d.checkLongLived("director 1's return") }},
		{"the client loop's requests", d.reportClients},
		{"the directors' VRRP view", d.showVRRP},
		{"the directors' connection sync", d.showSync},
	} {
		if err := s.do(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// failed adds the end of both directors' output to err (unless the demo
// was interrupted).
func (d *haDemo) failed(err error) error {
	if d.parent.Err() != nil {
		return d.parent.Err()
	}
	if cause := context.Cause(d.ctx); cause != nil {
		err = fmt.Errorf("%w (%v)", err, cause)
	}
	for _, h := range d.dirs {
		if tail := h.outputTail(30); tail != "" {
			err = fmt.Errorf("%w\n--- %s's govsd output, last lines (all in %s):\n%s", err, h.name, h.log.Name(), tail)
		}
	}
	return err
}

// startBoth starts director 1, waits for it to be MASTER of every
// instance, then director 2 and waits for it to be BACKUP.
func (d *haDemo) startBoth() error {
	for i, state := range []string{"MASTER", "BACKUP"} {
		h := d.dirs[i]
		if err := h.start(d.ctx, d.lab, d.o.govsd, d.servers); err != nil {
			return err
		}
		ins, err := h.awaitAll(d.ctx, state, 10*time.Second)
		if err != nil {
			return err
		}
		step("%s: %s", h.name, statesText(ins))
	}
	return d.govsctlVRRP()
}

// govsctlVRRP prints govsctl vrrp of each running director.
func (d *haDemo) govsctlVRRP() error {
	for _, h := range d.dirs {
		if h.proc == nil {
			continue
		}
		if err := govsctl(d.ctx, d.o.govsctl, h.topo.socket, "vrrp"); err != nil {
			return fmt.Errorf("%s: %w", h.name, err)
		}
	}
	return nil
}

// serve starts the client loop and waits until every real server has
// answered it through director 1, with no failure.
func (d *haDemo) serve() error {
	loop, err := netlab.StartHTTPLoop(d.lab.Client, netlab.HTTPLoopSpec{URL: d.url, For: 50 * time.Second})
	if err != nil {
		return err
	}
	d.loop = loop
	step("a client loop: GET %s every 20 ms, each on a new connection (at most 50 s)", d.url)
	if err := pollFor(d.ctx, d.dirs[0].proc, 20*time.Millisecond, 5*time.Second, func() (bool, error) {
		as := loop.Attempts()
		if n := len(as.Failed()); n > 0 {
			return false, fmt.Errorf("%d requests failed: %v", n, as)
		}
		return len(as) >= 3*haSettle && len(as.ByServer()) == len(d.servers), nil
	}); err != nil {
		return fmt.Errorf("waiting for every real server to answer: %w", err)
	}
	as := loop.Attempts()
	step("%d requests through director 1, answered by %s", len(as), countsText(as.ByServer()))
	return nil
}

// killMaster SIGKILLs director 1 and waits for director 2 to be MASTER of
// every instance within the master-down interval (plus slack) and for the
// loop to be served again.
func (d *haDemo) killMaster() error {
	var err error
	if d.t.kill, err = d.dirs[0].kill(); err != nil {
		return err
	}
	step("SIGKILLed director 1 (a crash: no priority-0 advert, its taps gone with it)")
	bound := masterDown(d.dirs[1].cfg)
	ins, err := d.dirs[1].awaitAll(d.ctx, "MASTER", bound+5*time.Second)
	if err != nil {
		return err
	}
	took := transitionAfter(ins, d.t.kill)
	d.t.takeover = d.t.kill.Add(took)
	step("director 2 MASTER of every instance %v after the kill (master-down interval: 3 x advert + skew = %v)",
		took.Round(time.Millisecond), bound)
	if slack := 300 * time.Millisecond; took > bound+slack {
		return fmt.Errorf("takeover took %v, more than %v + %v of slack", took, bound, slack)
	}
	if d.t.served, err = d.awaitServed(d.t.takeover, d.dirs[1]); err != nil {
		return err
	}
	return d.govsctlVRRP()
}

// preempt restarts director 1 and waits for it to take every instance
// back (preempt), director 2 to be BACKUP and the loop served again.
func (d *haDemo) preempt() error {
	h := d.dirs[0]
	d.t.restart = time.Now()
	if err := h.start(d.ctx, d.lab, d.o.govsd, d.servers); err != nil {
		return err
	}
	ins, err := h.awaitAll(d.ctx, "MASTER", 10*time.Second)
	if err != nil {
		return err
	}
	// it may be MASTER before it is ready: it resolves the servers last
	took := transitionAfter(ins, h.started)
	d.t.preempt = h.started.Add(took)
	step("director 1 MASTER of every instance again %v after its start (EAL and ports included)", took.Round(time.Millisecond))
	if !h.vrrpStart.IsZero() {
		wait := d.t.preempt.Sub(h.vrrpStart)
		delay, down := preemptDelay(h.cfg), masterDown(h.cfg)
		bound := delay + down
		step("    its VRRP started as BACKUP and preempted director 2 (lower priority) %v later (bound: preempt_delay %v + master-down interval %v)",
			wait.Round(time.Millisecond), delay, down)
		if slack := 300 * time.Millisecond; wait > bound+slack {
			return fmt.Errorf("preempting took %v, more than %v + %v of slack", wait, bound, slack)
		}
	}
	if _, err := d.dirs[1].awaitAll(d.ctx, "BACKUP", time.Second); err != nil {
		return err
	}
	step("director 2 BACKUP of every instance again")
	d.t.back, err = d.awaitServed(d.t.preempt, h)
	return err
}

// haServedWithin bounds how long the clients may go unserved after a
// director has become MASTER.
const haServedWithin = 3 * time.Second

// awaitServed waits until the loop is served haSettle times in a row by
// requests started since the new master's transition and returns when
// the first of them started.
func (d *haDemo) awaitServed(since time.Time, master *haDirector) (time.Time, error) {
	var at time.Time
	err := pollFor(d.ctx, master.proc, 20*time.Millisecond, haServedWithin, func() (bool, error) {
		var ok bool
		at, ok = servedAgain(d.loop.Attempts(), since, haSettle)
		return ok, nil
	})
	if err != nil {
		return at, fmt.Errorf("the client loop not served %d times in a row within %v of %s's takeover: %w\n%v",
			haSettle, haServedWithin, master.name, err, d.loop.Attempts().Since(since.Add(-time.Second)))
	}
	step("the client loop served again by requests started %v after %s's takeover", at.Sub(since).Round(time.Millisecond), master.name)
	return at, nil
}

// reportClients stops the loop, prints what it saw in each phase with the
// outage of each failover, and checks that nothing failed while one
// director served steadily.
func (d *haDemo) reportClients() error {
	// a little more of director 1 serving again
	if err := sleep(d.ctx, 500*time.Millisecond); err != nil {
		return err
	}
	as := d.loop.Stop()
	w := splitHA(as, d.t)
	step("%d requests of the client loop, by phase", len(as))
	for _, p := range w {
		name := p.name
		if p.span > 0 {
			name += fmt.Sprintf(" (%v)", p.span.Round(time.Millisecond))
		}
		fmt.Printf("    %-42s %4d requests, %3d failed   %s\n", name, len(p.attempts), len(p.attempts.Failed()), phaseDetail(p.attempts))
	}
	step("outage seen by the client: %v at the kill (%d requests failed), %v at the preemption (%d failed)",
		outage(w[haFailover], d.t.served).Round(time.Millisecond), len(w[haFailover].attempts.Failed()),
		outage(w[haPreemption], d.t.back).Round(time.Millisecond), len(w[haPreemption].attempts.Failed()))
	return checkHAWindows(w)
}
