package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/govs-project/govs/control/config"
)

func serve(t *testing.T, src Source, g prometheus.Gatherer) (string, *Server) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run", "govsd.sock")
	s := NewServer(src, g)
	if err := s.Serve(path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return path, s
}

func TestRoundTrip(t *testing.T) {
	src := newFake()
	path, _ := serve(t, src, nil)

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode = %v, want socket 0600", fi.Mode())
	}

	c := Dial(path)
	st, err := c.Status()
	if err != nil || !reflect.DeepEqual(st, src.status) {
		t.Errorf("Status() = %+v, %v", st, err)
	}
	svcs, err := c.Services()
	if err != nil || !reflect.DeepEqual(svcs, src.services) {
		t.Errorf("Services() = %+v, %v", svcs, err)
	}
	stats, err := c.Stats()
	if err != nil || !reflect.DeepEqual(stats, src.stats) {
		t.Errorf("Stats() = %+v, %v", stats, err)
	}
	if err := c.Reload(); err != nil || src.reloads != 1 {
		t.Errorf("Reload() = %v after %d reloads", err, src.reloads)
	}
	raw, err := c.Do(http.MethodPost, "/v1/reload")
	if err != nil || !strings.Contains(string(raw), `"ok": true`) {
		t.Errorf("raw reload = %s, %v", raw, err)
	}
}

func TestEmptyServicesIsList(t *testing.T) {
	path, _ := serve(t, &fakeSource{}, nil)
	raw, err := Dial(path).Do(http.MethodGet, "/v1/services")
	if err != nil || strings.TrimSpace(string(raw)) != "[]" {
		t.Errorf("got %q, %v", raw, err)
	}
}

// Every refusal is the operator's error (400), whatever refused it; only
// errors that are not refusals are internal (500).
func TestReloadErrors(t *testing.T) {
	cfgErr := &ReloadRefusedError{&config.Error{File: "configs/demo.yaml", Problems: []*config.FieldError{
		{Path: "services[0].port", Msg: "must be between 1 and 65535, got 0"}}}}
	startTime := &ReloadRefusedError{errors.New("admin: changed; the admin socket is opened only at start, restart govsd")}
	applyErr := fmt.Errorf("reload: %w", &ReloadRefusedError{errors.New("services: 1025 configured, at most 1024")})
	for _, tc := range []struct {
		err  error
		code int
	}{
		{cfgErr, http.StatusBadRequest},
		{startTime, http.StatusBadRequest},
		{applyErr, http.StatusBadRequest},
		{errBoom, http.StatusInternalServerError},
	} {
		src := &fakeSource{reloadErr: tc.err}
		rec := httptest.NewRecorder()
		NewServer(src, nil).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/reload", nil))
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), `"error"`) {
			t.Errorf("reload with %v: %d %s", tc.err, rec.Code, rec.Body)
		}

		path, _ := serve(t, src, nil)
		err := Dial(path).Reload()
		if err == nil || err.Error() != "govsd: "+tc.err.Error() {
			t.Errorf("client Reload() = %v, want govsd: %v", err, tc.err)
		}
	}
}

func TestRouting(t *testing.T) {
	s := NewServer(newFake(), nil)
	for _, tc := range []struct {
		method, path string
		code         int
		allow        string
	}{
		{http.MethodPost, "/v1/status", http.StatusMethodNotAllowed, "GET"},
		{http.MethodGet, "/v1/reload", http.StatusMethodNotAllowed, "POST"},
		{http.MethodGet, "/v1/nope", http.StatusNotFound, ""},
		{http.MethodGet, "/metrics", http.StatusNotFound, ""}, // no gatherer
		{http.MethodGet, "/v1/stats", http.StatusOK, ""},
	} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.code || rec.Header().Get("Allow") != tc.allow ||
			rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d allow=%q type=%q", tc.method, tc.path, rec.Code,
				rec.Header().Get("Allow"), rec.Header().Get("Content-Type"))
		}
	}
	path, _ := serve(t, newFake(), nil)
	_, err := Dial(path).Do(http.MethodGet, "/v1/nope")
	if err == nil || err.Error() != "govsd: no such endpoint /v1/nope" {
		t.Errorf("404 error = %v", err)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "govs_test_total", Help: "test"})
	c.Add(7)
	reg.MustRegister(c)
	path, _ := serve(t, newFake(), reg)

	hc := http.Client{Transport: &http.Transport{Dial: func(_, _ string) (net.Conn, error) { return net.Dial("unix", path) }}}
	resp, err := hc.Get("http://govsd/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "govs_test_total 7") {
		t.Errorf("metrics: %d\n%s", resp.StatusCode, body)
	}
}

func TestSocketLifecycle(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "govsd.sock")

	// A socket left behind by a crashed daemon is replaced.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	s := NewServer(newFake(), nil)
	if err := s.Serve(path); err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	if err := s.Serve(path); err == nil {
		t.Error("second Serve on the same server succeeded")
	}

	// A live one is not.
	other := NewServer(newFake(), nil)
	if err := other.Serve(path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("Serve over a live socket: %v", err)
	}
	if _, err := Dial(path).Status(); err != nil {
		t.Errorf("first server broken by the second: %v", err)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket still there after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// A regular file is never removed.
	os.WriteFile(path, []byte("x"), 0o644)
	if err := NewServer(newFake(), nil).Serve(path); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Serve over a file: %v", err)
	}
}

func TestClientNoDaemon(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.sock")
	_, err := Dial(path).Status()
	want := "cannot reach govsd at " + path + ": "
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "(is govsd running?)") {
		t.Errorf("err = %v", err)
	}
}

func TestPprofServed(t *testing.T) {
	path, _ := serve(t, newFake(), nil)
	raw, err := Dial(path).Do(http.MethodGet, "/debug/pprof/goroutine?debug=1")
	if err != nil || !strings.Contains(string(raw), "goroutine profile") {
		t.Fatalf("goroutine profile: %.200s, %v", raw, err)
	}
}

// blockedStats serves a source whose Stats blocks, and starts one request
// to /v1/stats; it returns once the handler is inside Stats.
func blockedStats(t *testing.T) (src *fakeSource, s *Server, path string, reply <-chan error) {
	t.Helper()
	src = newFake()
	src.inStats, src.release = make(chan struct{}), make(chan struct{})
	path, s = serve(t, src, nil)
	got := make(chan error, 1)
	go func() { _, err := Dial(path).Stats(); got <- err }()
	<-src.inStats
	return src, s, path, got
}

func TestShutdownWaitsForHandlers(t *testing.T) {
	src, s, path, reply := blockedStats(t)
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) while a handler was still running", err)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := Dial(path).Status(); err == nil {
		t.Error("a new request was served after Shutdown started")
	}
	close(src.release)
	if err := <-reply; err != nil {
		t.Errorf("the running request did not get its reply: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket still there after Shutdown: %v", err)
	}
}

func TestShutdownTimeout(t *testing.T) {
	src, s, _, reply := blockedStats(t)
	defer close(src.release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); err == nil || !strings.Contains(err.Error(), "handlers still running") {
		t.Errorf("Shutdown past its deadline = %v", err)
	}
	if err := <-reply; err == nil {
		t.Error("the request outliving the deadline was not dropped")
	}
}
