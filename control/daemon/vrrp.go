package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/internal/command"
	"github.com/govs-project/govs/internal/fanout"
	"github.com/govs-project/govs/vrrp"
)

// notifyQueue bounds the VRRP notify commands waiting to run; one worker
// runs them in order, as keepalived does.
const notifyQueue = 64

// vrrpRunner runs the configured VRRP instances and sync groups on the
// ports' kernel interfaces, follows their state in the dataplane (the
// addresses of an instance not MASTER are standby), tracks what they
// track and applies reloads. It exists from start, even without
// instances, so that a reload can add some.
type vrrpRunner struct {
	d   *Daemon
	log *slog.Logger
	// open makes an instance's transport (vrrp.Open; an in-memory one in
	// tests).
	open func(ifname string, primary netip.Addr) (vrrp.Conn, error)

	notifier *command.Notifier // a reload may change its timeout
	events   fanout.Broker[admin.Event]
	track    *tracker

	ctx      context.Context // parent of every instance's
	cancel   context.CancelFunc
	stopOnce sync.Once

	mu        sync.Mutex // guards instances and groups
	instances map[string]*runningInstance
	groups    map[string]*runningGroup
}

// runningInstance is one started instance. cfg is what it runs now: the
// configuration it started with or was last reconfigured to.
type runningInstance struct {
	cfg   config.VRRPInstance
	inst  *vrrp.Instance
	hooks *vrrpHooks
	stop  context.CancelFunc
	done  chan struct{}
}

type runningGroup struct {
	cfg config.VRRPSyncGroup
	g   *vrrp.SyncGroup // nil for a group of one instance
}

func newVRRPRunner(d *Daemon, reg prometheus.Registerer, timeout time.Duration) (*vrrpRunner, error) {
	notified := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "govs_vrrp_notify_total",
		Help: "VRRP notify commands (instances' and sync groups') by result: ok, failed, timeout, dropped."}, []string{"result"})
	if reg != nil {
		if err := reg.Register(notified); err != nil {
			return nil, fmt.Errorf("vrrp metrics: %w", err)
		}
	}
	for _, r := range []string{command.ResultOK, command.ResultFailed, command.ResultTimeout, command.ResultDropped} {
		notified.WithLabelValues(r)
	}
	r := &vrrpRunner{d: d, log: d.log.With("component", "vrrp"), open: openTransport,
		instances: map[string]*runningInstance{}, groups: map[string]*runningGroup{}}
	r.notifier = command.NewNotifier(r.log, command.RunShell, timeout, notifyQueue, 1, func(res string) { notified.WithLabelValues(res).Inc() })
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.track = newTracker(r)
	return r, nil
}

func openTransport(ifname string, primary netip.Addr) (vrrp.Conn, error) {
	return vrrp.Open(ifname, primary)
}

// startVRRP starts the runner, its tracker and the configured instances
// once the dataplane runs (their adverts travel over its kernel-side
// interfaces, which govsd's own namespace holds).
func (d *Daemon) startVRRP(reg prometheus.Registerer) error {
	r, err := newVRRPRunner(d, reg, d.cfg.Load().VRRP.NotifyTimeout)
	if err != nil {
		return err
	}
	return d.runVRRP(r)
}

// runVRRP starts r (tests make their own, with fake transports).
func (d *Daemon) runVRRP(r *vrrpRunner) error {
	cfg := d.cfg.Load()
	// Set before any instance runs: their hooks read it (setVRRP).
	d.vrrp.Store(r)
	r.track.start(cfg)
	if err := r.start(cfg, cfg.VRRP.Instances); err != nil {
		d.stopVRRP()
		return err
	}
	return nil
}

// start builds ins (all of cfg's at start, the added ones on reload) and
// the sync groups they are members of, then runs them: a group's members
// must all exist before any of them runs.
func (r *vrrpRunner) start(cfg *config.Config, ins []config.VRRPInstance) error {
	built := map[string]*runningInstance{}
	var errs []error
	for _, in := range ins {
		ri, err := r.build(cfg, in)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		built[in.Name] = ri
	}
	r.mu.Lock()
	for _, g := range cfg.VRRP.SyncGroups {
		var members []*vrrp.Instance
		for _, name := range g.Instances {
			if ri := built[name]; ri != nil {
				members = append(members, ri.inst)
			}
		}
		if len(members) == 0 {
			continue
		}
		rg := &runningGroup{cfg: g}
		if len(members) == 1 {
			// keepalived warns and runs it; the group has nothing to move.
			r.log.Warn("vrrp: sync group has a single instance: it moves nothing", "vrrp_group", g.Name)
		} else {
			sg, err := vrrp.NewSyncGroup(g.Name, members, vrrpNotify(g.Notify), r.notifier, r.onTransition)
			if err != nil {
				errs = append(errs, err)
			}
			rg.g = sg
		}
		r.groups[g.Name] = rg
	}
	for _, in := range ins {
		if ri := built[in.Name]; ri != nil {
			r.instances[in.Name] = ri
			r.run(ri)
		}
	}
	r.mu.Unlock()
	return errors.Join(errs...)
}

