package main

import (
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// vrrpSource is a daemon with one VRRP instance in a sync group, tracking
// a port and a script, and VRRP events.
type vrrpSource struct{ fakeSource }

func (vrrpSource) VRRP() []admin.VRRPInstance {
	return []admin.VRRPInstance{{Name: "VI_WAN", VRID: 51, Port: "wan", Version: 3, State: "MASTER", Since: time.Now().Add(-time.Minute),
		Priority: 130, ConfiguredPriority: 150, Master: "10.0.0.1", Addresses: []string{"10.0.0.100"}, Transitions: 2,
		AdvertsSent: 600, AdvertsReceived: 4, Rejected: map[string]uint64{"auth_data": 1}, Group: "G_NAT", GroupState: "MASTER",
		VMAC: "00:00:5e:00:01:33", Tracking: []admin.VRRPTracked{{Object: "port:lan", Up: true}, {Object: "script:chk_web", Weight: -20}}}}
}

func (vrrpSource) Subscribe(int) (<-chan admin.Event, func()) {
	ch := make(chan admin.Event, 1)
	ch <- admin.Event{Time: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC), Type: admin.EventVRRPState, Instance: "VI_WAN", Group: "G_NAT",
		From: "BACKUP", To: "MASTER", Priority: 150, Master: "10.0.0.1"}
	return ch, func() {}
}

func TestVRRPCommand(t *testing.T) {
	sock := daemon(t, vrrpSource{})
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-s", sock, "vrrp"}, []string{
			"VI_WAN    51    wan   v3   MASTER  1m0s   130 (150)  10.0.0.1  G_NAT MASTER",
			"VI_WAN: tracking: port:lan up, script:chk_web down (-20)\n",
			"VI_WAN: virtual MAC 00:00:5e:00:01:33\n",
			"VI_WAN: rejected adverts: auth_data 1; other VRIDs",
		}},
		{[]string{"-s", sock, "vrrp", "-json"}, []string{`"group": "G_NAT"`, `"object": "script:chk_web"`, `"vmac": "00:00:5e:00:01:33"`}},
		{[]string{"-s", sock, "events", "-n", "1"}, []string{"2026-12-02T10:00:00.000Z vrrp_state VI_WAN BACKUP->MASTER priority 150 master 10.0.0.1\n"}},
		{[]string{"-s", sock, "events", "-n", "1", "-json"}, []string{`"type":"vrrp_state"`, `"instance":"VI_WAN"`, `"from":"BACKUP"`, `"to":"MASTER"`}},
	} {
		code, out, errOut := runCtl(tc.args...)
		for _, w := range tc.want {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("govsctl %q: exit %d, stdout\n%s\nstderr %s\nwant %q", tc.args, code, out, errOut, w)
			}
		}
	}
}
