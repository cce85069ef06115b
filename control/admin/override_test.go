package admin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOverrides is a daemon that keeps overrides: the service "web" has
// the one server 10.1.0.11:8080.
type fakeOverrides struct {
	*fakeSource
	mu   sync.Mutex
	list []Override
}

func (f *fakeOverrides) Overrides() []Override {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Override(nil), f.list...)
}

func (f *fakeOverrides) SetOverride(r OverrideRequest) (Override, error) {
	if r.Service != "web" {
		return Override{}, &NotFoundError{Msg: "no service " + r.Service}
	}
	if r.Server != "10.1.0.11:8080" {
		return Override{}, &BadRequestError{Msg: "server " + r.Server + " is not ip:port"}
	}
	o := Override{Service: "tcp/10.0.0.100:80", Server: r.Server, Weight: r.Weight}
	if r.Action != ActionWeight && r.Action != ActionReady {
		o.State = r.Action
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = []Override{o}
	return o, nil
}

func (f *fakeOverrides) ClearOverride(service, server string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.list) == 0 {
		return &NotFoundError{Msg: "no override for " + server + " in " + service}
	}
	f.list = nil
	return nil
}

func (f *fakeOverrides) ClearOverrides() (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.list)
	f.list = nil
	return n, nil
}

func TestOverrideHandlers(t *testing.T) {
	s := NewServer(&fakeOverrides{fakeSource: newFake()}, nil)
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		want                     string // in the body
	}{
		{"bad json", "POST", "/v1/servers/override", `{"service":`, 400, "bad override request"},
		{"not an object", "POST", "/v1/servers/override", `[1]`, 400, "bad override request"},
		{"unknown field", "POST", "/v1/servers/override", `{"service":"web","server":"10.1.0.11:8080","action":"drain","color":1}`, 400, "unknown field"},
		{"weight over 65535", "POST", "/v1/servers/override", `{"service":"web","server":"10.1.0.11:8080","action":"weight","weight":65536}`, 400, "out of range 0..65535"},
		{"negative weight", "POST", "/v1/servers/override", `{"service":"web","server":"10.1.0.11:8080","action":"weight","weight":-1}`, 400, "bad override request"},
		{"weight without action weight", "POST", "/v1/servers/override", `{"service":"web","server":"10.1.0.11:8080","action":"drain","weight":1}`, 400, "not taken by action drain"},
		{"no action", "POST", "/v1/servers/override", `{"service":"web","server":"10.1.0.11:8080"}`, 400, "action"},
		{"no service", "POST", "/v1/servers/override", `{"server":"10.1.0.11:8080","action":"drain"}`, 400, "service: required"},
		{"unknown service", "POST", "/v1/servers/override", `{"service":"mail","server":"10.1.0.11:8080","action":"drain"}`, 404, "no service mail"},
		{"bad server", "POST", "/v1/servers/override", `{"service":"web","server":"x","action":"drain"}`, 400, "not ip:port"},
		{"huge body", "POST", "/v1/servers/override", `{"service":"` + strings.Repeat("a", 8000) + `"}`, 400, "too large"},
		{"drain", "POST", "/v1/servers/override", `{"service":"web","server":"10.1.0.11:8080","action":"drain"}`, 200, `"state": "drain"`},
		{"listed", "GET", "/v1/overrides", "", 200, `"server": "10.1.0.11:8080"`},
		{"clear one without server", "DELETE", "/v1/servers/override?service=web", "", 400, "required"},
		{"clear one", "DELETE", "/v1/servers/override?service=web&server=10.1.0.11:8080", "", 200, `"cleared": 1`},
		{"clear one again", "DELETE", "/v1/servers/override?service=web&server=10.1.0.11:8080", "", 404, "no override"},
		{"empty list", "GET", "/v1/overrides", "", 200, "[]"},
		{"clear all", "DELETE", "/v1/overrides", "", 200, `"cleared": 0`},
		{"wrong method", "PUT", "/v1/overrides", "", 405, "PUT /v1/overrides not allowed"},
		{"get on the setter", "GET", "/v1/servers/override", "", 405, "not allowed"},
	} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, rec.Code, rec.Body, tc.code, tc.want)
		}
		if rec.Code >= 400 {
			var e errorBody
			if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "" {
				t.Errorf("%s: error body %q is not {\"error\": ...}", tc.name, rec.Body)
			}
		}
	}
}

