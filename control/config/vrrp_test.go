package config

import (
	"strings"
	"testing"
	"time"
)

// vrrpInstance is a valid instance over base's wan port and VIP.
func vrrpInstance() map[string]any {
	return map[string]any{"name": "VI_1", "vrid": 51, "port": "wan", "virtual_addresses": []any{"10.0.0.100"}}
}

// lanInstance is a valid instance holding a floating address (the real
// servers' gateway) on base's lan port.
func lanInstance() map[string]any {
	return map[string]any{"name": "VI_LAN", "vrid": 52, "port": "lan", "virtual_addresses": []any{"10.1.0.254"}}
}

func chkScript() map[string]any {
	return map[string]any{"name": "chk", "script": "true", "weight": -20}
}

func TestVRRPDefaults(t *testing.T) {
	c, err := parseWith(t, set{"vrrp.instances", []any{vrrpInstance()}}, set{"vrrp.scripts", []any{map[string]any{"name": "chk", "script": "true", "interval": "2s"}}})
	if err != nil {
		t.Fatal(err)
	}
	in := c.VRRP.Instances[0]
	if in.Version != 2 || in.Priority != 100 || in.AdvertInterval != time.Second || in.State != "BACKUP" || in.VRID != 51 ||
		len(in.VirtualAddresses) != 1 || in.VirtualAddresses[0].String() != "10.0.0.100" {
		t.Fatalf("instance %+v", in)
	}
	// keepalived's gratuitous ARP defaults; dataplane tracking is on.
	if in.GARP != (GARP{Delay: 5 * time.Second, Repeat: 5, Refresh: 0, RefreshRepeat: 1}) || !in.TrackDataplane || in.UseVMAC {
		t.Errorf("garp %+v, track_dataplane %v, use_vmac %v", in.GARP, in.TrackDataplane, in.UseVMAC)
	}
	if c.VRRP.NotifyTimeout != 10*time.Second {
		t.Errorf("notify_timeout %v", c.VRRP.NotifyTimeout)
	}
	// A script's timeout defaults to its interval, rise and fall to 1.
	if s := c.VRRP.Scripts[0]; s.Interval != 2*time.Second || s.Timeout != 2*time.Second || s.Rise != 1 || s.Fall != 1 || s.Weight != 0 || s.InitFail {
		t.Errorf("script %+v", s)
	}
}

// Every key of the section, as the contract spells it.
func TestVRRPEveryKey(t *testing.T) {
	wan := vrrpInstance()
	for k, v := range map[string]any{
		"version": 3, "priority": 150, "advert_interval": "100ms", "state": "MASTER", "preempt_delay": "0s",
		"unicast_peers": []any{"10.0.0.3"}, "use_vmac": true, "garp_master_delay": "2s", "garp_master_repeat": 3,
		"garp_master_refresh": "60s", "garp_master_refresh_repeat": 2,
		"track_port":      []any{map[string]any{"port": "lan"}},
		"track_script":    []any{map[string]any{"name": "chk"}, map[string]any{"name": "chk2", "weight": 10}},
		"track_dataplane": false,
		"notify_master":   "m", "notify_backup": "b", "notify_fault": "f", "notify_stop": "s", "notify": "g",
	} {
		wan[k] = v
	}
	lan := lanInstance()
	lan["nopreempt"], lan["auth_pass"] = true, "secret"
	c, err := parseWith(t,
		set{"vrrp.notify_timeout", "3s"},
		set{"vrrp.scripts", []any{chkScript(), map[string]any{"name": "chk2", "script": "exit 0", "interval": "500ms", "timeout": "200ms", "rise": 2, "fall": 3, "init_fail": true}}},
		set{"vrrp.instances", []any{wan, lan}},
		set{"vrrp.sync_groups", []any{map[string]any{"name": "G", "instances": []any{"VI_LAN"}, "notify_master": "gm", "notify": "gg"}}})
	if err != nil {
		t.Fatal(err)
	}
	in := c.VRRP.Instances[0]
	if in.Version != 3 || in.AdvertInterval != 100*time.Millisecond || !in.UseVMAC || in.TrackDataplane ||
		in.GARP != (GARP{Delay: 2 * time.Second, Repeat: 3, Refresh: time.Minute, RefreshRepeat: 2}) {
		t.Errorf("wan instance %+v", in)
	}
	// track_script without a weight takes the script's.
	if len(in.TrackScripts) != 2 || in.TrackScripts[0] != (TrackScript{"chk", -20}) || in.TrackScripts[1] != (TrackScript{"chk2", 10}) {
		t.Errorf("track_script %+v", in.TrackScripts)
	}
	if len(in.TrackPorts) != 1 || in.TrackPorts[0] != (TrackPort{"lan", 0}) {
		t.Errorf("track_port %+v", in.TrackPorts)
	}
	if in.Notify != (VRRPNotify{Master: "m", Backup: "b", Fault: "f", Stop: "s", Generic: "g"}) {
		t.Errorf("notify %+v", in.Notify)
	}
	if s := c.VRRP.Scripts[1]; s.Timeout != 200*time.Millisecond || s.Rise != 2 || s.Fall != 3 || !s.InitFail {
		t.Errorf("script %+v", s)
	}
	g := c.VRRP.SyncGroups[0]
	if g.Name != "G" || len(g.Instances) != 1 || g.Notify.Master != "gm" || g.Notify.Generic != "gg" || c.VRRP.NotifyTimeout != 3*time.Second {
		t.Errorf("sync group %+v, notify_timeout %v", g, c.VRRP.NotifyTimeout)
	}
}

