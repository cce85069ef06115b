package config

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// syncSection is a valid sync section following base's wan instance.
func syncSection() map[string]any {
	return map[string]any{"port": "wan", "vrrp_instance": "VI_1"}
}

// parseSync parses base with a VRRP instance and the sync section s.
func parseSync(t *testing.T, s map[string]any, more ...set) (*Config, error) {
	t.Helper()
	sets := append([]set{{"vrrp.instances", []any{vrrpInstance()}}, {"sync", s}}, more...)
	return parseWith(t, sets...)
}

func writeKey(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sync.key")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSyncAbsentIsOff(t *testing.T) {
	c, err := parseWith(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.Sync.Enabled || c.Sync.Port != "" {
		t.Errorf("no section: %+v", c.Sync)
	}
}

func TestSyncDefaults(t *testing.T) {
	c, err := parseSync(t, syncSection())
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultSync()
	want.Port, want.VRRPInstance = "wan", "VI_1"
	got := c.Sync
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("sync %+v\nwant %+v", got, want)
	}
	// IPVS's defaults.
	if got.Group.String() != "224.0.0.81" || got.UDPPort != 8848 || got.TTL != 1 || got.Threshold != 3 || got.Period != 50 || got.SyncID != 0 {
		t.Errorf("IPVS defaults: %+v", got)
	}
	if got.ResyncPeriod != 30*time.Second || got.FlushDelay != 10*time.Millisecond || got.ReplayWindow != 64 || got.AuthKey != nil || !got.Multicast() || !got.FollowsVRRP() {
		t.Errorf("govs defaults: %+v", got)
	}
	if got.MessageSize(1500) != 1472 {
		t.Errorf("MessageSize(1500) = %d", got.MessageSize(1500))
	}
}

func TestSyncEveryKey(t *testing.T) {
	key := writeKey(t, "0123456789abcdef0123\n")
	s := map[string]any{
		"port": "lan", "role": "BACKUP", "sync_id": 7, "unicast_peers": []any{"10.1.0.2", "192.0.2.9"}, "udp_port": 9000, "ttl": 3,
		"threshold": 0, "period": 0, "resync_period": "0s", "resync_rate": 500, "max_rate": 1000, "queue": 4096,
		"max_message": 1200, "flush_delay": "1ms", "auth_key_file": key, "replay_window": 16,
	}
	c, err := parseWith(t, set{"sync", s})
	if err != nil {
		t.Fatal(err)
	}
	g := c.Sync
	if !g.Enabled || g.Port != "lan" || g.Role != "backup" || g.FollowsVRRP() || g.SyncID != 7 || g.Group.IsValid() || g.Multicast() ||
		len(g.UnicastPeers) != 2 || g.UnicastPeers[1] != netip.MustParseAddr("192.0.2.9") || g.UDPPort != 9000 || g.TTL != 3 ||
		g.Threshold != 0 || g.Period != 0 || g.ResyncPeriod != 0 || g.ResyncRate != 500 || g.MaxRate != 1000 || g.Queue != 4096 ||
		g.MaxMessage != 1200 || g.MessageSize(1500) != 1200 || g.FlushDelay != time.Millisecond || g.AuthKeyFile != key || g.ReplayWindow != 16 {
		t.Errorf("sync %+v", g)
	}
	// The final newline is not part of the key.
	if string(g.AuthKey) != "0123456789abcdef0123" {
		t.Errorf("key %q", []byte(g.AuthKey))
	}
	// Following a sync group.
	c, err = parseWith(t, set{"vrrp.instances", []any{vrrpInstance(), lanInstance()}},
		set{"vrrp.sync_groups", []any{map[string]any{"name": "G", "instances": []any{"VI_1", "VI_LAN"}}}},
		set{"sync", map[string]any{"port": "wan", "vrrp_sync_group": "G"}})
	if err != nil || c.Sync.VRRPSyncGroup != "G" || !c.Sync.FollowsVRRP() {
		t.Errorf("following a group: %+v, %v", c.Sync, err)
	}
}

