package main

import (
	"strings"
	"sync"
	"testing"

	"github.com/govs-project/govs/control/admin"
)

// overrideSource keeps overrides for the service "web" and its server
// 10.1.0.11:8080, listing them on that server.
type overrideSource struct {
	fakeSource
	mu sync.Mutex
	o  *admin.Override
}

func (s *overrideSource) Services() []admin.Service {
	svcs := s.fakeSource.Services()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.o != nil {
		o := *s.o
		svcs[0].RealServers[0].Override = &o
	}
	return svcs
}

func (s *overrideSource) Overrides() []admin.Override {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.o == nil {
		return nil
	}
	return []admin.Override{*s.o}
}

func (s *overrideSource) SetOverride(r admin.OverrideRequest) (admin.Override, error) {
	if r.Service != "web" || r.Server != "10.1.0.11:8080" {
		return admin.Override{}, &admin.NotFoundError{Msg: "service web has no real server " + r.Server}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := admin.Override{Service: "tcp/10.0.0.100:80", Server: r.Server}
	if s.o != nil {
		o = *s.o
	}
	switch r.Action {
	case admin.ActionWeight:
		o.Weight = r.Weight
	case admin.ActionReady:
		o.State = admin.OverrideReady
	default:
		o.State = r.Action
	}
	s.o = &o
	return o, nil
}

func (s *overrideSource) ClearOverride(string, string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.o = nil
	return nil
}

func (s *overrideSource) ClearOverrides() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if s.o != nil {
		n = 1
	}
	s.o = nil
	return n, nil
}

func TestServerCommands(t *testing.T) {
	sock := daemon(t, &overrideSource{})
	runCases(t, sock, []ctlCase{
		{[]string{"server", "set-weight", "web", "10.1.0.11:8080", "5"}, 0, "web 10.1.0.11:8080: set-weight"},
		{[]string{"server", "drain", "web", "10.1.0.11:8080"}, 0, "web 10.1.0.11:8080: drain"},
		{[]string{"list"}, 0, "10.1.0.11:8080               Masq    1      0          0          [override: weight 5 drain]"},
		{[]string{"overrides"}, 0, "tcp/10.0.0.100:80  10.1.0.11:8080  5       drain"},
		{[]string{"server", "maint", "web", "10.1.0.11:8080"}, 0, "maint"},
		{[]string{"-json", "server", "ready", "web", "10.1.0.11:8080"}, 0, `"weight": 5`},
		{[]string{"server", "clear", "web", "10.1.0.11:8080"}, 0, "override of 10.1.0.11:8080 in web cleared"},
		{[]string{"overrides"}, 0, "no runtime overrides"},
		{[]string{"server", "drain", "web", "10.1.0.12:8080"}, 1, "govsd: service web has no real server 10.1.0.12:8080"},
		{[]string{"server", "set-weight", "web", "10.1.0.11:8080", "65536"}, 2, "weight \"65536\" is not a number in 0..65535"},
		{[]string{"server", "set-weight", "web", "10.1.0.11:8080"}, 2, "server set-weight SVC SERVER WEIGHT"},
		{[]string{"server", "disable", "web", "10.1.0.11:8080"}, 2, "unknown server verb \"disable\""},
		{[]string{"server"}, 2, "server set-weight"},
		{[]string{"server", "drain", "web", "10.1.0.11:8080", "extra"}, 2, "unexpected argument \"extra\""},
		{[]string{"server", "drain", "web", "10.1.0.11:8080"}, 0, "drain"},
		{[]string{"overrides", "clear"}, 0, "1 runtime overrides cleared"},
	})
}

func (s *overrideSource) Zero(service string) error {
	if service != "" && service != "web" {
		return &admin.NotFoundError{Msg: "no service " + service}
	}
	return nil
}

func TestZeroAndRate(t *testing.T) {
	sock := daemon(t, &overrideSource{})
	runCases(t, sock, []ctlCase{
		{[]string{"zero"}, 0, "counters of all services zeroed"},
		{[]string{"zero", "web"}, 0, "counters of web zeroed"},
		{[]string{"zero", "mail"}, 1, "govsd: no service mail"},
		{[]string{"zero", "web", "more"}, 2, "unexpected argument \"more\""},
		{[]string{"rate"}, 0, "TCP  10.0.0.100:80                       0        0        0        0        0"},
	})
}

// ctlCase is one govsctl run against a socket: its exit code and a text
// expected in stdout or stderr.
type ctlCase struct {
	args []string
	code int
	out  string
}

func runCases(t *testing.T, sock string, cases []ctlCase) {
	t.Helper()
	for _, tc := range cases {
		code, out, errOut := runCtl(append([]string{"-s", sock}, tc.args...)...)
		if code != tc.code || !strings.Contains(out+errOut, tc.out) {
			t.Errorf("govsctl %q: exit %d\n%s%s\nwant exit %d and %q", tc.args, code, out, errOut, tc.code, tc.out)
		}
	}
}
