package e2e

import (
	"fmt"
	"testing"
	"time"
)

// hashVPort is the service TestNATHashSchedulers adds for itself.
const hashVPort = 84

// hashClients are extra addresses of the client, one per simulated client
// (the hash schedulers hash the source address).
func hashClients(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("10.0.0.%d", 150+i)
	}
	return out
}

// TestNATHashSchedulers: with sh every connection of a client address goes
// to one server whatever its source port; with mh too, and when one of the
// three servers leaves (a reload), only its clients move: the others keep
// their server (Maglev's minimal disruption).
func TestNATHashSchedulers(t *testing.T) {
	env := natLab(t)
	t.Cleanup(func() { env.restoreBase(t) })
	clients := hashClients(30)
	link := env.base.Ports[0].Iface // the wan tap, the client's link
	for _, a := range clients {
		if _, err := env.lab.Client.IP("addr", "add", a+"/24", "dev", link); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, a := range clients {
			env.lab.Client.IP("addr", "del", a+"/24", "dev", link)
		}
	})
	remote := fmt.Sprintf("%s:%d", vip, hashVPort)
	apply := func(sched string, servers []string) {
		t.Helper()
		conf := env.base.clone()
		conf.Services = append(conf.Services, svcConf{Name: "hash", Proto: "tcp", Port: hashVPort, Sched: sched, RS: realServers(servers, rsHTTPPort, "nat", 1)})
		if _, err := env.d.reload(conf.YAML(), 10*time.Second); err != nil {
			t.Fatalf("reload with %s over %v: %v", sched, servers, err)
		}
	}
	// serverOf connects twice from each client address (two source ports)
	// and returns the server that answered both; it fails the test if they
	// differ.
	serverOf := func(sched string) map[string]string {
		t.Helper()
		got := map[string]string{}
		for _, a := range clients {
			var seen []string
			for range 2 {
				seen = append(seen, serverAnswering(t, env, a+":0", remote))
			}
			if seen[0] != seen[1] {
				t.Fatalf("%s: two connections from %s went to %v: the source address must pick the server", sched, a, seen)
			}
			got[a] = seen[0]
		}
		return got
	}
	spread := func(m map[string]string) int {
		servers := map[string]bool{}
		for _, s := range m {
			servers[s] = true
		}
		return len(servers)
	}

	apply("sh", serverIPs)
	if n := spread(serverOf("sh")); n < 2 {
		t.Errorf("sh sent 30 client addresses to %d server(s), want them spread", n)
	}

	apply("mh", serverIPs)
	before := serverOf("mh")
	if n := spread(before); n < 2 {
		t.Errorf("mh sent 30 client addresses to %d server(s), want them spread", n)
	}
	gone := env.lab.Servers[2] // rs3 leaves
	apply("mh", serverIPs[:2])
	after := serverOf("mh")
	kept, moved := 0, 0
	for _, a := range clients {
		switch {
		case after[a] == gone.Ident:
			t.Errorf("%s still answered by %s after it left", a, gone.Ident)
		case before[a] == gone.Ident:
		case after[a] == before[a]:
			kept++
		default:
			moved++
		}
	}
	t.Logf("mh: %s left; of the clients on the other two servers %d kept theirs, %d moved", gone.Ident, kept, moved)
	if moved > (kept+moved)/10 {
		t.Errorf("mh: %d of %d clients of the remaining servers moved when %s left, want at most a tenth", moved, kept+moved, gone.Ident)
	}
}
