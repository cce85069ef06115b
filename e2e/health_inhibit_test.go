package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestHealthInhibitOnFailure: a server failing its check keeps its
// long-lived connections with inhibit_on_failure (the "held" service:
// weight 0, draining) while new connections avoid it; without it (the
// "cut" service: removed, expire_nodest_conn off, as IPVS's default) the
// same kind of connection gets no more answers, its packets dropped and
// counted as dest_unavailable. The server's line echo keeps running
// throughout: only its HTTP service, which the checks ask, is stopped.
func TestHealthInhibitOnFailure(t *testing.T) {
	env := healthLab(t)
	env.requireHealthy(t)
	events := watchEvents(t, env.d)
	heldAddr, cutAddr := fmt.Sprintf("%s:7000", vip), fmt.Sprintf("%s:7001", vip)
	held := openOnEvery(t, env, heldAddr)
	cut := openOnEvery(t, env, cutAddr)

	victim := env.realServers()[1]
	ip := victim.IP.String()
	from := events.mark()
	t0 := time.Now()
	victim.HTTP.Stop()
	for _, key := range []string{heldKey, cutKey} {
		ev := events.wait(t, from, "server_down in "+key, serverEvent("server_down", key, ip), 5*time.Second)
		detection := ev.Time.Sub(t0)
		t.Logf("detection (%s): %s (bound %s + margin %s)", key, ms(detection), ms(detectBound), ms(schedMargin))
		if detection > detectBound+schedMargin {
			t.Errorf("%s: %s down %s after it failed, bound %s + margin %s", key, ip, ms(detection), ms(detectBound), ms(schedMargin))
		}
	}
	server := fmt.Sprintf("%s:%d", ip, rsEchoPort)
	if line := listLine(t, env.d, "TCP  "+heldAddr+" ", server); !strings.Contains(line, "draining") {
		t.Errorf("govsctl list shows %s in the inhibiting service as %q, want draining", server, line)
	}
	if line := listLine(t, env.d, "TCP  "+cutAddr+" ", server); !strings.Contains(line, "down") {
		t.Errorf("govsctl list shows %s in the service without inhibit as %q, want down", server, line)
	}

	// Inhibited: the connection goes on, answered by the same server.
	for i := range 3 {
		held[victim.Ident].say(fmt.Sprintf("held-%d", i))
	}

	// Removed: the connection's packets are dropped. The snapshot follows
	// the event within milliseconds: until it is applied, lines are still
	// answered.
	before := drops(t, env.d)["dest_unavailable"]
	lc := cut[victim.Ident].lc
	deadline := time.Now().Add(2 * time.Second)
	for i := 0; ; i++ {
		reply, err := lc.Exchange(fmt.Sprintf("cut-%d", i), 300*time.Millisecond)
		if err != nil {
			t.Logf("the connection to %s without inhibit got no answer (%v) %s after the failure", victim.Ident, err, ms(time.Since(t0)))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the connection to %s in a service without inhibit is still answered (%q) 2s after the server went down", victim.Ident, reply)
		}
	}
	if after := drops(t, env.d)["dest_unavailable"]; after <= before {
		t.Errorf("dest_unavailable drops %d -> %d while the cut connection sent to a removed server", before, after)
	}

	// New connections avoid the failed server in both services.
	for _, addr := range []string{heldAddr, cutAddr} {
		for i := range 4 {
			s := openLineSession(t, env.lab.Client, addr)
			if s.server == victim.Ident {
				t.Errorf("new connection %d to %s answered by %s, which is down", i, addr, victim.Ident)
			}
			s.lc.Close()
		}
	}
}

// openOnEvery opens long-lived connections from the client to the line
// echo service at addr until each real server holds one (round robin
// spreads them) and returns them by the server that answers.
func openOnEvery(t *testing.T, env *healthEnv, addr string) map[string]*lineSession {
	t.Helper()
	by := map[string]*lineSession{}
	for range 3 * len(env.realServers()) {
		if len(by) == len(env.realServers()) {
			return by
		}
		s := openLineSession(t, env.lab.Client, addr)
		if by[s.server] == nil {
			by[s.server] = s
		}
	}
	t.Fatalf("connections to %s reached only %v", addr, keys(by))
	return nil
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
