package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab/netlabtest"
)

// badField is the field the invalid configurations get wrong: a weight
// above 65535.
const badField = "services[0].real_servers[0].weight"

func withBadWeight(c govsdConf) govsdConf {
	c = c.clone()
	c.Services[0].RS[0].Weight = 100000
	return c
}

// TestNATBadConfigRejected: govsd refuses to start on an invalid file,
// naming the field and leaving no tap behind; a SIGHUP with an invalid
// file keeps the running configuration.
func TestNATBadConfigRejected(t *testing.T) {
	t.Run("start", func(t *testing.T) {
		requireEnv(t)
		dir := t.TempDir()
		conf := baseConf(tag, dir)
		conf.FilePrefix, conf.Ports[0].Iface, conf.Ports[1].Iface = tag+"b", tag+"x", tag+"y"
		conf.Socket = dir + "/bad.sock"
		ns := netlabtest.NewNS(t, tag+"bd")
		g, err := startGovsd(ns, dir, "bad.yaml", withBadWeight(conf).YAML(), conf.Socket)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.stop() })
		if !g.proc.Exited(30 * time.Second) {
			t.Fatalf("govsd still running 30s after start with an invalid config:\n%s", g.proc.Output())
		}
		out := g.proc.Output()
		if code := g.proc.ExitCode(); code == 0 {
			t.Errorf("govsd exited 0 on an invalid config:\n%s", out)
		}
		if !strings.Contains(out, badField) {
			t.Errorf("govsd's output does not name %s:\n%s", badField, out)
		}
		for _, name := range conf.taps() {
			if ns.LinkExists(name) {
				t.Errorf("tap %s left behind after a refused start", name)
			}
		}
	})

	t.Run("reload", func(t *testing.T) {
		env := natLab(t)
		before, err := env.d.generation()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { writeFileAtomic(env.d.cfgPath, env.base.YAML()) })
		logged := len(env.d.proc.Output())
		if err := writeFileAtomic(env.d.cfgPath, withBadWeight(env.base).YAML()); err != nil {
			t.Fatal(err)
		}
		if err := env.d.proc.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		// The refusal is logged with the reason; that also tells us the
		// SIGHUP has been handled.
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(env.d.proc.Output()[logged:], badField) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if !strings.Contains(env.d.proc.Output()[logged:], badField) {
			t.Errorf("no log naming %s within 10s of the SIGHUP:\n%s", badField, env.d.proc.Output()[logged:])
		}
		if gen, err := env.d.generation(); err != nil || gen != before {
			t.Fatalf("generation %d -> %d (err %v) after an invalid reload, want unchanged", before, gen, err)
		}
		svcs, err := env.d.admin.Services()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range svcs {
			for _, rs := range s.RealServers {
				if rs.Weight > 65535 {
					t.Errorf("invalid weight applied: %s %+v", s.Name, rs)
				}
			}
		}
		if res := getMany(env.lab.Client, "http://"+vip+":80/", 10, 2, 30*time.Second); len(res.errs) > 0 {
			t.Errorf("traffic after a refused reload: %d failed:%s", len(res.errs), res.firstErrors())
		}
		// A valid reload afterwards is the next generation.
		gen, err := env.d.reload(env.base.YAML(), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if gen != before+1 {
			t.Errorf("valid reload after a refused one: generation %d, want %d", gen, before+1)
		}
	})
}