// A daemon without overrides answers 501, not a crash or a 404.
func TestOverridesUnsupported(t *testing.T) {
	s := NewServer(newFake(), nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/overrides", nil))
	if rec.Code != http.StatusNotImplemented {
		t.Errorf("GET /v1/overrides = %d, want 501", rec.Code)
	}
}

// The client's round trip over the socket, error messages included.
func TestOverrideClient(t *testing.T) {
	path, _ := serve(t, &fakeOverrides{fakeSource: newFake()}, nil)
	c := Dial(path)
	seven := uint32(7)
	o, err := c.SetOverride(OverrideRequest{Service: "web", Server: "10.1.0.11:8080", Action: ActionWeight, Weight: &seven})
	if err != nil || o.Weight == nil || *o.Weight != 7 {
		t.Fatalf("SetOverride = %+v, %v", o, err)
	}
	if _, err := c.SetOverride(OverrideRequest{Service: "mail", Server: "10.1.0.11:8080", Action: ActionDrain}); err == nil || !strings.Contains(err.Error(), "no service mail") {
		t.Errorf("unknown service: %v", err)
	}
	if list, err := c.Overrides(); err != nil || len(list) != 1 {
		t.Errorf("Overrides = %+v, %v", list, err)
	}
	body, err := c.ClearOverridesRaw()
	if n, cerr := Cleared(body); err != nil || cerr != nil || n != 1 {
		t.Errorf("ClearOverrides: %d, %v, %v", n, err, cerr)
	}
}

func TestFormatOverrides(t *testing.T) {
	five, zero := uint32(5), uint32(0)
	svcs := []Service{{VIP: "10.0.0.10", Protocol: "tcp", Port: 80, Scheduler: "wlc", RealServers: []RealServer{
		{Address: "10.1.0.11", Port: 80, Method: "nat", Weight: 5, Override: &Override{Weight: &five}},
		{Address: "10.1.0.12", Port: 80, Method: "nat", Weight: 0, Override: &Override{State: OverrideDrain}},
		{Address: "10.1.0.13", Port: 80, Method: "nat", Weight: 0, Health: HealthUp, HealthSince: t0.Add(-time.Minute), Override: &Override{State: OverrideMaint}},
		{Address: "10.1.0.14", Port: 80, Method: "nat", Weight: 0, Override: &Override{Weight: &zero, State: OverrideDrain}},
		{Address: "10.1.0.15", Port: 80, Method: "nat", Weight: 1},
	}}}
	var b bytes.Buffer
	if err := formatList(&b, svcs, t0); err != nil {
		t.Fatal(err)
	}
	golden(t, "list_override", b.Bytes())

	b.Reset()
	list := []Override{
		{Service: "tcp/10.0.0.10:80", Server: "10.1.0.11:80", Weight: &five, Since: t0.Add(-90 * time.Second)},
		{Service: "tcp/10.0.0.10:80", Server: "10.1.0.12:80", State: OverrideDrain, Since: t0.Add(-2 * time.Hour)},
		{Service: "udp/10.0.0.10:53", Server: "10.1.0.21:53", State: OverrideMaint, Stale: true},
	}
	if err := formatOverrides(&b, list, t0); err != nil {
		t.Fatal(err)
	}
	golden(t, "overrides", b.Bytes())
	b.Reset()
	if err := formatOverrides(&b, nil, t0); err != nil || b.String() != "no runtime overrides\n" {
		t.Errorf("empty: %q, %v", b.String(), err)
	}
}
