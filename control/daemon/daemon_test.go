package daemon

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/dataplane"
)

const base = `
eal: {lcores: "0-1"}
ports:
  - {name: wan, device: "net_tap0,iface=x0", address: 10.0.0.1/24}
  - {name: lan, device: "net_tap1,iface=x1", address: 10.1.0.1/24, gateway: 10.1.0.254}
timeouts: {tcp_established: 60s, udp: 5s}
services:
  - {vip: 10.0.0.100, protocol: udp, port: 53, scheduler: rr, real_servers: [{address: 10.1.0.11, port: 5353, weight: 7}]}
`

func parse(t *testing.T, y string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSpecMapsConfig(t *testing.T) {
	s := spec(parse(t, base))
	if len(s.Ports) != 2 || s.Ports[1].Gateway.String() != "10.1.0.254" || s.Ports[0].MTU != 1500 {
		t.Fatalf("ports %+v", s.Ports)
	}
	if k := s.Ports[0].Kernel; !k.Enabled || k.Name != "govs-"+s.Ports[0].Name {
		t.Fatalf("kernel interface not mapped with its defaults: %+v", k)
	}
	sv := s.Services[0]
	if sv.Proto != 17 || sv.Port != 53 || sv.Scheduler != "rr" || sv.Dests[0].Weight != 7 || sv.Dests[0].Port != 5353 {
		t.Fatalf("service %+v", sv)
	}
	if s.Timeouts[dataplane.StateEstablished] != 60000 || s.Timeouts[dataplane.StateUDP] != 5000 {
		t.Fatalf("timeouts not mapped: %v", s.Timeouts)
	}
	if s.Timeouts[dataplane.StateFinWait] != uint32((120*time.Second)/time.Millisecond) {
		t.Fatalf("default fin_wait: %d", s.Timeouts[dataplane.StateFinWait])
	}
}

func TestReloadRefusesStartTimeChanges(t *testing.T) {
	old := parse(t, base)
	if err := startTimeUnchanged(old, parse(t, base+"  - {vip: 10.0.0.101, protocol: tcp, port: 80, real_servers: [{address: 10.1.0.12}]}\n")); err != nil {
		t.Fatalf("adding a service refused: %v", err)
	}
	cases := map[string]string{
		"eal":       strings.Replace(base, `lcores: "0-1"`, `lcores: "0-1", memory_mb: 64`, 1),
		"dataplane": base + "dataplane: {conn_table_size: 4096}\n",
		"admin":     base + "admin: {socket: /tmp/other.sock}\n",
		"metrics":   base + "metrics: {listen: 127.0.0.1:9999}\n",
	}
	for section, y := range cases {
		err := startTimeUnchanged(old, parse(t, y))
		if err == nil || !strings.Contains(err.Error(), section+": changed") {
			t.Errorf("%s change: %v", section, err)
		}
	}
}

// Every state's timeout comes from the configuration, each from its own
// field: none is left at the dataplane's default.
func TestTimeoutsAllFromConfig(t *testing.T) {
	var c config.Timeouts
	fields := reflect.ValueOf(&c).Elem()
	for i := range fields.NumField() {
		fields.Field(i).Set(reflect.ValueOf(time.Duration(i+1) * time.Second))
	}
	got := timeouts(c)
	var want []uint32
	for i := range fields.NumField() {
		want = append(want, uint32(i+1)*1000)
	}
	configured := got[dataplane.StateNone+1:]
	slices.Sort(configured)
	if !slices.Equal(configured, want) {
		t.Errorf("states other than NONE = %v ms, want the %d configured values %v", configured, len(want), want)
	}
	if got[dataplane.StateNone] != uint32(config.NoneTimeout/time.Millisecond) {
		t.Errorf("NONE = %d, want IPVS's %d (not configurable)", got[dataplane.StateNone], uint32(config.NoneTimeout/time.Millisecond))
	}
	// Even a zero (which Validate refuses) is the configuration's, not
	// replaced by a dataplane default behind the config's back.
	if zero := timeouts(config.Timeouts{}); slices.ContainsFunc(zero[dataplane.StateNone+1:], func(ms uint32) bool { return ms != 0 }) {
		t.Errorf("zero timeouts mapped to %v", zero)
	}
}
