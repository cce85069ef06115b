package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/vrrp"
)

// TestHANATSyncGroupKill: with NAT, the VIP (VI_WAN) and the servers'
// gateway (VI_LAN) are one sync group on each director. Director 1, master
// of both, SIGKILLed: director 2 becomes master of both within 3 x advert
// + skew + 100 ms, the client loop is served again (the replies now go
// back through director 2: the gateway moved with the VIP, as the
// servers' neighbour entries for it show).
func TestHANATSyncGroupKill(t *testing.T) {
	env := haNATLab(t)
	env.restore(t)
	v := haV3()
	env.ensure(t, v)
	testKillMaster(t, env, v, "NAT")
	env.checkGatewayAt(t, 1)
}

// TestHANATSyncGroupFault: VI_LAN tracks the LAN port (weight 0). Director
// 1's LAN cable pulled: its VI_LAN goes FAULT, and the sync group takes
// VI_WAN to FAULT with it, so director 2 holds both addresses and the
// clients are served through it. Plugged back, director 1 leaves FAULT and
// takes both back (preempt).
//
// Director 2's VI_WAN hears director 1's priority-0 advert, but its group
// goes MASTER only once every member wants to (keepalived's
// vrrp_sync_can_goto_master): VI_LAN, cut off from director 1's adverts by
// the pulled cable, first waits out 3 x advert + skew. That is the bound.
func TestHANATSyncGroupFault(t *testing.T) {
	env := haNATLab(t)
	env.restore(t)
	v := haV3()
	v.TrackLAN = true
	env.ensure(t, v)
	lanTap := env.dirs[0].conf.Ports[1].Iface
	c := env.startClients(t)
	pulled := time.Now()
	if err := env.lab.SetDirectorLink(0, lanTap, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.lab.SetDirectorLink(0, lanTap, true) })
	bound := vrrp.MasterDownInterval(uint8(v.Version), uint8(v.Priority[1]), v.Interval) + haMargin
	var took time.Duration
	for _, name := range env.instances() {
		in := env.awaitT(t, 1, name, "MASTER", 5*time.Second)
		took = max(took, takeover(in, pulled))
	}
	lan := env.awaitT(t, 0, "VI_LAN", "FAULT", time.Second)
	wan := env.awaitT(t, 0, "VI_WAN", "FAULT", time.Second)
	if !lan.Fault || !wan.GroupFault || wan.Fault {
		t.Errorf("director 1 with its LAN link down: VI_LAN fault %v (want true: its own tracking), VI_WAN fault %v group fault %v (want false, true)",
			lan.Fault, wan.Fault, wan.GroupFault)
	}
	o := c.finish(t, pulled.Add(took))
	t.Logf("HA: NAT %s sync group after director 1's LAN link went down: director 1 FAULT after %s (VI_LAN own, VI_WAN by the group), director 2 MASTER of both after %s (bound %s); %v",
		v, ms(takeover(lan, pulled)), ms(took), ms(bound), o)
	if took > bound {
		t.Errorf("director 2 MASTER of both %s after director 1's LAN link went down, bound 3 x advert + skew + %v = %s", ms(took), haMargin, ms(bound))
	}
	env.checkGatewayAt(t, 1)

	plugged := time.Now()
	if err := env.lab.SetDirectorLink(0, lanTap, true); err != nil {
		t.Fatal(err)
	}
	took = 0
	for _, name := range env.instances() {
		in := env.awaitT(t, 0, name, "MASTER", 5*time.Second)
		took = max(took, takeover(in, plugged))
		env.awaitT(t, 1, name, "BACKUP", time.Second)
	}
	t.Logf("HA: NAT %s sync group: LAN link of director 1 back up, director 1 MASTER of both again after %s, director 2 BACKUP", v, ms(took))
	if _, err := env.get(); err != nil {
		t.Errorf("GET through the VIP after director 1 took both back: %v", err)
	}
}

// checkGatewayAt: every real server that has resolved the gateway has
// director i's LAN MAC for it.
func (e *haEnv) checkGatewayAt(t *testing.T, i int) {
	t.Helper()
	st, err := e.dirs[i].d.admin.Status()
	if err != nil {
		t.Fatal(err)
	}
	mac := ""
	for _, p := range st.Ports {
		if p.Name == "lan" {
			mac = p.MAC
		}
	}
	for _, s := range e.lab.Servers {
		out, err := s.NS.IP("neigh", "show", haGateway)
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(out) != "" && !strings.Contains(out, mac) {
			t.Errorf("%s's neighbour entry for the gateway %s: %q, want %s's LAN MAC %s", s.Ident, haGateway, strings.TrimSpace(out), e.dirs[i].name, mac)
		}
	}
}