// A floating address (no service VIP) is a valid virtual address.
func TestVRRPFloatingAddress(t *testing.T) {
	if _, err := parseWith(t, set{"vrrp.instances", []any{vrrpInstance(), lanInstance()}}); err != nil {
		t.Fatal(err)
	}
}

func TestVRRPErrors(t *testing.T) {
	with := func(kv ...any) []any {
		m := vrrpInstance()
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return []any{m}
	}
	renamed := func(m map[string]any, name string) map[string]any { m["name"] = name; return m }
	group := func(members ...any) []set {
		return []set{
			{"vrrp.instances", []any{vrrpInstance(), lanInstance()}},
			{"vrrp.sync_groups", []any{map[string]any{"name": "G", "instances": members}}},
		}
	}
	inst := func(list ...any) []set { return []set{{"vrrp.instances", list}} }
	withScripts := func(scripts []any, list ...any) []set {
		return []set{{"vrrp.scripts", scripts}, {"vrrp.instances", list}}
	}
	tracking := func(kv ...any) []any { return with(kv...) }
	for _, tc := range []struct {
		name string
		sets []set
		want string
	}{
		{"no port", inst(with("port", "dmz")...), `vrrp.instances[0].port: no port named "dmz"`},
		{"vrid range", inst(with("vrid", 256)...), `vrrp.instances[0].vrid: must be between 1 and 255 (keepalived's virtual_router_id), got 256`},
		{"version", inst(with("version", 4)...), `vrrp.instances[0].version: must be 2 or 3, got 4`},
		{"v2 interval", inst(with("advert_interval", "1500ms")...), `vrrp.instances[0].advert_interval: version 2 takes whole seconds 1s..255s, got 1.5s`},
		{"v3 interval", inst(with("version", 3, "advert_interval", "15ms")...), `vrrp.instances[0].advert_interval: version 3 takes 10ms steps 10ms..40.95s, got 15ms`},
		{"v3 auth", inst(with("version", 3, "auth_pass", "x")...), `vrrp.instances[0].auth_pass: version 3 has no authentication`},
		{"state", inst(with("state", "LEADER")...), `vrrp.instances[0].state: must be BACKUP or MASTER, got "LEADER"`},
		{"long password", inst(with("auth_pass", "123456789")...), `vrrp.instances[0].auth_pass: at most 8 characters are sent`},
		{"preempt delay", inst(with("preempt_delay", "1001s")...), `vrrp.instances[0].preempt_delay: must be between 0s and 1000s, got 16m41s`},
		{"port address", inst(with("virtual_addresses", []any{"10.0.0.1"})...), `vrrp.instances[0].virtual_addresses[0]: 10.0.0.1 is the address of port wan`},
		{"other port's address", inst(with("virtual_addresses", []any{"10.1.0.1"})...), `vrrp.instances[0].virtual_addresses[0]: 10.1.0.1 is the address of port lan`},
		{"other subnet", inst(with("virtual_addresses", []any{"10.1.0.100"})...), `vrrp.instances[0].virtual_addresses[0]: 10.1.0.100 is not in port wan's subnet 10.0.0.0/24`},
		{"gateway", append(inst(with("virtual_addresses", []any{"10.0.0.254"})...), set{"ports[0].gateway", "10.0.0.254"}), `vrrp.instances[0].virtual_addresses[0]: 10.0.0.254 is port wan's gateway`},
		{"listed twice", inst(with("virtual_addresses", []any{"10.0.0.100", "10.0.0.100"})...), `vrrp.instances[0].virtual_addresses[1]: 10.0.0.100 is listed twice`},
		{"two owners", inst(vrrpInstance(), renamed(func() map[string]any { m := vrrpInstance(); m["vrid"] = 52; return m }(), "VI_2")), `vrrp.instances[1].virtual_addresses[0]: 10.0.0.100 already belongs to instance VI_1`},
		{"bad address", inst(with("unicast_peers", []any{"ten"})...), `vrrp.instances[0].unicast_peers[0]: "ten" is not an IPv4 address like 10.0.0.1`},
		{"unknown key", inst(with("virtual_router", 1)...), `vrrp.instances[0].virtual_router: unknown key`},
		{"no addresses", inst(with("virtual_addresses", []any{})...), `vrrp.instances[0].virtual_addresses: required: at least one address`},
		{"nopreempt master", inst(with("nopreempt", true, "state", "MASTER")...), `vrrp.instances[0].nopreempt: needs state BACKUP`},
		{"same VRID twice", inst(vrrpInstance(), renamed(vrrpInstance(), "VI_2")), `vrrp.instances[1].vrid: VRID 51 is already used on port wan by instance VI_1`},
		{"same name twice", inst(vrrpInstance(), renamed(lanInstance(), "VI_1")), `vrrp.instances[1].name: "VI_1" is already the name of another instance`},
		{"no name", inst(renamed(vrrpInstance(), "")), `vrrp.instances[0].name: required`},
		{"no vrid", inst(with("vrid", nil)...), `vrrp.instances[0].vrid: must be between 1 and 255 (keepalived's virtual_router_id), got 0`},
		{"priority", inst(with("priority", 256)...), `vrrp.instances[0].priority: must be between 1 and 255, got 256`},

		{"garp delay", inst(with("garp_master_delay", "-1s")...), `vrrp.instances[0].garp_master_delay: must be between 0s (no second batch) and 1h0m0s, got -1s`},
		{"garp repeat 0", inst(with("garp_master_repeat", 0)...), `vrrp.instances[0].garp_master_repeat: must be between 1 and 100, got 0`},
		{"garp repeat", inst(with("garp_master_repeat", 101)...), `vrrp.instances[0].garp_master_repeat: must be between 1 and 100, got 101`},
		{"garp refresh", inst(with("garp_master_refresh", "500ms")...), `vrrp.instances[0].garp_master_refresh: must be 0s (off) or between 1s and 24h0m0s, got 500ms`},
		{"garp refresh repeat", inst(with("garp_master_refresh_repeat", 0)...), `vrrp.instances[0].garp_master_refresh_repeat: must be between 1 and 100, got 0`},
		{"use_vmac type", inst(with("use_vmac", "yes")...), `vrrp.instances[0].use_vmac: must be true or false, got string "yes"`},

		{"track unknown port", inst(tracking("track_port", []any{map[string]any{"port": "dmz"}})...), `vrrp.instances[0].track_port[0].port: no port named "dmz"`},
		{"track port missing", inst(tracking("track_port", []any{map[string]any{"weight": 1}})...), `vrrp.instances[0].track_port[0].port: required`},
		{"track port twice", inst(tracking("track_port", []any{map[string]any{"port": "lan"}, map[string]any{"port": "lan", "weight": 5}})...), `vrrp.instances[0].track_port[1].port: port lan is already tracked`},
		{"track port weight", inst(tracking("track_port", []any{map[string]any{"port": "lan", "weight": -254}})...), `vrrp.instances[0].track_port[0].weight: must be between -253 and 253, got -254`},
		{"track port key", inst(tracking("track_port", []any{map[string]any{"port": "lan", "reverse": true}})...), `vrrp.instances[0].track_port[0].reverse: unknown key`},
		{"track unknown script", withScripts([]any{chkScript()}, tracking("track_script", []any{map[string]any{"name": "nope"}})...), `vrrp.instances[0].track_script[0].name: no script named "nope" in vrrp.scripts`},
		{"track script twice", withScripts([]any{chkScript()}, tracking("track_script", []any{map[string]any{"name": "chk"}, map[string]any{"name": "chk"}})...), `vrrp.instances[0].track_script[1].name: script chk is already tracked`},
		{"track script weight", withScripts([]any{chkScript()}, tracking("track_script", []any{map[string]any{"name": "chk", "weight": 254}})...), `vrrp.instances[0].track_script[0].weight: must be between -253 and 253, got 254`},
		{"track dataplane type", inst(with("track_dataplane", 1)...), `vrrp.instances[0].track_dataplane: must be true or false, got integer 1`},
		{"notify type", inst(with("notify", []any{"x"})...), `vrrp.instances[0].notify: must be a string, got a list`},

		{"script no name", withScripts([]any{map[string]any{"script": "true"}}), `vrrp.scripts[0].name: required`},
		{"script twice", withScripts([]any{chkScript(), chkScript()}), `vrrp.scripts[1].name: "chk" is already the name of another script`},
		{"script no command", withScripts([]any{map[string]any{"name": "chk"}}), `vrrp.scripts[0].script: required`},
		{"script interval", withScripts([]any{map[string]any{"name": "chk", "script": "true", "interval": "10ms"}}), `vrrp.scripts[0].interval: must be between 100ms and 1h0m0s, got 10ms`},
		{"script timeout", withScripts([]any{map[string]any{"name": "chk", "script": "true", "timeout": "0s"}}), `vrrp.scripts[0].timeout: must be between 10ms and 1h0m0s, got 0s`},
		{"script weight", withScripts([]any{map[string]any{"name": "chk", "script": "true", "weight": 300}}), `vrrp.scripts[0].weight: must be between -253 and 253, got 300`},
		{"script rise", withScripts([]any{map[string]any{"name": "chk", "script": "true", "rise": 0}}), `vrrp.scripts[0].rise: must be between 1 and 1000, got 0`},
		{"script fall", withScripts([]any{map[string]any{"name": "chk", "script": "true", "fall": -1}}), `vrrp.scripts[0].fall: must be between 1 and 1000, got -1`},
		{"script key", withScripts([]any{map[string]any{"name": "chk", "script": "true", "user": "nobody"}}), `vrrp.scripts[0].user: unknown key`},
		{"notify timeout", []set{{"vrrp.notify_timeout", "0s"}}, `vrrp.notify_timeout: must be between 100ms and 1h0m0s, got 0s`},

		{"group unknown member", group("VI_1", "VI_X"), `vrrp.sync_groups[0].instances[1]: no instance named "VI_X" in vrrp.instances`},
		{"group member twice", group("VI_1", "VI_1"), `vrrp.sync_groups[0].instances[1]: instance VI_1 is listed twice`},
		{"group empty", group(), `vrrp.sync_groups[0].instances: required`},
		{"group key", append(group("VI_1"), set{"vrrp.sync_groups[0].track_interface", []any{"wan"}}), `vrrp.sync_groups[0].track_interface: unknown key`},
		{"member of two groups", []set{
			{"vrrp.instances", []any{vrrpInstance(), lanInstance()}},
			{"vrrp.sync_groups", []any{map[string]any{"name": "G", "instances": []any{"VI_1", "VI_LAN"}}, map[string]any{"name": "H", "instances": []any{"VI_LAN"}}}},
		}, `vrrp.sync_groups[1].instances[0]: instance VI_LAN is already in sync group G`},
		{"group name twice", []set{
			{"vrrp.instances", []any{vrrpInstance(), lanInstance()}},
			{"vrrp.sync_groups", []any{map[string]any{"name": "G", "instances": []any{"VI_1"}}, map[string]any{"name": "G", "instances": []any{"VI_LAN"}}}},
		}, `vrrp.sync_groups[1].name: "G" is already the name of another sync group`},
		{"weighted member", []set{
			{"vrrp.scripts", []any{chkScript()}},
			{"vrrp.instances", append(tracking("track_script", []any{map[string]any{"name": "chk"}}), lanInstance())},
			{"vrrp.sync_groups", []any{map[string]any{"name": "G", "instances": []any{"VI_1", "VI_LAN"}}}},
		}, `vrrp.instances[0].track_script[0].weight: must be 0 in a member of sync group G, got -20`},
		{"weighted member port", []set{
			{"vrrp.instances", append(tracking("track_port", []any{map[string]any{"port": "lan", "weight": 10}}), lanInstance())},
			{"vrrp.sync_groups", []any{map[string]any{"name": "G", "instances": []any{"VI_1", "VI_LAN"}}}},
		}, `vrrp.instances[0].track_port[0].weight: must be 0 in a member of sync group G, got 10`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseWith(t, tc.sets...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want a line with %q", err, tc.want)
			}
		})
	}
	_, err := parseWith(t, set{"vrrp.instances", []any{vrrpInstance()}}, set{"ports[0].kernel_interface", map[string]any{"enabled": false}})
	if err == nil || !strings.Contains(err.Error(), `vrrp.instances[0].port: port "wan" has no kernel interface`) {
		t.Errorf("instance on a port without a kernel interface: %v", err)
	}
}

