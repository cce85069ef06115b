package main

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/internal/netlab"
)

func TestParseEvent(t *testing.T) {
	for _, tc := range []struct {
		line            string
		kind, server    string
		service, errSub string
	}{
		{line: "2026-12-02T05:50:56.733Z server_down tcp/10.0.0.100:80 10.1.0.13:8080 (connect: connection refused)",
			kind: "server_down", service: "tcp/10.0.0.100:80", server: "10.1.0.13:8080"},
		{line: "2026-12-02T05:50:57.735+01:00 server_up tcp/10.0.0.100:80 10.1.0.13:8080",
			kind: "server_up", service: "tcp/10.0.0.100:80", server: "10.1.0.13:8080"},
		{line: "2026-12-02T05:50:57.735Z quorum_down tcp/10.0.0.100:80 (alive weight 0 below quorum 1)",
			kind: "quorum_down", service: "tcp/10.0.0.100:80"},
		{line: "interrupted", errSub: "not an event"},
		{line: "govsd: connection refused", errSub: "cannot parse"},
		{line: "yesterday server_up tcp/10.0.0.100:80", errSub: "cannot parse"},
	} {
		ev, err := parseEvent(tc.line)
		if tc.errSub != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errSub) {
				t.Errorf("parseEvent(%q) = %+v, %v; want an error with %q", tc.line, ev, err, tc.errSub)
			}
			continue
		}
		if err != nil || ev.kind != tc.kind || ev.service != tc.service || ev.server != tc.server || ev.time.IsZero() {
			t.Errorf("parseEvent(%q) = %+v, %v; want %s %s %s", tc.line, ev, err, tc.kind, tc.service, tc.server)
		}
	}
}

// attempt is a request of the loop started at ms (from 0) taking 5 ms,
// answered by server or failed when server is "".
func attempt(seq, ms int, server string) netlab.HTTPAttempt {
	start := time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond)
	a := netlab.HTTPAttempt{Seq: seq, Start: start, End: start.Add(5 * time.Millisecond), Status: 200, Server: server}
	if server == "" {
		a.Status, a.Err = 0, errors.New("connection refused")
	}
	return a
}

func TestReportFailover(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	times := failoverTimes{kill: at(100), out: at(600), up: at(1600)}
	good := netlab.HTTPAttempts{
		attempt(0, 0, "rs1"), attempt(1, 40, "rs3"),
		attempt(2, 98, ""), // in flight at the kill: detection
		attempt(3, 200, ""), attempt(4, 300, "rs2"),
		attempt(5, 700, "rs1"), attempt(6, 1200, "rs2"),
		attempt(7, 1700, "rs3"), attempt(8, 1800, "rs1"),
	}
	w := splitFailover(good, times, "rs3")
	for i, want := range []int{2, 3, 2, 2} {
		if got := len(w[i].attempts); got != want {
			t.Errorf("phase %q has %d requests, want %d", w[i].name, got, want)
		}
	}
	if err := reportFailover(good, times, "rs3"); err != nil {
		t.Errorf("a clean failover reported %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(netlab.HTTPAttempts) netlab.HTTPAttempts
		errSub string
	}{
		{"failure before the kill", func(as netlab.HTTPAttempts) netlab.HTTPAttempts { as[0] = attempt(0, 0, ""); return as }, "before the kill"},
		{"nothing failed while gone", func(as netlab.HTTPAttempts) netlab.HTTPAttempts {
			as[2], as[3] = attempt(2, 98, "rs1"), attempt(3, 200, "rs2")
			return as
		}, "no request failed"},
		{"failure while out", func(as netlab.HTTPAttempts) netlab.HTTPAttempts { as[6] = attempt(6, 1200, ""); return as }, "was out"},
		{"failure once back", func(as netlab.HTTPAttempts) netlab.HTTPAttempts { as[8] = attempt(8, 1800, ""); return as }, "is back"},
		{"not serving once back", func(as netlab.HTTPAttempts) netlab.HTTPAttempts { as[7] = attempt(7, 1700, "rs2"); return as }, "answered nothing"},
	} {
		as := tc.change(append(netlab.HTTPAttempts(nil), good...))
		if err := reportFailover(as, times, "rs3"); err == nil || !strings.Contains(err.Error(), tc.errSub) {
			t.Errorf("%s: reportFailover = %v, want an error with %q", tc.name, err, tc.errSub)
		}
	}
}

func TestFailTargetOf(t *testing.T) {
	check := func(typ config.CheckType) *config.Check { return &config.Check{Type: typ, Interval: time.Second} }
	rs := func(last byte, weight uint32, c *config.Check) config.RealServer {
		return config.RealServer{Address: netip.AddrFrom4([4]byte{10, 1, 0, last}), Port: 8080, Weight: weight, Check: c}
	}
	svc := func(servers ...config.RealServer) config.Service {
		return config.Service{VIP: netip.MustParseAddr("10.0.0.100"), Protocol: config.ProtoTCP, Port: 80, RealServers: servers}
	}
	for _, tc := range []struct {
		name    string
		svc     config.Service
		server  string // "" for none
		checked int
	}{
		{"highest weight", svc(rs(11, 1, check(config.CheckHTTP)), rs(12, 3, check(config.CheckTCP)), rs(13, 2, check(config.CheckHTTP))), "10.1.0.12:8080", 3},
		{"a ping check is not failed by a stopped listener", svc(rs(11, 1, check(config.CheckHTTP)), rs(12, 3, check(config.CheckPing))), "10.1.0.11:8080", 2},
		{"opted out and unchecked", svc(rs(11, 5, check(config.CheckNone)), rs(12, 5, nil), rs(13, 1, check(config.CheckHTTP))), "10.1.0.13:8080", 1},
		{"no check", svc(rs(11, 1, nil)), "", 0},
	} {
		f := failTargetOf(tc.svc)
		if f.service != "tcp/10.0.0.100:80" || f.checked != tc.checked || f.valid() != (tc.server != "") ||
			(tc.server != "" && f.server.String() != tc.server) {
			t.Errorf("%s: failTargetOf = %+v, want server %q, %d checked", tc.name, f, tc.server, tc.checked)
		}
	}
}
