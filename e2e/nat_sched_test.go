package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// schedVPort is the first port of the services TestNATSchedulerChoices
// adds, one per scheduler, so that each starts with connection counts of
// its own (they are per service and server).
const schedVPort = 85

// TestNATSchedulerChoices: every IPVS scheduler not covered elsewhere
// (rr and wrr: the weighted-share tests; sh and mh: the hash test) picks,
// end to end, what its definition says for one client opening connections
// one after the other to servers of weights 1, 2, 3 (rs1, rs2, rs3). Each
// connection ends before the next starts, so the servers' active counts
// stay near 0 and the choice is decided by weights and inactive counts;
// the bounds leave room for a connection not yet counted closed.
func TestNATSchedulerChoices(t *testing.T) {
	env := natLab(t)
	t.Cleanup(func() { env.restoreBase(t) })
	const n = 30
	atLeast := func(min map[string]int) func(map[string]int) bool {
		return func(got map[string]int) bool {
			for s, m := range min {
				if got[s] < m {
					return false
				}
			}
			return true
		}
	}
	for i, c := range []struct {
		sched, want string
		ok          func(map[string]int) bool
	}{
		{"lc", "every server, evenly: inactive counts rise in turn", atLeast(map[string]int{"rs1": 5, "rs2": 5, "rs3": 5})},
		{"wlc", "every server, in the order of their weights", func(g map[string]int) bool {
			return atLeast(map[string]int{"rs1": 2})(g) && g["rs3"] > g["rs2"] && g["rs2"] > g["rs1"]
		}},
		{"sed", "rs3 mostly: (active+1)/weight is least for weight 3", atLeast(map[string]int{"rs3": 2 * n / 3})},
		{"nq", "rs1 mostly: the first idle server", atLeast(map[string]int{"rs1": 2 * n / 3})},
		{"fo", "rs3 only: the available server of highest weight", atLeast(map[string]int{"rs3": n})},
		{"ovf", "rs3 mostly: highest weight not above its weight in active connections", atLeast(map[string]int{"rs3": 2 * n / 3})},
		{"dh", "one server: the destination (the VIP) is hashed", func(g map[string]int) bool { return len(g) == 1 }},
		{"lblc", "one server: the VIP's cached server while not overloaded", func(g map[string]int) bool { return len(g) == 1 }},
		{"lblcr", "one server: the VIP's set holds one while not overloaded", func(g map[string]int) bool { return len(g) == 1 }},
		{"twos", "more than one server: two weighted random choices", func(g map[string]int) bool { return len(g) >= 2 }},
	} {
		port := schedVPort + i
		t.Run(c.sched, func(t *testing.T) {
			remote := fmt.Sprintf("%s:%d", vip, port)
			conf := env.base.clone()
			conf.Services = append(conf.Services, svcConf{Name: "sched", Proto: "tcp", Port: port, Sched: c.sched, RS: allServers(rsHTTPPort, 1, 2, 3)})
			if _, err := env.d.reload(conf.YAML(), 10*time.Second); err != nil {
				t.Fatalf("reload with %s: %v", c.sched, err)
			}
			got := map[string]int{}
			for range n {
				got[serverAnswering(t, env, ":0", remote)]++
			}
			t.Logf("%s: %v", c.sched, got)
			if !c.ok(got) {
				t.Errorf("%s over weights 1:2:3, %d connections: %v, want %s", c.sched, n, got, c.want)
			}
		})
	}
}

// dropsOf are govsd's drop counters by reason, for a failure's message.
func dropsOf(t *testing.T, env *natEnv) map[string]uint64 {
	st, err := env.d.admin.Stats()
	if err != nil {
		t.Logf("stats: %v", err)
		return nil
	}
	return st.Drops
}

// thresholdVPort is the service TestNATUpperThreshold adds for itself.
const thresholdVPort = 96

// TestNATUpperThreshold: a real server with upper_threshold 3 (ipvsadm
// -x) takes 3 connections and then none while they are in the table
// (closed ones count, as in IPVS, until they expire), the others take the
// rest.
func TestNATUpperThreshold(t *testing.T) {
	env := natLab(t)
	t.Cleanup(func() { env.restoreBase(t) })
	conf := env.base.clone()
	conf.Services = append(conf.Services, svcConf{Name: "limited", Proto: "tcp", Port: thresholdVPort, Sched: "rr", RS: allServers(rsHTTPPort, 1)})
	first := fmt.Sprintf("      - {address: %s, port: %d, weight: 1, method: nat}\n", serverIPs[0], rsHTTPPort)
	yaml := string(conf.YAML())
	i := strings.LastIndex(yaml, first) // the limited service is the last
	if i < 0 {
		t.Fatalf("rs1 of the limited service not in the rendered configuration:\n%s", yaml)
	}
	yaml = yaml[:i] + strings.Replace(yaml[i:], "method: nat}", "method: nat, upper_threshold: 3}", 1)
	if _, err := env.d.reload([]byte(yaml), 10*time.Second); err != nil {
		t.Fatalf("reload: %v", err)
	}
	remote := fmt.Sprintf("%s:%d", vip, thresholdVPort)
	got := map[string]int{}
	for range 21 {
		got[serverAnswering(t, env, ":0", remote)]++
	}
	t.Logf("21 connections over rr with rs1's upper_threshold 3: %v", got)
	if got["rs1"] != 3 || got["rs2"]+got["rs3"] != 18 {
		t.Errorf("rs1 (upper_threshold 3) got %d of 21 connections, want 3 (others %v)", got["rs1"], got)
	}
}

// serverAnswering opens a connection from local (ADDR:PORT, ":0" for any) to
// remote, GETs / and returns the ident of the server that answered.
func serverAnswering(t *testing.T, env *natEnv, local, remote string) string {
	t.Helper()
	conn, err := env.lab.Client.DialTCPFrom(local, remote, 5*time.Second)
	if err != nil {
		t.Fatalf("connect from %s to %s: %v; drops: %v", local, remote, err, dropsOf(t, env))
	}
	ident, err := httpGetServerCloses(conn, 5*time.Second)
	if err != nil {
		t.Fatalf("GET %s from %s: %v (answer %q)", remote, local, err, ident)
	}
	return ident
}