// The key never shows when the configuration is printed.
func TestSyncKeyNeverPrinted(t *testing.T) {
	const secret = "s3cr3t-s3cr3t-s3cr3t"
	c, err := parseSync(t, map[string]any{"port": "wan", "vrrp_instance": "VI_1", "auth_key_file": writeKey(t, secret)})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
		out := fmt.Sprintf(format, c.Sync)
		if strings.Contains(out, secret) || strings.Contains(out, fmt.Sprintf("%x", secret)) || strings.Contains(out, "115") {
			t.Errorf("%s shows the key: %s", format, out)
		}
		if !strings.Contains(fmt.Sprintf(format, c.Sync.AuthKey), "20-byte key") {
			t.Errorf("%s of the key: %s", format, fmt.Sprintf(format, c.Sync.AuthKey))
		}
	}
	if text, _ := c.Sync.AuthKey.MarshalText(); string(text) != "[20-byte key]" {
		t.Errorf("MarshalText %q", text)
	}
}

func TestSyncErrors(t *testing.T) {
	with := func(kv ...any) map[string]any {
		m := syncSection()
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == del {
				delete(m, kv[i].(string))
				continue
			}
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	short := writeKey(t, "0123456789abcde\n") // 15 bytes once the newline goes
	missing := filepath.Join(t.TempDir(), "absent.key")
	groups := []set{
		{"vrrp.instances", []any{vrrpInstance(), lanInstance()}},
		{"vrrp.sync_groups", []any{map[string]any{"name": "G", "instances": []any{"VI_1"}}}},
	}
	for _, tc := range []struct {
		name string
		s    map[string]any
		more []set
		want string
	}{
		{"no port", with("port", del), nil, `sync.port: required`},
		{"unknown port", with("port", "dmz"), nil, `sync.port: no port named "dmz"`},
		{"no kernel interface", with(), []set{{"ports[0].kernel_interface", map[string]any{"enabled": false}}}, `sync.port: port "wan" has no kernel interface`},
		{"unknown instance", with("vrrp_instance", "VI_X"), nil, `sync.vrrp_instance: no instance named "VI_X" in vrrp.instances`},
		{"unknown group", with("vrrp_instance", del, "vrrp_sync_group", "H"), groups, `sync.vrrp_sync_group: no sync group named "H" in vrrp.sync_groups`},
		{"no role", with("vrrp_instance", del), nil, `sync: required: one of vrrp_instance`},
		{"instance and role", with("role", "master"), nil, `sync.role: conflicts with sync.vrrp_instance`},
		{"instance and group", with("vrrp_sync_group", "G"), groups, `sync.vrrp_sync_group: conflicts with sync.vrrp_instance`},
		{"bad role", with("vrrp_instance", del, "role", "primary"), nil, `sync.role: must be master or backup, got "primary"`},
		{"sync id", with("sync_id", 256), nil, `sync.sync_id: must be between 0 and 255, got 256`},
		{"negative sync id", with("sync_id", -1), nil, `sync.sync_id: must be between 0 and 255, got -1`},
		{"group not multicast", with("group", "10.0.0.9"), nil, `sync.group: 10.0.0.9 is not an IPv4 multicast address`},
		{"group not an address", with("group", "mcast"), nil, `sync.group: "mcast" is not an IPv4 address`},
		{"group and peers", with("group", "224.0.0.81", "unicast_peers", []any{"10.0.0.2"}), nil, `sync.group: set either group (multicast) or unicast_peers, not both`},
		{"multicast peer", with("unicast_peers", []any{"224.0.0.1"}), nil, `sync.unicast_peers[0]: 224.0.0.1 is not a unicast address`},
		{"broadcast peer", with("unicast_peers", []any{"255.255.255.255"}), nil, `sync.unicast_peers[0]: 255.255.255.255 is not a unicast address`},
		{"unspecified peer", with("unicast_peers", []any{"0.0.0.0"}), nil, `sync.unicast_peers[0]: 0.0.0.0 is not a unicast address`},
		{"our address", with("unicast_peers", []any{"10.0.0.2", "10.1.0.1"}), nil, `sync.unicast_peers[1]: 10.1.0.1 is the address of port lan`},
		{"peer twice", with("unicast_peers", []any{"10.0.0.2", "10.0.0.2"}), nil, `sync.unicast_peers[1]: 10.0.0.2 is listed twice`},
		{"bad peer", with("unicast_peers", []any{"peer"}), nil, `sync.unicast_peers[0]: "peer" is not an IPv4 address`},
		{"udp port", with("udp_port", 0), nil, `sync.udp_port: must be between 1 and 65535, got 0`},
		{"ttl 0", with("ttl", 0), nil, `sync.ttl: must be between 1 and 255, got 0`},
		{"ttl 256", with("ttl", 256), nil, `sync.ttl: must be between 1 and 255, got 256`},
		{"threshold = period", with("threshold", 50), nil, `sync.threshold: must be below period (50) as IPVS's sync_threshold, got 50`},
		{"threshold > period", with("threshold", 10, "period", 5), nil, `sync.threshold: must be below period (5) as IPVS's sync_threshold, got 10`},
		{"negative threshold", with("threshold", -1), nil, `sync.threshold: must be between 0 and 255, got -1`},
		{"threshold over a byte", with("threshold", 256, "period", 0), nil, `sync.threshold: must be between 0 and 255, got 256`},
		{"period over a byte", with("period", 256), nil, `sync.period: must be between 0 and 255, got 256`},
		{"negative period", with("period", -1), nil, `sync.period: must be between 0 and 255, got -1`},
		{"resync period", with("resync_period", "500ms"), nil, `sync.resync_period: must be 0s (off) or between 1s and 24h0m0s, got 500ms`},
		{"resync period unit", with("resync_period", 30), nil, `sync.resync_period: must be a duration with a unit`},
		{"resync rate", with("resync_rate", 0), nil, `sync.resync_rate: must be between 1 and 10000000, got 0`},
		{"max rate", with("max_rate", -5), nil, `sync.max_rate: must be between 1 and 10000000, got -5`},
		{"queue", with("queue", 0), nil, `sync.queue: must be between 1 and 16777216, got 0`},
		{"small message", with("max_message", 255), nil, `sync.max_message: must be 0 (the port's MTU - 28) or between 256 and 65507 bytes, got 255`},
		{"large message", with("max_message", 65508), nil, `sync.max_message: must be 0 (the port's MTU - 28) or between 256 and 65507 bytes, got 65508`},
		{"flush delay 0", with("flush_delay", "0s"), nil, `sync.flush_delay: must be between 1ms and 1s, got 0s`},
		{"flush delay", with("flush_delay", "2s"), nil, `sync.flush_delay: must be between 1ms and 1s, got 2s`},
		{"relative key file", with("auth_key_file", "sync.key"), nil, `sync.auth_key_file: "sync.key" must be an absolute path`},
		{"missing key file", with("auth_key_file", missing), nil, `sync.auth_key_file: cannot read the key: open ` + missing},
		{"short key", with("auth_key_file", short), nil, `sync.auth_key_file: the key in ` + short + ` is 15 bytes, at least 16 are needed`},
		{"replay window 0", with("replay_window", 0), nil, `sync.replay_window: must be between 1 and 64, got 0`},
		{"replay window", with("replay_window", 65), nil, `sync.replay_window: must be between 1 and 64, got 65`},
		{"unknown key", with("syncid", 1), nil, `sync.syncid: unknown key; valid keys here: auth_key_file, flush_delay, group`},
		{"type", with("port", 1), nil, `sync.port: must be a string, got integer 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseSync(t, tc.s, tc.more...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want a line with %q", err, tc.want)
			}
		})
	}
	// A key problem is reported once, not again by Validate.
	_, err := parseSync(t, with("auth_key_file", short))
	if err == nil || strings.Count(err.Error(), "sync.auth_key_file") != 1 {
		t.Errorf("short key reported %v", err)
	}
	if _, err := parseWith(t, set{"sync", "on"}); err == nil || !strings.Contains(err.Error(), "sync: must be a mapping, got string") {
		t.Errorf("sync: on: %v", err)
	}
}

// Validate checks a section built in code the same way, the key included.
func TestSyncValidateInCode(t *testing.T) {
	c, err := parseWith(t)
	if err != nil {
		t.Fatal(err)
	}
	c.Sync = DefaultSync()
	c.Sync.Port, c.Sync.Role = "wan", "master"
	if err := c.Validate(); err != nil {
		t.Fatalf("DefaultSync with a port and a role: %v", err)
	}
	c.Sync.AuthKey = SyncKey("short")
	c.Sync.Group = netip.Addr{}
	c.Sync.Queue = 0
	err = c.Validate()
	for _, want := range []string{
		"sync.auth_key_file: the key set in code is 5 bytes, at least 16 are needed",
		"sync.group: required: a multicast group like 224.0.0.81, or unicast_peers",
		"sync.queue: must be between 1 and 16777216, got 0",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a line %q", err, want)
		}
	}
	// Off: nothing of the section is checked.
	c.Sync = Sync{}
	if err := c.Validate(); err != nil {
		t.Errorf("sync off: %v", err)
	}
}
