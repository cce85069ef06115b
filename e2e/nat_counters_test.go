package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// TestNATCountersMatchClients: after a known number of requests to the
// "count" service, govsd's counters (admin API and govsctl) match what the
// clients saw: connections per service and per real server, and plausible
// packet counts.
func TestNATCountersMatchClients(t *testing.T) {
	env := natLab(t)
	const port, n = 81, 60
	before := countService(t, env)
	res := getMany(env.lab.Client, fmt.Sprintf("http://%s:%d/", vip, port), n, 3, 60*time.Second)
	if len(res.errs) > 0 {
		t.Fatalf("%d of %d requests failed:%s", len(res.errs), n, res.firstErrors())
	}

	// Counters are per-lcore and read without locks: give the last
	// packets of the last connections a moment to be counted.
	var after admin.Service
	deadline := time.Now().Add(3 * time.Second)
	for {
		after = countService(t, env)
		if after.Stats.Conns-before.Stats.Conns >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	after = countService(t, env)

	d := delta(before.Stats, after.Stats)
	if d.Conns != n {
		t.Errorf("service conns grew by %d, clients made %d connections", d.Conns, n)
	}
	if d.InPkts < 3*n || d.InPkts > 30*n {
		t.Errorf("service in_pkts grew by %d for %d connections, want 3..30 per connection", d.InPkts, n)
	}
	if d.OutPkts < 2*n || d.OutPkts > 30*n {
		t.Errorf("service out_pkts grew by %d for %d connections, want 2..30 per connection", d.OutPkts, n)
	}
	if d.InBytes == 0 || d.OutBytes == 0 {
		t.Errorf("service bytes did not grow: %+v", d)
	}
	ident := map[string]string{}
	for _, s := range env.lab.Servers {
		ident[s.IP.String()] = s.Ident
	}
	prevRS := map[string]admin.Counters{}
	for _, rs := range before.RealServers {
		prevRS[fmt.Sprintf("%s:%d", rs.Address, rs.Port)] = rs.Stats
	}
	for _, rs := range after.RealServers {
		prev := prevRS[fmt.Sprintf("%s:%d", rs.Address, rs.Port)]
		got, want := rs.Stats.Conns-prev.Conns, uint64(res.perServer[ident[rs.Address]])
		if got != want {
			t.Errorf("real server %s:%d conns grew by %d, clients saw %d answers from %s",
				rs.Address, rs.Port, got, want, ident[rs.Address])
		}
	}

	// govsctl reads the same numbers.
	out := govsctl(t, env.d, "-json", "stats")
	var svcs []admin.Service
	if err := json.Unmarshal([]byte(out), &svcs); err != nil {
		t.Fatalf("govsctl -json stats: %v\n%s", err, out)
	}
	found := false
	for _, s := range svcs {
		if s.Port == port && s.Protocol == "tcp" {
			found = true
			if s.Stats.Conns < after.Stats.Conns {
				t.Errorf("govsctl -json stats: conns %d, admin API said %d a moment before", s.Stats.Conns, after.Stats.Conns)
			}
		}
	}
	if !found {
		t.Errorf("govsctl -json stats lacks the service on port %d:\n%s", port, out)
	}
	table := govsctl(t, env.d, "stats")
	for _, want := range append([]string{fmt.Sprintf("%s:%d", vip, port)}, rsAddrs(rsHTTPPort)...) {
		if !strings.Contains(table, want) {
			t.Errorf("govsctl stats lacks %q:\n%s", want, table)
		}
	}
}

// countService returns the tcp service on port 81.
func countService(t *testing.T, env *natEnv) admin.Service {
	t.Helper()
	return serviceOn(t, env, "tcp", 81)
}

// serviceOn returns the service on the VIP's port for proto.
func serviceOn(t *testing.T, env *natEnv, proto string, port uint16) admin.Service {
	t.Helper()
	svcs, err := env.d.admin.Services()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs {
		if s.Port == port && s.Protocol == proto {
			return s
		}
	}
	t.Fatalf("no %s service on port %d in %+v", proto, port, svcs)
	return admin.Service{}
}

func delta(a, b admin.Counters) admin.Counters {
	return admin.Counters{
		Conns: b.Conns - a.Conns, InPkts: b.InPkts - a.InPkts, OutPkts: b.OutPkts - a.OutPkts,
		InBytes: b.InBytes - a.InBytes, OutBytes: b.OutBytes - a.OutBytes,
	}
}

func rsAddrs(port int) []string {
	var out []string
	for _, ip := range serverIPs {
		out = append(out, fmt.Sprintf("%s:%d", ip, port))
	}
	return out
}

// govsctl runs the built govsctl against the daemon d.
func govsctl(t *testing.T, d *govsd, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin("govsctl"), append([]string{"-s", d.admin.Socket()}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("govsctl %v: %v\n%s%s", args, err, out, stderr)
	}
	return string(out)
}
