package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/vrrp"
)

// The VRRP setup: the NAT lab, govsd with one VRRPv3 instance (VRID 61,
// 100 ms adverts, priority 100) holding the VIP on its WAN port, and
// keepalived as the other router, in the client namespace on the other
// end of the WAN link.
const (
	vrrpVRID     = 61
	vrrpInterval = 100 * time.Millisecond
	vrrpMargin   = 200 * time.Millisecond // scheduling on this shared 2-core VM
)

type vrrpEnv struct {
	labEnv
	lab *netlab.NATLab
}

func vrrpLab(t *testing.T) *vrrpEnv {
	t.Helper()
	return acquire(t, "VRRP", func() (sharedEnv, error) { return startVRRPEnv() }).(*vrrpEnv)
}

func vrrpYAML(c govsdConf) []byte {
	return append(c.YAML(), fmt.Sprintf(`vrrp:
  instances:
    - {name: VI_61, vrid: %d, port: wan, version: 3, advert_interval: %v, priority: 100, virtual_addresses: [%s]}
`, vrrpVRID, vrrpInterval, vip)...)
}

func startVRRPEnv() (env *vrrpEnv, err error) {
	env = &vrrpEnv{labEnv: labEnv{kind: "VRRP"}}
	defer func() {
		if err != nil {
			env.close()
			env = nil
		}
	}()
	if env.dir, err = os.MkdirTemp("", tempPrefix(tag)+"vrrp-"); err != nil {
		return
	}
	prefix := tag + "v"
	env.base = baseConf(prefix, env.dir)
	env.base.Services = env.base.Services[:1] // web
	env.lab, err = netlab.NewNATLab(netlab.NATSpec{Prefix: prefix, ClientCIDR: clientCIDR, ClientGW: wanAddr,
		ServerCIDRs: slash24(serverIPs), ServerGW: lanAddr, HTTPPort: rsHTTPPort})
	if err != nil {
		return
	}
	env.hosts = &env.lab.Hosts
	// No first request: the VIP is standby until govsd is elected.
	err = env.startDaemon(vrrpYAML(env.base),
		func() error {
			return env.lab.AttachPorts(env.base.Ports[0].Iface, env.base.Ports[1].Iface, 5*time.Second)
		},
		serverIPs, nil)
	return
}

func (e *vrrpEnv) instance(t *testing.T) admin.VRRPInstance {
	t.Helper()
	body, err := e.d.admin.Do(http.MethodGet, "/v1/vrrp")
	var ins []admin.VRRPInstance
	if err == nil {
		err = json.Unmarshal(body, &ins)
	}
	if err != nil || len(ins) != 1 {
		t.Fatalf("govsctl vrrp: %v %s", err, body)
	}
	return ins[0]
}

// waitVRRPState polls govsd's instance until it is in state; it returns
// when it saw it.
func (e *vrrpEnv) waitVRRPState(t *testing.T, state string, within time.Duration) time.Time {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(5 * time.Millisecond) {
		if in := e.instance(t); in.State == state {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("govsd's instance not %s within %v: %+v", state, within, e.instance(t))
		}
	}
}

// startPeer runs keepalived in ns on ifname: VRID 61, VRRPv3, the same
// VIP, priority prio.
func startPeer(t *testing.T, ns *netlab.NS, ifname string, prio int) *netlab.Keepalived {
	t.Helper()
	return keepalivedPeer{Instance: "VI_61", Iface: ifname, VRID: vrrpVRID, Priority: prio, Version: 3, Interval: vrrpInterval, VIP: vip}.start(t, ns)
}

// TestVRRPWithKeepalived: govsd alone becomes MASTER and serves the VIP;
// keepalived with a higher priority on the same link preempts it (govsd
// BACKUP: the VIP's traffic reaching govsd is dropped as vip_standby and
// nothing is forwarded); keepalived killed, govsd is MASTER within
// 3 x advert + skew and serves the VIP again. Both sides accept the
// other's adverts: no rejects counted, no complaint in keepalived's log.
func TestVRRPWithKeepalived(t *testing.T) {
	env := vrrpLab(t)
	client := env.lab.Client
	clientIf := env.base.Ports[0].Iface // the WAN tap's kernel side, in the client namespace

	env.waitVRRPState(t, "MASTER", 5*time.Second)
	if _, err := netlab.HTTPGetNewConn(client, "http://"+vip+"/", 5*time.Second); err != nil {
		t.Fatalf("GET through the VIP with govsd MASTER: %v", err)
	}

	k := startPeer(t, client, clientIf, 200)
	if _, err := k.WaitLog("Entering MASTER STATE", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	env.waitVRRPState(t, "BACKUP", 2*time.Second)
	// keepalived put the VIP on the client's interface; take it off, so
	// the client's requests go to govsd, now a backup.
	if _, err := client.IP("addr", "del", vip+"/24", "dev", clientIf); err != nil {
		t.Fatal(err)
	}
	before, err := env.d.counters()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := netlab.HTTPGetNewConn(client, "http://"+vip+"/", 500*time.Millisecond); err == nil {
		t.Errorf("a GET through the VIP was served while govsd was BACKUP")
	}
	after, _ := env.d.counters()
	if d := after["stats.drops.vip_standby"] - before["stats.drops.vip_standby"]; d < 1 {
		t.Errorf("vip_standby drops moved by %v while govsd was BACKUP, want >= 1", d)
	}

	killed := time.Now()
	k.Kill()
	took := env.waitVRRPState(t, "MASTER", 3*time.Second).Sub(killed)
	bound := vrrp.MasterDownInterval(3, 100, vrrpInterval)
	t.Logf("govsd took over %v after keepalived was killed (bound 3 x advert + skew = %v, + margin %v)", took.Round(time.Millisecond), bound, vrrpMargin)
	if took > bound+vrrpMargin {
		t.Errorf("takeover took %v, bound %v + %v", took, bound, vrrpMargin)
	}
	// keepalived re-adds an address removed under it; killed, it leaves it
	// behind: take it off again (and the client's stale neighbour entry).
	client.IP("addr", "del", vip+"/24", "dev", clientIf)
	client.IP("neigh", "flush", "dev", clientIf)
	if _, err := netlab.HTTPGetNewConn(client, "http://"+vip+"/", 5*time.Second); err != nil {
		t.Errorf("GET through the VIP after govsd took over: %v", err)
	}
	in := env.instance(t)
	var rejected uint64
	for _, n := range in.Rejected {
		rejected += n
	}
	if rejected != 0 || in.AdvertsReceived == 0 || in.Transitions < 3 {
		t.Errorf("govsd's instance after the exchange: %+v (want keepalived's adverts accepted, none rejected)", in)
	}
	if c := k.Complaints(); len(c) > 0 {
		t.Errorf("keepalived complained about govsd's adverts:\n%s", strings.Join(c, "\n"))
	}
}
