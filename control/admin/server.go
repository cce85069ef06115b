package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server serves the admin API on a unix socket.
type Server struct {
	src    Source
	routes map[string]route

	mu   sync.Mutex
	http *http.Server
	path string

	// streams is closed when the server stops, so event streams end
	// instead of holding Shutdown for its whole timeout.
	streams     chan struct{}
	streamsOnce sync.Once
}

type route struct {
	method  string // "": the handler serves several (byMethod)
	handler http.HandlerFunc
}

// NewServer builds the API over src. /metrics is served only when gatherer
// is non-nil.
func NewServer(src Source, gatherer prometheus.Gatherer) *Server {
	s := &Server{src: src, streams: make(chan struct{})}
	s.routes = map[string]route{
		"/v1/health":   {http.MethodGet, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, src.Health()) }},
		"/v1/events":   {http.MethodGet, s.events},
		"/v1/vrrp":     {http.MethodGet, s.vrrp},
		"/v1/sync":     {http.MethodGet, s.sync},
		"/v1/status":   {http.MethodGet, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, src.Status()) }},
		"/v1/services": {http.MethodGet, s.services},
		"/v1/stats":    {http.MethodGet, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, src.Stats()) }},
		"/v1/reload":   {http.MethodPost, s.reload},
		"/v1/conns":    {http.MethodGet, s.conns},
		// Runtime overrides: the handlers dispatch on the method.
		"/v1/servers/override": {"", s.serverOverride()},
		"/v1/overrides":        {"", s.allOverrides()},
		"/v1/zero":             {http.MethodPost, s.zero},
	}
	if gatherer != nil {
		h := promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
		s.routes["/metrics"] = route{http.MethodGet, h.ServeHTTP}
	}
	// Go's profiler, only on the (root-only) socket: the worker lcores run
	// Go, so a CPU profile shows where the packet path spends its time
	// (`curl --unix-socket SOCK http://x/debug/pprof/profile?seconds=10`).
	s.routes["/debug/pprof/"] = route{http.MethodGet, pprof.Index}
	s.routes["/debug/pprof/profile"] = route{http.MethodGet, pprof.Profile}
	s.routes["/debug/pprof/trace"] = route{http.MethodGet, pprof.Trace}
	for _, name := range []string{"heap", "goroutine", "allocs", "block", "mutex", "threadcreate"} {
		s.routes["/debug/pprof/"+name] = route{http.MethodGet, pprof.Handler(name).ServeHTTP}
	}
	return s
}

// ServeHTTP routes by exact path; unlike http.ServeMux it answers 404 and
// 405 in JSON so the client can always decode an error body.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.routes[r.URL.Path]
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint %s", r.URL.Path))
	case rt.method != "" && r.Method != rt.method: // "": the handler checks
		w.Header().Set("Allow", rt.method)
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s not allowed, use %s", r.Method, r.URL.Path, rt.method))
	default:
		rt.handler(w, r)
	}
}

func (s *Server) services(w http.ResponseWriter, _ *http.Request) {
	svcs := listing(s.src) // counters since govsctl zero, with rates
	if svcs == nil {
		svcs = []Service{} // [] rather than null for clients
	}
	writeJSON(w, http.StatusOK, svcs)
}

func (s *Server) reload(w http.ResponseWriter, _ *http.Request) {
	err := s.src.Reload()
	var refused *ReloadRefusedError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case errors.As(err, &refused):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing useful to do
}

// Serve listens on socketPath and serves in the background. It creates the
// parent directory, replaces a stale socket (but not a live one) and makes
// the socket 0600: the API can reload the configuration.
func (s *Server) Serve(socketPath string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http != nil {
		return fmt.Errorf("admin: already serving on %s", s.path)
	}
	dir := filepath.Dir(socketPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	if err := removeStale(socketPath); err != nil {
		return err
	}
	// Bind under a temporary name and rename into place once private, so
	// the socket is never reachable with the default permissions.
	tmp := filepath.Join(dir, fmt.Sprintf(".%s.%d.tmp", filepath.Base(socketPath), os.Getpid()))
	_ = os.Remove(tmp)
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		return fmt.Errorf("admin: listen on %s: %w", socketPath, err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err == nil {
		err = os.Rename(tmp, socketPath)
	}
	if err != nil {
		ln.Close()
		os.Remove(tmp)
		return fmt.Errorf("admin: %w", err)
	}
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	s.path = socketPath
	go s.http.Serve(ln) //nolint:errcheck // returns ErrServerClosed after Close
	return nil
}

// removeStale removes a socket file nobody listens on, as left by a crash.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("admin: %s exists and is not a socket; refusing to replace it", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("admin: %s is in use by a running process (another govsd?)", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("admin: remove stale socket: %w", err)
	}
	return nil
}

// Shutdown stops accepting, waits until ctx is done for running handlers to
// finish (then drops them, as Close does) and removes the socket. Callers
// that free what handlers read must call it first.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.stop(func(hs *http.Server) error {
		if err := hs.Shutdown(ctx); err != nil {
			hs.Close()
			return fmt.Errorf("admin: handlers still running when shutdown timed out: %w", err)
		}
		return nil
	})
}

// Close stops serving at once, drops open connections (running handlers
// are not waited for) and removes the socket.
func (s *Server) Close() error { return s.stop((*http.Server).Close) }

func (s *Server) stop(stopHTTP func(*http.Server) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http == nil {
		return nil
	}
	s.streamsOnce.Do(func() { close(s.streams) })
	err := stopHTTP(s.http)
	if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	s.http, s.path = nil, ""
	return err
}
