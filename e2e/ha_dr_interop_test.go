package e2e

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/vrrp"
)

// TestHADRKeepalivedInterop: one govsd director and Debian's keepalived
// 2.2.7 (in the lab's peer namespace, 10.0.0.5) in the same VRID on the
// client's segment, VRRPv3 at 100 ms:
//   - keepalived 200 preempts govsd 150; keepalived SIGKILLed, govsd is
//     MASTER within 3 x advert + skew + 100 ms;
//   - govsd 150 keeps keepalived 100 in BACKUP; govsd SIGKILLed,
//     keepalived is MASTER within its bound; govsd restarted takes back
//     (preempt) and keepalived goes BACKUP;
//   - equal priority: the two partitioned (VRRP dropped on the bridge) are
//     both MASTER; healed, the higher primary address stays MASTER, tried
//     both ways (director 1, 10.0.0.1, loses; director 2, 10.0.0.9, wins).
//
// Throughout, govsd rejects none of keepalived's adverts and keepalived's
// log has no complaint about govsd's.
func TestHADRKeepalivedInterop(t *testing.T) {
	env := haDRLab(t)
	env.restore(t)
	v := haV3()
	env.ensure(t, v)
	if err := env.stop(1); err != nil {
		t.Fatal(err)
	}
	peer := func(prio int) keepalivedPeer {
		return keepalivedPeer{Instance: "VI_WAN", Iface: "eth0", VRID: haVRIDWAN, Priority: prio, Version: v.Version, Interval: v.Interval, VIP: vip}
	}
	// alone makes director i (priority prio) the only govsd, MASTER.
	alone := func(t *testing.T, i, prio int) {
		t.Helper()
		w := v
		w.Priority[i] = prio
		want := env.yaml(i, w)
		if err := env.stop(1 - i); err != nil {
			t.Fatal(err)
		}
		if h := env.dirs[i]; h.d == nil || string(h.yaml) != string(want) {
			if err := env.stop(i); err != nil {
				t.Fatal(err)
			}
			if err := env.start(i, want); err != nil {
				t.Fatal(err)
			}
		}
		env.awaitT(t, i, "VI_WAN", "MASTER", 5*time.Second)
	}

	t.Run("keepalived_higher", func(t *testing.T) {
		alone(t, 0, 150)
		t.Cleanup(env.clearPeer) // after keepalived's own cleanup kills it
		k := peer(200).start(t, env.lab.Peer)
		if _, err := k.WaitLog("Entering MASTER STATE", 5*time.Second); err != nil {
			t.Fatal(err)
		}
		env.awaitT(t, 0, "VI_WAN", "BACKUP", 2*time.Second)
		killed := time.Now()
		k.Kill()
		in := env.awaitT(t, 0, "VI_WAN", "MASTER", 5*time.Second)
		took, bound := takeover(in, killed), vrrp.MasterDownInterval(uint8(v.Version), 150, v.Interval)+haMargin
		t.Logf("HA: interop keepalived 200 preempted govsd 150; keepalived SIGKILLed, govsd MASTER after %s (bound %s)", ms(took), ms(bound))
		if took > bound {
			t.Errorf("govsd took over %s after keepalived was killed, bound %s", ms(took), ms(bound))
		}
		env.checkInterop(t, 0, k, true)
	})

	t.Run("govsd_higher", func(t *testing.T) {
		alone(t, 0, 150)
		t.Cleanup(env.clearPeer)
		k := peer(100).start(t, env.lab.Peer)
		if _, err := k.WaitLog("Entering BACKUP STATE", 5*time.Second); err != nil {
			t.Fatal(err)
		}
		before := env.instance(t, 0, "VI_WAN")
		// Nothing to await: give keepalived five of its master-down
		// intervals to (wrongly) take over.
		watch := 5 * vrrp.MasterDownInterval(uint8(v.Version), 100, v.Interval)
		for end := time.Now().Add(watch); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if strings.Contains(k.Log(), "Entering MASTER STATE") {
				t.Fatalf("keepalived 100 became MASTER beside govsd 150:\n%s", k.Log())
			}
		}
		if in := env.instance(t, 0, "VI_WAN"); in.State != "MASTER" || in.Transitions != before.Transitions {
			t.Errorf("govsd with keepalived 100 beside it: %+v, was %+v", in, before)
		}
		env.checkInterop(t, 0, k, false) // a master hears no lower priority

		killed := env.kill(t, 0)
		at, err := k.WaitLog("Entering MASTER STATE", 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		took, bound := at.Sub(killed), vrrp.MasterDownInterval(uint8(v.Version), 100, v.Interval)+haMargin
		t.Logf("HA: interop govsd 150 kept keepalived 100 BACKUP; govsd SIGKILLed, keepalived MASTER after %s (bound %s)", ms(took), ms(bound))
		if took > bound {
			t.Errorf("keepalived took over %s after govsd was killed, bound %s", ms(took), ms(bound))
		}

		if err := env.start(0, env.yaml(0, v)); err != nil {
			t.Fatal(err)
		}
		in := env.awaitT(t, 0, "VI_WAN", "MASTER", 10*time.Second)
		if err := waitLogCount(k, "Entering BACKUP STATE", 2, 2*time.Second); err != nil {
			t.Error(err)
		}
		t.Logf("HA: interop govsd 150 restarted took back from keepalived 100 %s after its start", ms(takeover(in, env.dirs[0].started)))
		env.checkInterop(t, 0, k, true)
	})

	t.Run("equal_priority", func(t *testing.T) {
		for i := range env.dirs {
			addr := netip.MustParseAddr(haWANAddrs[i])
			govsdWins := addr.Compare(netip.MustParseAddr(haPeerIP)) > 0
			t.Run(fmt.Sprintf("govsd_%s", addr), func(t *testing.T) {
				alone(t, i, 150)
				block, err := netlab.BlockIPProtocol(env.lab.WAN, netlab.ProtoVRRP)
				if err != nil {
					t.Fatal(err)
				}
				defer block.Remove()
				t.Cleanup(env.clearPeer)
				k := peer(150).start(t, env.lab.Peer)
				if _, err := k.WaitLog("Entering MASTER STATE", 5*time.Second); err != nil {
					t.Fatal(err)
				}
				if in := env.instance(t, i, "VI_WAN"); in.State != "MASTER" {
					t.Fatalf("partitioned, govsd is %s, want both MASTER", in.State)
				}
				if err := block.Remove(); err != nil {
					t.Fatal(err)
				}
				healed := time.Now()
				var took time.Duration
				if govsdWins {
					if err := waitLogCount(k, "Entering BACKUP STATE", 2, 2*time.Second); err != nil {
						t.Fatal(err)
					}
					took = time.Since(healed)
					if in := env.instance(t, i, "VI_WAN"); in.State != "MASTER" {
						t.Errorf("govsd %s (higher address) is %s after the partition healed, want MASTER", addr, in.State)
					}
				} else {
					in := env.awaitT(t, i, "VI_WAN", "BACKUP", 2*time.Second)
					took = takeover(in, healed)
					if n := strings.Count(k.Log(), "Entering BACKUP STATE"); n != 1 {
						t.Errorf("keepalived (higher address) entered BACKUP %d times, want only at start", n)
					}
				}
				winner := "keepalived " + haPeerIP
				if govsdWins {
					winner = "govsd " + addr.String()
				}
				t.Logf("HA: interop equal priority 150, govsd %s vs keepalived %s: partitioned both MASTER; healed, %s stays MASTER, the other BACKUP after %s",
					addr, haPeerIP, winner, ms(took))
				// The winner may never hear the loser: its advert can
				// reach the loser first.
				env.checkInterop(t, i, k, !govsdWins)
			})
		}
	})
}

