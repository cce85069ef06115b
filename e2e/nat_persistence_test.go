package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// persistVPort is the persistent rr service TestNATPersistenceSameServer
// adds for itself.
const persistVPort = 83

// TestNATPersistenceSameServer: connections from one client to a
// persistent service (persistence_timeout, ipvsadm -p) all reach the
// server the first one got, although rr alone would rotate them over the
// three servers.
func TestNATPersistenceSameServer(t *testing.T) {
	env := natLab(t)
	t.Cleanup(func() { env.restoreBase(t) })
	conf := env.base.clone()
	conf.Services = append(conf.Services, svcConf{Name: "sticky", Proto: "tcp", Port: persistVPort, Sched: "rr", RS: allServers(rsHTTPPort, 1)})
	// the renderer has no persistence key: add it under the service's scheduler
	yaml := strings.Replace(string(conf.YAML()), "    port: 83\n    scheduler: rr\n", "    port: 83\n    scheduler: rr\n    persistence_timeout: 300s\n", 1)
	if !strings.Contains(yaml, "persistence_timeout") {
		t.Fatal("the sticky service is not in the rendered configuration")
	}
	if _, err := env.d.reload([]byte(yaml), 10*time.Second); err != nil {
		t.Fatalf("reload adding the persistent service: %v", err)
	}
	remote := fmt.Sprintf("%s:%d", vip, persistVPort)
	var idents []string
	for range 6 {
		idents = append(idents, serverAnswering(t, env, ":0", remote))
	}
	for _, id := range idents {
		if id != idents[0] {
			t.Fatalf("connections of one client to a persistent service were answered by %v, want one server", idents)
		}
	}
	if env.lab.Server(idents[0]) == nil {
		t.Fatalf("answered %q, no server ident", idents[0])
	}
	// shown as IPVS shows it: the option after the scheduler, the
	// template in the connection listing (client port 0, state NONE)
	if out := govsctl(t, env.d, "list"); !strings.Contains(out, remote+" rr persistent 300\n") {
		t.Errorf("govsctl list does not show the service persistent:\n%s", out)
	}
	if out := govsctl(t, env.d, "save"); !strings.Contains(out, "-A -t "+remote+" -s rr -p 300\n") {
		t.Errorf("govsctl save lacks -p 300:\n%s", out)
	}
	out := govsctl(t, env.d, "conns", "-vip", remote, "-state", "NONE")
	if !strings.Contains(out, clientIP+":0 ") {
		t.Errorf("govsctl conns shows no template for %s:\n%s", clientIP, out)
	}
}

// groupVPort is the second port of TestNATPersistenceGroupAcrossPorts.
const groupVPort = 97

// TestNATPersistenceGroupAcrossPorts: two persistent services of the VIP
// in one persistence_group (what fwmark services give IPVS users) pin a
// client to one server across both ports.
func TestNATPersistenceGroupAcrossPorts(t *testing.T) {
	env := natLab(t)
	t.Cleanup(func() { env.restoreBase(t) })
	conf := env.base.clone()
	// the second lists its servers the other way round: alone, each
	// service's first pick would be another server
	reversed := allServers(rsHTTPPort, 1)
	slices.Reverse(reversed)
	conf.Services = append(conf.Services,
		svcConf{Name: "g1", Proto: "tcp", Port: persistVPort, Sched: "rr", RS: allServers(rsHTTPPort, 1)},
		svcConf{Name: "g2", Proto: "tcp", Port: groupVPort, Sched: "rr", RS: reversed})
	yaml := string(conf.YAML())
	for _, p := range []int{persistVPort, groupVPort} {
		at := fmt.Sprintf("    port: %d\n    scheduler: rr\n", p)
		yaml = strings.Replace(yaml, at, at+"    persistence_timeout: 300s\n    persistence_group: web-tls\n", 1)
	}
	if strings.Count(yaml, "persistence_group") != 2 {
		t.Fatalf("the grouped services are not in the rendered configuration:\n%s", yaml)
	}
	if _, err := env.d.reload([]byte(yaml), 10*time.Second); err != nil {
		t.Fatalf("reload adding the persistence group: %v", err)
	}
	var idents []string
	for i := range 6 {
		idents = append(idents, serverAnswering(t, env, ":0", fmt.Sprintf("%s:%d", vip, []int{persistVPort, groupVPort}[i%2])))
	}
	for _, id := range idents {
		if id != idents[0] {
			t.Fatalf("connections alternating between :%d and :%d of one persistence group were answered by %v, want one server", persistVPort, groupVPort, idents)
		}
	}
}
