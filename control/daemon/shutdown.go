package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/control/metrics"
)

var errStopped = errors.New("govsd is stopping")

// httpServers read the dataplane on behalf of clients.
type httpServers struct {
	admin   *admin.Server
	metrics *http.Server // nil without metrics.listen
}

// startHTTP opens the admin socket and the metrics listener. On error what
// was already started is returned too (nil if nothing), for shutdown.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return reg
}

func (d *Daemon) startHTTP(cfg *config.Config, reg *prometheus.Registry) (*httpServers, error) {
	if err := metrics.Register(reg, d); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s := &httpServers{}
	s.admin = admin.NewServer(d, reg) // shutting down one that never served is a no-op
	if err := s.admin.Serve(cfg.Admin.Socket); err != nil {
		return s, fmt.Errorf("admin.socket %s: %w", cfg.Admin.Socket, err)
	}
	if cfg.Metrics.Listen == "" {
		return s, nil
	}
	ln, err := net.Listen("tcp", cfg.Metrics.Listen)
	if err != nil {
		return s, fmt.Errorf("metrics.listen %s: %w", cfg.Metrics.Listen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go s.metrics.Serve(ln) //nolint:errcheck // returns ErrServerClosed after Shutdown
	return s, nil
}

// shutdown stops in the only safe order: the HTTP servers stop accepting
// and let running handlers finish (they read dataplane memory), and only
// then is the dataplane stopped and EAL's memory freed.
func (d *Daemon) shutdown(s *httpServers) {
	ctx, cancel := context.WithTimeout(context.Background(), d.shutdownTimeout)
	defer cancel()
	if s != nil {
		if err := s.shutdown(ctx); err != nil {
			d.log.Warn("http shutdown", "err", err)
		}
	}
	d.stopHealth()
	d.stopSync() // before VRRP: it follows its events; before the dataplane: it drains its rings
	d.stopVRRP()
	if err := d.stopDataplane(); err != nil {
		d.log.Warn("dataplane stop", "err", err)
	}
}

// shutdown stops both servers at once, so neither accepts while the other
// drains, and returns when both have finished or ctx is done.
func (s *httpServers) shutdown(ctx context.Context) error {
	errs := make(chan error, 2)
	go func() { errs <- shutdownMetrics(ctx, s.metrics) }()
	go func() { errs <- s.admin.Shutdown(ctx) }()
	return errors.Join(<-errs, <-errs)
}

func shutdownMetrics(ctx context.Context, hs *http.Server) error {
	if hs == nil {
		return nil
	}
	if err := hs.Shutdown(ctx); err != nil {
		hs.Close()
		return fmt.Errorf("metrics: handlers still running when shutdown timed out: %w", err)
	}
	return nil
}

// withDataplane runs use unless the dataplane is stopped, and reports
// whether it ran; stopDataplane waits for every use that is running.
func (d *Daemon) withDataplane(use func()) bool {
	d.dpUse.RLock()
	defer d.dpUse.RUnlock()
	if d.dpStopped {
		return false
	}
	use()
	return true
}

// stopDataplane waits for every reader to leave, then stops the dataplane.
func (d *Daemon) stopDataplane() error {
	d.dpUse.Lock()
	defer d.dpUse.Unlock()
	if d.dpStopped {
		return nil
	}
	d.dpStopped = true
	d.ready.Store(false)
	return d.dp.Stop()
}
