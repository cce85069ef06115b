// Package daemon runs govsd: it loads the configuration, starts the
// dataplane, serves the admin API and metrics, and applies reloads.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/dataplane"
)

// shutdownTimeout bounds how long a stop waits for running HTTP handlers.
const shutdownTimeout = 5 * time.Second

// Daemon is one running govsd.
type Daemon struct {
	path string
	log  *slog.Logger
	dp   runningDataplane

	// reloadMu serialises reloads, mu the snapshots (a reload's, the
	// health checks' and the VRRP elections'); a reload takes reloadMu
	// first and holds mu only while it makes its snapshot.
	reloadMu sync.Mutex
	mu       sync.Mutex
	cfg      atomic.Pointer[config.Config] // readers (Status) do not take mu
	ready    atomic.Bool

	// dpUse is held shared by every call into the dataplane
	// (withDataplane) and exclusively by stopDataplane: EAL memory is
	// never freed under a reader, not even a handler that outlived
	// shutdownTimeout.
	dpUse     sync.RWMutex
	dpStopped bool

	shutdownTimeout time.Duration

	health  healthChecker              // set by startHealth (or a test)
	vrrp    atomic.Pointer[vrrpRunner] // set once the dataplane runs (startVRRP)
	syncer  atomic.Pointer[syncRunner] // connection sync, if configured (startSync)
	applier *healthApplier             // turns health changes into snapshots

	overrides *overrideStore // the operator's runtime overrides (override.go)
	listing   listingView    // zeroed counters and rates of the listing (zero.go, rate.go)
}

func newDaemon(path string, cfg *config.Config, dp runningDataplane, log *slog.Logger) *Daemon {
	d := &Daemon{path: path, log: log, dp: dp, shutdownTimeout: shutdownTimeout, overrides: newOverrideStore("")}
	d.cfg.Store(cfg)
	return d
}

// Run loads configPath, starts everything and serves until ctx is done or a
// SIGTERM/SIGINT arrives. SIGHUP reloads the file. It returns an error that
// names the cause when start-up fails.
func Run(ctx context.Context, configPath string, log *slog.Logger) error {
	cfg, err := config.Load(configPath)
	if err != nil {
		return err
	}
	// Before the first check, servers start up, or down with alpha, as
	// the health manager will start them.
	// VRRP addresses start standby: they are held only once elected.
	// Runtime overrides survive restarts: the first snapshot has them.
	overrides := openOverrides(cfg.Admin.StatePath(), log)
	first := effectiveSpec(cfg, healthView{overrides: overrides.snapshot()})
	setVRRP(cfg, first, nil)
	dp, err := dataplane.Start(options(cfg), first)
	if err != nil {
		return err
	}
	// The worker lcores run C and hold no P: Go gets one P per CPU the
	// control plane was left (all CPUs if it was not confined), so its
	// threads never compete for the workers' CPUs.
	if ctl := dp.ControlCPUs(); ctl > 0 {
		runtime.GOMAXPROCS(ctl)
	}
	d := newDaemon(configPath, cfg, dp, log)
	d.overrides = overrides
	d.reportStaleOverrides(cfg)
	return d.serve(ctx)
}

// serve runs the admin API and metrics over the started dataplane until a
// stop, then shuts down (shutdown.go); the dataplane is stopped on every
// path out.
func (d *Daemon) serve(ctx context.Context) error {
	cfg := d.cfg.Load()
	reg := newRegistry()
	stopRates := d.startRates() // reads the dataplane only through withDataplane
	defer stopRates()
	// Checks start once the dataplane runs: they travel over its
	// kernel-side interfaces.
	err := d.startHealth(reg)
	if err == nil {
		err = d.startVRRP(reg)
	}
	if err == nil {
		err = d.startSync() // follows the VRRP instances just started
	}
	var servers *httpServers
	if err == nil {
		servers, err = d.startHTTP(cfg, reg)
	}
	if err == nil {
		d.ready.Store(true)
		d.log.Info("govsd ready", "config", d.path, "ports", len(cfg.Ports), "services", len(cfg.Services), "workers", cfg.EAL.Workers(), "control_cpus", d.dp.ControlCPUs(), "admin", cfg.Admin.Socket)
		err = d.waitForStop(ctx)
	}
	d.shutdown(servers)
	return err
}