// checkInterop: govsd (director i) rejected none of keepalived's adverts
// (and, if heard, counted some valid), and keepalived complained about
// none of govsd's.
func (e *haEnv) checkInterop(t *testing.T, i int, k *netlab.Keepalived, heard bool) {
	t.Helper()
	in := e.instance(t, i, "VI_WAN")
	var rejected uint64
	for _, n := range in.Rejected {
		rejected += n
	}
	if rejected != 0 || (heard && in.AdvertsReceived == 0) {
		t.Errorf("%s's instance: %d adverts received, rejected %v (want keepalived's accepted, none rejected)", e.dirs[i].name, in.AdvertsReceived, in.Rejected)
	}
	if c := k.Complaints(); len(c) > 0 {
		t.Errorf("keepalived complained about govsd's adverts:\n%s", strings.Join(c, "\n"))
	}
}

// clearPeer takes off the VIP a killed keepalived leaves on its
// interface, and the client's neighbour entry for it.
func (e *haEnv) clearPeer() {
	e.lab.Peer.IP("addr", "del", vip+"/24", "dev", "eth0")
	e.lab.Client.IP("neigh", "flush", "dev", "eth0")
}

// waitLogCount waits until keepalived has logged s at least n times.
func waitLogCount(k *netlab.Keepalived, s string, n int, within time.Duration) error {
	for deadline := time.Now().Add(within); strings.Count(k.Log(), s) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("keepalived logged %q %d times within %v, want %d:\n%s", s, strings.Count(k.Log(), s), within, n, k.Log())
		}
	}
	return nil
}
