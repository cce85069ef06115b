package main

import (
	"strings"
	"testing"

	"github.com/govs-project/govs/control/config"
)

func TestGovsdConfParses(t *testing.T) {
	for _, m := range []string{"nat", "dr", "tun"} {
		c := govsdConf{Prefix: "gb1", Socket: "/tmp/gb/s.sock", Device: pcapDevice("/tmp/x.pcap"),
			ConnTable: tableFor(65536), Mbufs: 100000, Method: m, SynRecv: "1s", SocketMiB: 4096}
		cfg, err := config.Parse([]byte(c.yaml()))
		if err != nil {
			t.Fatalf("%s: %v\n%s", m, err, c.yaml())
		}
		if cfg.Dataplane.ConnTableSize != 72704 || cfg.Dataplane.MbufDataRoom != mbufDataRoom || cfg.Dataplane.Mbufs != 100000 {
			t.Errorf("%s: dataplane %+v", m, cfg.Dataplane)
		}
		if len(cfg.Services) != 1 || len(cfg.Services[0].RealServers) != numRS {
			t.Fatalf("%s: services %+v", m, cfg.Services)
		}
		for i, rs := range cfg.Services[0].RealServers {
			if rs.Method.String() != m || int(rs.Port) != c.rsPort() || rs.Address != addrOf(rsIP(i)) {
				t.Errorf("%s: real server %d: %+v", m, i, rs)
			}
		}
		if p := cfg.Ports[0]; p.Device != c.Device || p.Address != portAddr || p.Gateway != gatewayIP {
			t.Errorf("%s: port %+v", m, p)
		}
		if !strings.Contains(strings.Join(cfg.EAL.ExtraArgs, " "), "--socket-limit=4096") {
			t.Errorf("%s: extra args %v", m, cfg.EAL.ExtraArgs)
		}
	}
}

func TestGovsdConfStaticNeighbors(t *testing.T) {
	c := govsdConf{Prefix: "gb1", Socket: "/tmp/s.sock", Device: "net_null0", ConnTable: 1024, Mbufs: 2048, Method: "nat", Static: true}
	y := c.yaml()
	for _, want := range []string{
		"static_neighbors:",
		`{address: 10.0.0.254, mac: "02:00:00:00:00:fe"}`,
		`{address: 10.0.1.14, mac: "02:00:00:00:01:14"}`,
	} {
		if !strings.Contains(y, want) {
			t.Errorf("config lacks %q:\n%s", want, y)
		}
	}
}

func TestTableFor(t *testing.T) {
	for _, c := range []struct{ flows, want int }{{10, 1024}, {65536, 72704}, {1 << 20, 1154048}} {
		if got := tableFor(c.flows); got != c.want || got < c.flows*11/10 || got%1024 != 0 {
			t.Errorf("tableFor(%d) = %d, want %d", c.flows, got, c.want)
		}
	}
}

func TestMergeEnv(t *testing.T) {
	got := strings.Join(mergeEnv([]string{"GODEBUG=cgocheck=0", "A=1"}, []string{"GODEBUG=gctrace=1"}), " ")
	if got != "A=1 GODEBUG=cgocheck=0,gctrace=1" {
		t.Errorf("mergeEnv = %q", got)
	}
	if got := mergeEnv(nil, nil); len(got) != 0 {
		t.Errorf("mergeEnv(nil, nil) = %q", got)
	}
}
