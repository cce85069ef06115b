// Package daemon runs govsd: it loads the configuration, starts the
// dataplane, serves the admin API and metrics, and applies reloads.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/control/metrics"
	"github.com/govs-project/govs/dataplane"
)

// Daemon is one running govsd.
type Daemon struct {
	path string
	log  *slog.Logger

	mu    sync.Mutex // serialises reloads
	cfg   *config.Config
	dp    *dataplane.Dataplane
	ready atomic.Bool
}

// Run loads configPath, starts everything and serves until ctx is done or a
// SIGTERM/SIGINT arrives. SIGHUP reloads the file. It returns an error that
// names the cause when start-up fails.
func Run(ctx context.Context, configPath string, log *slog.Logger) error {
	cfg, err := config.Load(configPath)
	if err != nil {
		return err
	}
	// Fewer, larger GC cycles: every cycle's stop-the-world phases also
	// stop the worker lcores' goroutines. GOGC in the environment wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	d := &Daemon{path: configPath, log: log, cfg: cfg}
	d.dp, err = dataplane.Start(options(cfg), spec(cfg))
	if err != nil {
		return err
	}
	// Each worker lcore keeps a P busy while it polls: the control plane
	// gets one P per CPU it was left (all CPUs if it was not confined).
	ctl := d.dp.ControlCPUs()
	if ctl == 0 {
		ctl = runtime.NumCPU()
	}
	runtime.GOMAXPROCS(ctl + len(cfg.EAL.Workers()))
	defer func() {
		if err := d.dp.Stop(); err != nil {
			log.Warn("dataplane stop", "err", err)
		}
	}()

	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	if err := metrics.Register(reg, d); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	srv := admin.NewServer(d, reg)
	if err := srv.Serve(cfg.Admin.Socket); err != nil {
		return fmt.Errorf("admin.socket %s: %w", cfg.Admin.Socket, err)
	}
	defer srv.Close()
	if cfg.Metrics.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Metrics.Listen)
		if err != nil {
			return fmt.Errorf("metrics.listen %s: %w", cfg.Metrics.Listen, err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go hs.Serve(ln)
		defer hs.Close()
	}

	d.ready.Store(true)
	log.Info("govsd ready", "config", configPath, "ports", len(cfg.Ports), "services", len(cfg.Services), "workers", cfg.EAL.Workers(), "control_cpus", d.dp.ControlCPUs(), "admin", cfg.Admin.Socket)

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
				log.Info("stopping", "signal", s.String())
				return nil
			}
			if err := d.Reload(); err != nil {
				log.Error("reload refused; still running the previous configuration", "err", err)
			}
		}
	}
}

// Reload re-reads the configuration file and applies it as a new snapshot.
// An invalid file is refused whole and the running configuration stays.
func (d *Daemon) Reload() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	cfg, err := config.Load(d.path)
	if err != nil {
		return err
	}
	if err := startTimeUnchanged(d.cfg, cfg); err != nil {
		return err
	}
	if err := d.dp.Apply(spec(cfg)); err != nil {
		return err
	}
	d.cfg = cfg
	d.log.Info("configuration reloaded", "generation", d.dp.Generation(), "services", len(cfg.Services))
	return nil
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
	return errors.Join(errs...)
}