// keepalived accepts a sync group of one instance (it warns); so does govs,
// and a member tracking with weight 0 is fine.
func TestVRRPSyncGroupOfOne(t *testing.T) {
	wan := vrrpInstance()
	wan["track_script"] = []any{map[string]any{"name": "chk", "weight": 0}}
	wan["track_port"] = []any{map[string]any{"port": "lan"}}
	c, err := parseWith(t, set{"vrrp.scripts", []any{chkScript()}}, set{"vrrp.instances", []any{wan}},
		set{"vrrp.sync_groups", []any{map[string]any{"name": "G", "instances": []any{"VI_1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.VRRP.SyncGroups) != 1 || c.VRRP.Instances[0].TrackScripts[0].Weight != 0 {
		t.Errorf("%+v", c.VRRP)
	}
}

// Validate checks a configuration built in code the same way.
func TestVRRPValidateInCode(t *testing.T) {
	c, err := parseWith(t, set{"vrrp.instances", []any{vrrpInstance()}})
	if err != nil {
		t.Fatal(err)
	}
	c.VRRP.Instances[0].GARP.Repeat = 0
	c.VRRP.NotifyTimeout = 0
	c.VRRP.Instances[0].TrackPorts = []TrackPort{{Port: "wan", Weight: 300}}
	c.VRRP.Scripts = []VRRPScript{{Name: "s", Command: "true", Interval: time.Second}}
	err = c.Validate()
	for _, want := range []string{
		"vrrp.instances[0].garp_master_repeat: must be between 1 and 100, got 0",
		"vrrp.instances[0].track_port[0].weight: must be between -253 and 253, got 300",
		"vrrp.scripts[0].timeout: must be between 10ms and 1h0m0s, got 0s",
		"vrrp.scripts[0].rise: must be between 1 and 1000, got 0",
		"vrrp.notify_timeout: must be between 100ms and 1h0m0s, got 0s",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a line %q", err, want)
		}
	}
}
