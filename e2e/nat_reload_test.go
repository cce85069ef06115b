package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// TestNATLongLivedSurvivesReload: a TCP connection opened before a SIGHUP
// reload (new weights, one more service) keeps working, answered by the
// same real server; new connections work too and the new service exists.
func TestNATLongLivedSurvivesReload(t *testing.T) {
	env := natLab(t)
	echoAddr := fmt.Sprintf("%s:%d", vip, rsEchoPort)
	s := openLineSession(t, env.lab.Client, echoAddr)
	s.say("before")

	conf := env.base.clone()
	conf.service("web").RS = allServers(rsHTTPPort, 3, 2, 1)
	conf.Services = append(conf.Services, svcConf{Name: "extra", Proto: "tcp", Port: 8443, Sched: "rr", RS: allServers(rsHTTPPort, 1)})
	before, err := env.d.generation()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.restoreBase(t) })
	gen, err := env.d.reload(conf.YAML(), 10*time.Second)
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	t.Logf("generation %d -> %d", before, gen)

	for i := range 3 {
		s.say(fmt.Sprintf("after-%d", i))
	}

	svcs, err := env.d.admin.Services()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(svcs, func(s admin.Service) bool { return s.Port == 8443 && s.Protocol == "tcp" }) {
		t.Errorf("service on port 8443 missing after reload: %+v", svcs)
	}
	for _, url := range []string{"http://" + vip + ":80/", "http://" + vip + ":8443/"} {
		if res := getMany(env.lab.Client, url, 6, 2, 30*time.Second); len(res.errs) > 0 {
			t.Errorf("new connections to %s after reload: %d failed:%s", url, len(res.errs), res.firstErrors())
		}
	}
	lc2, err := netlab.DialLine(env.lab.Client, echoAddr, 5*time.Second)
	if err != nil {
		t.Fatalf("new echo connection after reload: %v", err)
	}
	defer lc2.Close()
	if got := exchange(t, lc2, "new"); !strings.HasSuffix(got, ":new") {
		t.Errorf("new echo connection answered %q", got)
	}
}
