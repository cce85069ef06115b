package daemon

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/govs-project/govs/vrrp"
)

const vrrpBase = base + `
vrrp:
  instances:
    - {name: VI_1, vrid: 51, port: wan, priority: 150, auth_pass: secret, virtual_addresses: [10.0.0.100]}
    - {name: VI_2, vrid: 52, port: wan, version: 3, advert_interval: 100ms, state: MASTER, virtual_addresses: [10.0.0.101]}
`

const vrrpServices = `
  - {vip: 10.0.0.101, protocol: tcp, port: 80, scheduler: rr, real_servers: [{address: 10.1.0.12, port: 80}]}
`

func vrrpConfigYAML() string {
	// base's services list gets a second VIP for VI_2.
	return strings.Replace(vrrpBase, "\nvrrp:", vrrpServices+"vrrp:", 1)
}

func TestStandbyAddrs(t *testing.T) {
	c := parse(t, vrrpConfigYAML())
	a100, a101 := netip.MustParseAddr("10.0.0.100"), netip.MustParseAddr("10.0.0.101")
	for _, tc := range []struct {
		master map[string]bool
		want   []netip.Addr
	}{
		{nil, []netip.Addr{a100, a101}},
		{map[string]bool{"VI_1": true}, []netip.Addr{a101}},
		{map[string]bool{"VI_1": true, "VI_2": true}, nil},
	} {
		if got := standbyAddrs(c, tc.master); !slices.Equal(got, tc.want) {
			t.Errorf("standby with masters %v = %v, want %v", tc.master, got, tc.want)
		}
	}
}

func TestInstanceConfigMaps(t *testing.T) {
	c := parse(t, vrrpConfigYAML())
	ic, ifname, err := instanceConfig(c, c.VRRP.Instances[0])
	if err != nil || ifname != "govs-wan" || ic.VRID != 51 || ic.Machine.Priority != 150 || ic.Machine.Version != 2 ||
		ic.AuthType != vrrp.AuthPass || ic.AuthData != vrrp.PasswordData("secret") || ic.Machine.PrimaryAddr.String() != "10.0.0.1" ||
		ic.Machine.InitialState != vrrp.StateBackup {
		t.Fatalf("VI_1 mapped to %+v on %q, %v", ic, ifname, err)
	}
	ic, _, _ = instanceConfig(c, c.VRRP.Instances[1])
	if ic.Machine.Version != 3 || ic.Machine.InitialState != vrrp.StateMaster || ic.AuthType != 0 {
		t.Fatalf("VI_2 mapped to %+v", ic)
	}
}

// Becoming master takes the instance's addresses out of standby in a new
// snapshot and announces them; leaving master puts them back.
func TestVRRPHooksDriveTheDataplane(t *testing.T) {
	d, dp, _ := testDaemon(t, vrrpConfigYAML())
	d.vrrp = &vrrpRunner{master: map[string]bool{}}
	h := &vrrpHooks{d: d, r: d.vrrp, name: "VI_1", addrs: []netip.Addr{netip.MustParseAddr("10.0.0.100")}}
	h.BecomeMaster()
	dp.mu.Lock()
	standby, announced := dp.lastSpec.Standby, slices.Clone(dp.announced)
	dp.mu.Unlock()
	if slices.Contains(standby, h.addrs[0]) || !slices.Contains(standby, netip.MustParseAddr("10.0.0.101")) {
		t.Errorf("as master of VI_1, standby = %v", standby)
	}
	if !slices.Equal(announced, h.addrs) {
		t.Errorf("announced %v, want %v", announced, h.addrs)
	}
	h.Release(vrrp.StateBackup)
	dp.mu.Lock()
	standby = dp.lastSpec.Standby
	dp.mu.Unlock()
	if !slices.Contains(standby, h.addrs[0]) {
		t.Errorf("after leaving master, standby = %v", standby)
	}
}

func TestReloadRefusesVRRPChanges(t *testing.T) {
	d, _, path := testDaemon(t, vrrpConfigYAML())
	writeConfig(t, path, strings.Replace(vrrpConfigYAML(), "priority: 150", "priority: 120", 1))
	if err := d.Reload(); err == nil || !strings.Contains(err.Error(), "vrrp: changed") {
		t.Errorf("reload changing a VRRP priority: %v", err)
	}
}
