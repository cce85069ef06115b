package netlab

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// HTTPServer is a real server's HTTP service that a test can make fail, as
// a health checker sees a server fail: it answers with a chosen status
// (SetStatus, e.g. 500), goes away (Stop) and comes back on the same
// address (Start). Every answer, whatever its status, has body ident and
// header X-Server: ident.
type HTTPServer struct {
	ns    *NS
	ident string

	mu     sync.Mutex
	addr   string // as given, then the bound address once started
	srv    *http.Server
	ln     net.Listener // closed by Stop even before Serve takes it
	status int
	hits   map[string]int // requests served by path
}

// NewHTTPServer returns a stopped server for addr (e.g. ":8080",
// "10.0.0.100:80", or ":0" for a free port kept across restarts) in ns,
// answering 200.
func NewHTTPServer(ns *NS, addr, ident string) *HTTPServer {
	return &HTTPServer{ns: ns, ident: ident, addr: addr, status: http.StatusOK, hits: map[string]int{}}
}

// StartHTTPServer is NewHTTPServer followed by Start.
func StartHTTPServer(ns *NS, addr, ident string) (*HTTPServer, error) {
	s := NewHTTPServer(ns, addr, ident)
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Start listens on the server's address (the one it had before, after a
// Stop) and serves. Starting a running server is an error.
func (s *HTTPServer) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return fmt.Errorf("HTTP server %s on %s: already running", s.ident, s.addr)
	}
	// Go's listeners set SO_REUSEADDR: connections of the previous run in
	// TIME_WAIT do not keep the address busy.
	ln, err := s.ns.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("HTTP server %s: %w", s.ident, err)
	}
	s.addr = ln.Addr().String()
	s.ln = ln
	s.srv = &http.Server{Handler: http.HandlerFunc(s.answer), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return nil
}

// Stop closes the listener and every connection, as the death of the
// server's process would: new connections are refused (RST) until Start.
// Stopping a stopped server does nothing.
func (s *HTTPServer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		// Close the listener here: Serve may not have started yet, and
		// srv.Close closes only the listeners Serve has taken.
		s.ln.Close()
		s.srv.Close()
		s.srv, s.ln = nil, nil
	}
}

// Running reports whether the server is started.
func (s *HTTPServer) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv != nil
}

// Addr is the address the server listens on (once started, the bound one).
func (s *HTTPServer) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// SetStatus makes every following answer have HTTP status code (100..599).
func (s *HTTPServer) SetStatus(code int) error {
	if code < 100 || code > 599 {
		return errors.New("HTTP status must be in 100..599")
	}
	s.mu.Lock()
	s.status = code
	s.mu.Unlock()
	return nil
}

// Requests is how many requests for path the server has answered.
func (s *HTTPServer) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *HTTPServer) answer(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	code := s.status
	s.hits[r.URL.Path]++
	s.mu.Unlock()
	w.Header().Set("X-Server", s.ident)
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(code)
	w.Write([]byte(s.ident))
}
