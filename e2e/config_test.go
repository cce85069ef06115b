package e2e

import (
	"fmt"
	"slices"
	"strings"
)

// Addresses of the NAT topology (see netlab.NATSpec).
const (
	vip        = "10.0.0.100"
	clientCIDR = "10.0.0.2/24"
	wanAddr    = "10.0.0.1"
	lanAddr    = "10.1.0.1"
)

var serverIPs = []string{"10.1.0.11", "10.1.0.12", "10.1.0.13"}

// Ports the real servers listen on.
const (
	rsHTTPPort = 8080
	rsEchoPort = 7000
	rsUDPPort  = 5353
)

type rsConf struct {
	Addr   string
	Port   int
	Weight int
}

type svcConf struct {
	Name, Proto string
	Port        int
	Sched       string
	RS          []rsConf
}

// govsdConf is the part of a govsd configuration the tests vary.
type govsdConf struct {
	FilePrefix string // EAL file prefix, unique per govsd
	WAN, LAN   string // tap interface names
	Socket     string // admin socket
	Services   []svcConf
}

// allServers gives each real server port and weight.
func allServers(port int, weights ...int) []rsConf {
	rs := make([]rsConf, len(serverIPs))
	for i, ip := range serverIPs {
		rs[i] = rsConf{Addr: ip, Port: port, Weight: weights[i%len(weights)]}
	}
	return rs
}

// baseConf is what the shared govsd runs between tests:
//   - web   tcp 80   wrr 1:2:3 -> :8080 (HTTP)
//   - count tcp 81   rr        -> :8080 (HTTP, only TestNATCountersMatchClients uses it)
//   - echo  tcp 7000 rr        -> :7000 (line echo)
//   - dns   udp 53   rr        -> :5353 (UDP echo)
func baseConf(tag, dir string) govsdConf {
	return govsdConf{
		FilePrefix: tag + "d",
		WAN:        tag + "w",
		LAN:        tag + "l",
		Socket:     dir + "/govsd.sock",
		Services: []svcConf{
			{Name: "web", Proto: "tcp", Port: 80, Sched: "wrr", RS: allServers(rsHTTPPort, 1, 2, 3)},
			{Name: "count", Proto: "tcp", Port: 81, Sched: "rr", RS: allServers(rsHTTPPort, 1)},
			{Name: "echo", Proto: "tcp", Port: 7000, Sched: "rr", RS: allServers(rsEchoPort, 1)},
			{Name: "dns", Proto: "udp", Port: 53, Sched: "rr", RS: allServers(rsUDPPort, 1)},
		},
	}
}

// YAML renders the configuration in govsd's format.
func (c govsdConf) YAML() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `eal: {lcores: "0-1", memory_mb: %d, in_memory: true, file_prefix: %s, no_pci: true}
dataplane: {conn_table_size: 65536, mbufs: 8191, idle_backoff: true}
ports:
  - {name: wan, device: "net_tap0,iface=%s", address: %s/24}
  - {name: lan, device: "net_tap1,iface=%s", address: %s/24}
admin: {socket: %s}
services:
`, ealMemoryMB, c.FilePrefix, c.WAN, wanAddr, c.LAN, lanAddr, c.Socket)
	for _, s := range c.Services {
		fmt.Fprintf(&b, "  - name: %s\n    vip: %s\n    protocol: %s\n    port: %d\n    scheduler: %s\n    real_servers:\n",
			s.Name, vip, s.Proto, s.Port, s.Sched)
		for _, r := range s.RS {
			fmt.Fprintf(&b, "      - {address: %s, port: %d, weight: %d, method: nat}\n", r.Addr, r.Port, r.Weight)
		}
	}
	return []byte(b.String())
}

// clone copies c so a test can change services without touching the original.
func (c govsdConf) clone() govsdConf {
	c.Services = slices.Clone(c.Services)
	for i := range c.Services {
		c.Services[i].RS = slices.Clone(c.Services[i].RS)
	}
	return c
}
