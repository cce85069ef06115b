package e2e

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// reuseVPort is the service TestNATConnReuseReschedules adds for itself,
// so that no other test's connections move the counters it checks.
const reuseVPort = 82

// TestNATConnReuseReschedules: a SYN from the client address and port of
// a connection the director holds in TIME_WAIT opens a new connection, as
// IPVS with conn_reuse_mode=1: the old entry is expired, the SYN is
// scheduled (counted in the service's and the chosen server's conns) and
// does not go to the old connection's server once that server has weight 0
// or has left the configuration.
func TestNATConnReuseReschedules(t *testing.T) {
	env := natLab(t)
	t.Cleanup(func() { env.restoreBase(t) })
	t.Run("weight0", func(t *testing.T) {
		checkReuseRescheduled(t, env, "set to weight 0", func(rs []rsConf, old string) []rsConf {
			rs[slices.IndexFunc(rs, func(r rsConf) bool { return r.Addr == old })].Weight = 0
			return rs
		})
	})
	t.Run("removed", func(t *testing.T) {
		checkReuseRescheduled(t, env, "removed from the configuration", func(rs []rsConf, old string) []rsConf {
			return slices.DeleteFunc(rs, func(r rsConf) bool { return r.Addr == old })
		})
	})
}

// checkReuseRescheduled connects to the reuse service from a port the
// kernel picks, lets the server close first (the director's entry goes
// ES -> FIN_WAIT on the server's FIN -> TIME_WAIT on the client's, see
// the fast path's TCP state tables, fp_tcp.c), reloads with change applied to the
// server that answered, and connects again from the same port: a new
// connection must go to another server and be counted.
func checkReuseRescheduled(t *testing.T, env *natEnv, what string, change func(rs []rsConf, old string) []rsConf) {
	conf := env.base.clone()
	conf.Services = append(conf.Services, svcConf{Name: "reuse", Proto: "tcp", Port: reuseVPort, Sched: "rr", RS: allServers(rsHTTPPort, 1)})
	if _, err := env.d.reload(conf.YAML(), 10*time.Second); err != nil {
		t.Fatalf("reload adding the reuse service: %v", err)
	}

	before := readReuseCounts(t, env)
	first, port := reuseExchange(t, env, ":0")
	afterFirst := waitReuseConns(t, env, before.svc+1)
	if afterFirst.svc != before.svc+1 || afterFirst.rs[first].conns != before.rs[first].conns+1 {
		t.Fatalf("the first connection (from port %d, answered by %s) was not counted once: before {%v}, after {%v}", port, first, before, afterFirst)
	}

	old := env.lab.Server(first).IP.String()
	svc := conf.service("reuse")
	svc.RS = change(svc.RS, old)
	if _, err := env.d.reload(conf.YAML(), 10*time.Second); err != nil {
		t.Fatalf("reload with %s %s: %v", first, what, err)
	}
	before = readReuseCounts(t, env)
	second, _ := reuseExchange(t, env, fmt.Sprintf(":%d", port))
	after := waitReuseConns(t, env, before.svc+1)
	t.Logf("client port %d: first answered by %s; after %s was %s, the reconnect was answered by %s; counters before the reconnect {%v}, after {%v}",
		port, first, first, what, second, before, after)

	if second == first {
		t.Errorf("the SYN from client port %d, whose previous connection to %s the director held closed (TIME_WAIT), went to %s again after %s was %s: want the old entry expired and the SYN scheduled to another server",
			port, first, second, first, what)
	}
	if got := after.svc - before.svc; got != 1 {
		t.Errorf("service %s:%d conns grew by %d on the reconnect (%d -> %d), want 1: a new connection", vip, reuseVPort, got, before.svc, after.svc)
	}
	if second != first {
		if got := after.rs[second].conns - before.rs[second].conns; got != 1 {
			t.Errorf("%s answered the reconnect but its conns grew by %d (%d -> %d), want 1", second, got, before.rs[second].conns, after.rs[second].conns)
		}
	}
}

// reuseExchange connects from local (":0" or ":PORT") to the reuse
// service, makes one request that the server closes, and waits until the
// client's socket is gone (the server's last ACK crossed the director).
// It returns the server that answered and the client port.
func reuseExchange(t *testing.T, env *natEnv, local string) (ident string, port int) {
	t.Helper()
	remote := fmt.Sprintf("%s:%d", vip, reuseVPort)
	c, err := env.lab.Client.DialTCPFrom(local, remote, 5*time.Second)
	if err != nil {
		t.Fatalf("connect from %s to %s: %v", local, remote, err)
	}
	port = c.LocalAddr().(*net.TCPAddr).Port
	ident, err = httpGetServerCloses(c, 5*time.Second)
	if err != nil {
		t.Fatalf("GET from client port %d to %s: %v (answer %q)", port, remote, err, ident)
	}
	if env.lab.Server(ident) == nil {
		t.Fatalf("GET from client port %d to %s answered %q, want a server ident", port, remote, ident)
	}
	if err := waitClientPortClosed(env.lab.Client, port, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	return ident, port
}

// waitClientPortClosed waits until ns holds no TCP socket on local port.
func waitClientPortClosed(ns *netlab.NS, port int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		out, err := ns.Command("ss", "-Htan", "sport", "=", fmt.Sprintf(":%d", port)).CombinedOutput()
		if err == nil && strings.TrimSpace(string(out)) == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("client socket on port %d still there %v after the server closed (err %v):\n%s", port, timeout, err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reuseCounts are the reuse service's conns and its servers' counters by
// ident.
type reuseCounts struct {
	svc uint64
	rs  map[string]rsCounts
}

type rsCounts struct{ conns, active, inactive uint64 }

func (c reuseCounts) String() string {
	parts := []string{fmt.Sprintf("service conns %d", c.svc)}
	for _, ident := range slices.Sorted(maps.Keys(c.rs)) {
		r := c.rs[ident]
		parts = append(parts, fmt.Sprintf("%s conns %d (active %d, inactive %d)", ident, r.conns, r.active, r.inactive))
	}
	return strings.Join(parts, ", ")
}

func readReuseCounts(t *testing.T, env *natEnv) reuseCounts {
	t.Helper()
	svc := serviceOn(t, env, "tcp", reuseVPort)
	c := reuseCounts{svc: svc.Stats.Conns, rs: map[string]rsCounts{}}
	for _, rs := range svc.RealServers {
		for _, s := range env.lab.Servers {
			if s.IP.String() == rs.Address {
				c.rs[s.Ident] = rsCounts{rs.Stats.Conns, rs.ActiveConns, rs.InactiveConns}
			}
		}
	}
	return c
}

// waitReuseConns polls until the service's conns reach want (counters are
// per lcore, read without locks) or 2 s pass, and returns the last reading.
func waitReuseConns(t *testing.T, env *natEnv, want uint64) reuseCounts {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		c := readReuseCounts(t, env)
		if c.svc >= want || time.Now().After(deadline) {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
}