// build opens an instance's transport and makes the instance; it does not
// run it.
func (r *vrrpRunner) build(cfg *config.Config, in config.VRRPInstance) (*runningInstance, error) {
	hooks := &vrrpHooks{r: r, name: in.Name}
	ic, ifname, err := r.instanceConfig(cfg, in)
	if err != nil {
		return nil, err
	}
	tr, err := r.open(ifname, ic.Machine.PrimaryAddr)
	if err != nil {
		return nil, fmt.Errorf("vrrp instance %s: %w", in.Name, err)
	}
	inst, err := vrrp.NewInstance(ic, tr, hooks, r.log)
	if err != nil {
		tr.Close()
		return nil, fmt.Errorf("vrrp instance %s: %w", in.Name, err)
	}
	ri := &runningInstance{cfg: in, inst: inst, hooks: hooks, done: make(chan struct{})}
	hooks.ri = ri
	// Tracking known before Run: an instance whose port is already down
	// starts in FAULT instead of electing first.
	r.track.prime(ri)
	go func() { <-ri.done; tr.Close() }()
	return ri, nil
}

// run starts ri's goroutine (r.mu held).
func (r *vrrpRunner) run(ri *runningInstance) {
	ctx, cancel := context.WithCancel(r.ctx)
	ri.stop = cancel
	go func() {
		defer close(ri.done)
		if err := ri.inst.Run(ctx); err != nil {
			r.log.Error("vrrp instance stopped", "vrrp_instance", ri.cfg.Name, "err", err)
		}
	}()
}

// instanceConfig maps one configured instance to the vrrp package's, and
// names the kernel interface its adverts use.
func (r *vrrpRunner) instanceConfig(c *config.Config, in config.VRRPInstance) (vrrp.InstanceConfig, string, error) {
	ic, ifname, err := instanceConfig(c, in)
	ic.Notifier, ic.OnTransition = r.notifier, r.onTransition
	// Its events name its sync group too.
	for _, g := range c.VRRP.SyncGroups {
		if slices.Contains(g.Instances, in.Name) {
			group := g.Name
			ic.OnTransition = func(t vrrp.Transition) {
				if t.Group == "" {
					t.Group = group
				}
				r.onTransition(t)
			}
		}
	}
	return ic, ifname, err
}

// instanceConfig maps one configured instance to the vrrp package's.
func instanceConfig(c *config.Config, in config.VRRPInstance) (vrrp.InstanceConfig, string, error) {
	i := slices.IndexFunc(c.Ports, func(p config.Port) bool { return p.Name == in.Port })
	if i < 0 {
		return vrrp.InstanceConfig{}, "", fmt.Errorf("vrrp instance %s: no port %q", in.Name, in.Port)
	}
	port := c.Ports[i]
	state := vrrp.StateBackup
	if strings.EqualFold(in.State, "MASTER") {
		state = vrrp.StateMaster
	}
	ic := vrrp.InstanceConfig{
		Name: in.Name, VRID: uint8(in.VRID), Addrs: in.VirtualAddresses, Peers: in.UnicastPeers,
		Machine: vrrp.Config{Version: uint8(in.Version), Priority: uint8(in.Priority), AdvertInterval: in.AdvertInterval,
			Nopreempt: in.Nopreempt, PreemptDelay: in.PreemptDelay, PrimaryAddr: port.Address.Addr(), InitialState: state},
		Notify: vrrpNotify(in.Notify),
	}
	if in.AuthPass != "" {
		ic.AuthType, ic.AuthData = vrrp.AuthPass, vrrp.PasswordData(in.AuthPass)
	}
	return ic, port.Kernel.Name, nil
}

func vrrpNotify(n config.VRRPNotify) vrrp.Notify {
	return vrrp.Notify{Master: n.Master, Backup: n.Backup, Fault: n.Fault, Stop: n.Stop, Generic: n.Generic}
}

// stopVRRP stops every instance gracefully (a master sends priority 0, so
// its backup takes over after only the skew time), then the tracker, and
// waits for the notify commands of the stop (notify_stop).
func (d *Daemon) stopVRRP() {
	if r := d.vrrp.Load(); r != nil {
		r.stopOnce.Do(r.stopAll)
	}
}

func (r *vrrpRunner) stopAll() {
	r.mu.Lock()
	all := make([]*runningInstance, 0, len(r.instances))
	for _, ri := range r.instances {
		all = append(all, ri)
	}
	r.mu.Unlock()
	r.stopInstances(all)
	r.cancel()
	r.track.stop()
	r.notifier.Close()
	r.events.Close()
}

// stopInstances stops them all at once and waits for them; each releases
// its addresses (Release(INIT)) on the way out.
func (r *vrrpRunner) stopInstances(ris []*runningInstance) {
	for _, ri := range ris {
		ri.stop()
	}
	for _, ri := range ris {
		<-ri.done
		ri.hooks.garp.stop()
	}
}

// running returns the started instance that runs in now (same name, VRID
// and port), or nil: an instance being replaced is not in's.
func (r *vrrpRunner) running(in config.VRRPInstance) *runningInstance {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ri := r.instances[in.Name]
	if ri == nil || ri.cfg.VRID != in.VRID || ri.cfg.Port != in.Port {
		return nil
	}
	return ri
}

// current is the configuration ri runs now.
func (r *vrrpRunner) current(ri *runningInstance) config.VRRPInstance {
	r.mu.Lock()
	defer r.mu.Unlock()
	return ri.cfg
}
