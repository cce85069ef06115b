package main

import (
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
)

func (fakeSource) Health() admin.Health {
	return admin.Health{Servers: []admin.ServerHealth{{Service: "tcp/10.0.0.100:80", Address: "10.1.0.11", Port: 8080, Type: "http", State: admin.HealthDown,
		LastError: "connection refused", LastOutcome: "failure", Failures: 3, DynamicWeight: -1}}}
}

// Subscribe hands out two events then a channel that stays open.
func (fakeSource) Subscribe(int) (<-chan admin.Event, func()) {
	ch := make(chan admin.Event, 2)
	t := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	ch <- admin.Event{Time: t, Type: "server_down", Service: "tcp/10.0.0.100:80", Address: "10.1.0.11", Port: 8080, Reason: "connection refused"}
	ch <- admin.Event{Time: t.Add(time.Second), Type: "server_up", Service: "tcp/10.0.0.100:80", Address: "10.1.0.11", Port: 8080}
	return ch, func() {}
}

func TestHealthCommands(t *testing.T) {
	sock := daemon(t, fakeSource{})
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-s", sock, "checks"}, []string{"tcp/10.0.0.100:80  10.1.0.11:8080  http   down", "connection refused"}},
		{[]string{"-s", sock, "events", "-n", "2"}, []string{
			"2026-12-02T10:00:00.000Z server_down tcp/10.0.0.100:80 10.1.0.11:8080 (connection refused)\n",
			"2026-12-02T10:00:01.000Z server_up tcp/10.0.0.100:80 10.1.0.11:8080\n"}},
		{[]string{"-s", sock, "events", "-n", "1", "-json"}, []string{`"type":"server_down"`}},
		{[]string{"-s", sock, "vrrp"}, []string{"no VRRP instances configured"}},
		// -for ends a stream that has nothing more to say.
		{[]string{"-s", sock, "events", "-for", "300ms"}, []string{"server_up"}},
	} {
		code, out, errOut := runCtl(tc.args...)
		for _, w := range tc.want {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("govsctl %q: exit %d, stdout\n%s\nstderr %s\nwant %q", tc.args, code, out, errOut, w)
			}
		}
	}
	if code, _, errOut := runCtl("-s", sock, "events", "extra"); code != 2 || !strings.Contains(errOut, "unexpected argument") {
		t.Errorf("events extra: exit %d %s", code, errOut)
	}
}
