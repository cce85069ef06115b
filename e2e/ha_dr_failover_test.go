package e2e

import (
	"testing"
	"time"

	"github.com/govs-project/govs/vrrp"
)

// TestHADRKillMaster: director 1, MASTER, is SIGKILLed while the client
// loop runs and a long-lived connection is open; director 2 is MASTER
// within 3 x advert + skew + 100 ms (VRRPv3 at 100 ms and VRRPv2 at 1 s),
// new requests are served (by the servers straight back to the client),
// and the failed requests, the outage and the long-lived connection's
// fate are reported (connection sync is a later issue: it may break).
func TestHADRKillMaster(t *testing.T) {
	for _, v := range []haVRRP{haV3(), haV2()} {
		t.Run(v.String(), func(t *testing.T) {
			env := haDRLab(t)
			env.restore(t)
			env.ensure(t, v)
			testKillMaster(t, env, v, "DR")
		})
	}
}

func testKillMaster(t *testing.T, env *haEnv, v haVRRP, mode string) {
	c := env.startClients(t)
	killed := env.kill(t, 0)
	bound := vrrp.MasterDownInterval(uint8(v.Version), uint8(v.Priority[1]), v.Interval) + haMargin
	took := time.Duration(0)
	for _, name := range env.instances() {
		in := env.awaitT(t, 1, name, "MASTER", bound+5*time.Second)
		d := takeover(in, killed)
		t.Logf("HA: %s %s %s takeover after SIGKILL %s (bound %s)", mode, v, name, ms(d), ms(bound))
		if d > bound {
			t.Errorf("%s: director 2 MASTER %s after director 1 was killed, bound 3 x advert + skew + %v = %s", name, ms(d), haMargin, ms(bound))
		}
		took = max(took, d)
	}
	o := c.finish(t, killed.Add(took))
	t.Logf("HA: %s %s takeover after SIGKILL %s (bound %s); %v", mode, v, ms(took), ms(bound), o)
}

// TestHADRGracefulStop: director 1 stopped with SIGTERM sends priority 0,
// so director 2 takes over after only its skew time (+ 100 ms).
func TestHADRGracefulStop(t *testing.T) {
	env := haDRLab(t)
	env.restore(t)
	v := haV3()
	env.ensure(t, v)
	c := env.startClients(t)
	stopped, exited := env.terminate(t, 0)
	in := env.awaitT(t, 1, "VI_WAN", "MASTER", 5*time.Second)
	took := takeover(in, stopped)
	bound := vrrp.SkewTime(uint8(v.Version), uint8(v.Priority[1]), v.Interval) + haMargin
	o := c.finish(t, stopped.Add(took))
	exited()
	t.Logf("HA: DR %s takeover after SIGTERM %s (bound skew + %v = %s); %v", v, ms(took), haMargin, ms(bound), o)
	if took > bound {
		t.Errorf("director 2 MASTER %s after director 1's SIGTERM, bound %s", ms(took), ms(bound))
	}
}

// TestHADRRecovery: director 1 killed, director 2 takes over; director 1
// restarted takes the VIP back with preempt (director 2 BACKUP again) and
// stays BACKUP with nopreempt while director 2 keeps advertising.
func TestHADRRecovery(t *testing.T) {
	t.Run("preempt", func(t *testing.T) {
		env := haDRLab(t)
		env.restore(t)
		v := haV3()
		env.ensure(t, v)
		env.kill(t, 0)
		env.awaitT(t, 1, "VI_WAN", "MASTER", 5*time.Second)
		if err := env.start(0, env.yaml(0, v)); err != nil {
			t.Fatal(err)
		}
		in := env.awaitT(t, 0, "VI_WAN", "MASTER", 10*time.Second)
		env.awaitT(t, 1, "VI_WAN", "BACKUP", time.Second)
		t.Logf("HA: DR %s recovery with preempt: restarted director 1 MASTER %s after its start (EAL and ports included; master-down %s), director 2 BACKUP",
			v, ms(takeover(in, env.dirs[0].started)), ms(vrrp.MasterDownInterval(uint8(v.Version), uint8(v.Priority[0]), v.Interval)))
		if _, err := env.get(); err != nil {
			t.Errorf("GET through the VIP after director 1 took it back: %v", err)
		}
	})
	t.Run("nopreempt", func(t *testing.T) {
		env := haDRLab(t)
		env.restore(t)
		v := haV3()
		v.Nopreempt[0] = true
		env.ensure(t, v)
		env.kill(t, 0)
		env.awaitT(t, 1, "VI_WAN", "MASTER", 5*time.Second)
		if err := env.start(0, env.yaml(0, v)); err != nil {
			t.Fatal(err)
		}
		env.awaitT(t, 0, "VI_WAN", "BACKUP", 5*time.Second)
		before := env.instance(t, 1, "VI_WAN")
		// Nothing to await: watch for five master-down intervals, long
		// enough for a preempting director to have taken over.
		watch := 5 * vrrp.MasterDownInterval(uint8(v.Version), uint8(v.Priority[0]), v.Interval)
		for end := time.Now().Add(watch); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if in := env.instance(t, 0, "VI_WAN"); in.State != "BACKUP" {
				t.Fatalf("director 1 (nopreempt) left BACKUP: %+v", in)
			}
		}
		one, two := env.instance(t, 0, "VI_WAN"), env.instance(t, 1, "VI_WAN")
		if two.State != "MASTER" || two.Transitions != before.Transitions || one.AdvertsReceived == 0 {
			t.Errorf("after %s: director 1 %+v, director 2 %+v (want 2 MASTER throughout, 1 hearing it)", ms(watch), one, two)
		}
		t.Logf("HA: DR %s recovery with nopreempt: restarted director 1 BACKUP for %s, hearing %d adverts from director 2, which stayed MASTER",
			v, ms(watch), one.AdvertsReceived)
		if _, err := env.get(); err != nil {
			t.Errorf("GET through the VIP with director 2 MASTER: %v", err)
		}
	})
}