// waitForStop applies SIGHUP reloads until ctx is done, SIGTERM/SIGINT
// arrives (nil) or the dataplane fails (its error).
func (d *Daemon) waitForStop(ctx context.Context) error {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-d.dp.Failed():
			return err
		case s := <-sigs:
			if s != syscall.SIGHUP {
				d.log.Info("stopping", "signal", s.String())
				return nil
			}
			if err := d.Reload(); err != nil {
				d.log.Error("reload refused; still running the previous configuration", "err", err)
			}
		}
	}
}

// Reload re-reads the configuration file and applies it as a new snapshot,
// then brings the VRRP instances to it. Whatever refuses it (the file, a
// start-time change, the dataplane) comes back as an
// *admin.ReloadRefusedError, and the running configuration stays.
func (d *Daemon) Reload() error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	cfg, err := d.reloadSnapshot()
	if err != nil {
		return err
	}
	// Outside d.mu: an instance stopping here applies its release itself.
	if r := d.vrrp.Load(); r != nil {
		return r.reload(cfg)
	}
	return nil
}

// reloadSnapshot loads the file and applies it to the dataplane; the VRRP
// state of the instances that carry on is kept in it.
func (d *Daemon) reloadSnapshot() (*config.Config, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	cfg, err := config.Load(d.path)
	if err != nil {
		return nil, &admin.ReloadRefusedError{Err: err}
	}
	if err := startTimeUnchanged(d.cfg.Load(), cfg); err != nil {
		return nil, &admin.ReloadRefusedError{Err: err}
	}
	// The checkers of servers whose check did not change keep their state
	// (no flapping on reload); new servers start as their check says.
	old := d.cfg.Load()
	if d.health != nil {
		d.health.Apply(healthSpec(cfg))
	}
	next := effectiveSpec(cfg, d.view())
	d.setVRRP(cfg, next)
	var applyErr error
	var generation uint64
	if !d.withDataplane(func() { applyErr, generation = d.dp.Apply(next), d.dp.Generation() }) {
		return nil, errStopped
	}
	// Every Apply error is about the configuration (unknown scheduler,
	// unreachable server, a limit): Apply has no other way to fail.
	if applyErr != nil {
		if d.health != nil {
			d.health.Apply(healthSpec(old))
		}
		return nil, &admin.ReloadRefusedError{Err: applyErr}
	}
	d.cfg.Store(cfg)
	d.reportStaleOverrides(cfg)
	d.log.Info("configuration reloaded", "generation", generation, "services", len(cfg.Services), "vrrp_instances", len(cfg.VRRP.Instances))
	return cfg, nil
}

// startTimeUnchanged refuses a reload that changes what only a restart can.
func startTimeUnchanged(old, new *config.Config) error {
	var errs []error
	if fmt.Sprint(old.EAL) != fmt.Sprint(new.EAL) {
		errs = append(errs, errors.New("eal: changed; EAL settings apply only at start, restart govsd"))
	}
	if old.Dataplane != new.Dataplane {
		errs = append(errs, errors.New("dataplane: changed; dataplane sizing applies only at start, restart govsd"))
	}
	if old.Admin != new.Admin {
		errs = append(errs, errors.New("admin: changed; the admin socket is opened only at start, restart govsd"))
	}
	if old.Metrics != new.Metrics {
		errs = append(errs, errors.New("metrics: changed; the metrics listener is opened only at start, restart govsd"))
	}
	errs = append(errs, syncUnchanged(old.Sync, new.Sync))
	return errors.Join(errs...)
}
