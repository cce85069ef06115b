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

func TestVRRPDefaults(t *testing.T) {
	c, err := parseWith(t, set{"vrrp.instances", []any{vrrpInstance()}})
	if err != nil {
		t.Fatal(err)
	}
	in := c.VRRP.Instances[0]
	if in.Version != 2 || in.Priority != 100 || in.AdvertInterval != time.Second || in.State != "BACKUP" || in.VRID != 51 ||
		len(in.VirtualAddresses) != 1 || in.VirtualAddresses[0].String() != "10.0.0.100" {
		t.Fatalf("instance %+v", in)
	}
}

func TestVRRPErrors(t *testing.T) {
	with := func(k string, v any) []any {
		m := vrrpInstance()
		m[k] = v
		return []any{m}
	}
	for _, tc := range []struct {
		name string
		list []any
		want string
	}{
		{"no port", with("port", "dmz"), `vrrp.instances[0].port: no port named "dmz"`},
		{"vrid range", with("vrid", 0), `vrrp.instances[0].vrid: must be between 1 and 255, got 0`},
		{"version", with("version", 4), `vrrp.instances[0].version: must be between 2 and 3, got 4`},
		{"v2 interval", with("advert_interval", "1500ms"), `vrrp.instances[0].advert_interval: version 2 takes whole seconds 1s..255s, got 1.5s`},
		{"state", with("state", "LEADER"), `vrrp.instances[0].state: must be BACKUP or MASTER, got "LEADER"`},
		{"long password", with("auth_pass", "123456789"), `vrrp.instances[0].auth_pass: at most 8 characters are sent`},
		{"not a VIP", with("virtual_addresses", []any{"10.0.0.50"}), `vrrp.instances[0].virtual_addresses[0]: 10.0.0.50 is not a service VIP`},
		{"other subnet", with("virtual_addresses", []any{"10.1.0.100"}), `vrrp.instances[0].virtual_addresses[0]: 10.1.0.100 is not in port wan's subnet 10.0.0.0/24`},
		{"bad address", with("unicast_peers", []any{"ten"}), `vrrp.instances[0].unicast_peers[0]: "ten" is not an IPv4 address like 10.0.0.1`},
		{"unknown key", with("virtual_router", 1), `vrrp.instances[0].virtual_router: unknown key`},
		{"no addresses", with("virtual_addresses", []any{}), `vrrp.instances[0].virtual_addresses: required: at least one address`},
		{"nopreempt master", append(with("nopreempt", true)[:0], func() map[string]any {
			m := vrrpInstance()
			m["nopreempt"], m["state"] = true, "MASTER"
			return m
		}()), `vrrp.instances[0].nopreempt: needs state BACKUP`},
		{"same VRID twice", []any{vrrpInstance(), func() map[string]any {
			m := vrrpInstance()
			m["name"], m["virtual_addresses"] = "VI_2", []any{"10.0.0.100"}
			return m
		}()}, `vrrp.instances[1].vrid: VRID 51 is already used on port wan by instance VI_1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseWith(t, set{"vrrp.instances", tc.list})
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
