package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Addresses shared by the topologies: the client's segment with the
// director's WAN address and the VIP. NAT puts the real servers on a second
// segment (serverIPs); DR and TUN put them on the client's (dsrServerIPs).
const (
	vip        = "10.0.0.100"
	clientIP   = "10.0.0.2"
	clientCIDR = clientIP + "/24"
	wanAddr    = "10.0.0.1"
	lanAddr    = "10.1.0.1"
)

var (
	serverIPs    = []string{"10.1.0.11", "10.1.0.12", "10.1.0.13"}
	dsrServerIPs = []string{"10.0.0.11", "10.0.0.12", "10.0.0.13"}
)

// Ports the NAT real servers listen on (DR and TUN cannot translate ports:
// their servers listen on the service ports, see dsrBaseConf).
const (
	rsHTTPPort = 8080
	rsEchoPort = 7000
	rsUDPPort  = 5353
)

type rsConf struct {
	Addr   string
	Port   int
	Weight int
	Method string // nat (when empty), dr or tun
}

type svcConf struct {
	Name, Proto string
	Port        int
	Sched       string
	RS          []rsConf
}

// portConf is one DPDK net_tap port.
type portConf struct {
	Name  string
	Iface string // the tap's kernel-side interface name
	Addr  string // the director's address, e.g. 10.0.0.1/24
	MTU   int    // 0 leaves govsd's default
}

// govsdConf is the part of a govsd configuration the tests vary.
type govsdConf struct {
	FilePrefix string // EAL file prefix, unique per govsd
	Ports      []portConf
	Socket     string // admin socket
	Services   []svcConf
}

// realServers gives each address port, method and weight (weights repeat
// when there are fewer than addresses).
func realServers(addrs []string, port int, method string, weights ...int) []rsConf {
	rs := make([]rsConf, len(addrs))
	for i, ip := range addrs {
		rs[i] = rsConf{Addr: ip, Port: port, Weight: weights[i%len(weights)], Method: method}
	}
	return rs
}

// allServers gives each NAT real server port and weight.
func allServers(port int, weights ...int) []rsConf {
	return realServers(serverIPs, port, "nat", weights...)
}

// baseConf is what the shared NAT govsd runs between tests:
//   - web   tcp 80   wrr 1:2:3 -> :8080 (HTTP)
//   - count tcp 81   rr        -> :8080 (HTTP, only TestNATCountersMatchClients uses it)
//   - echo  tcp 7000 rr        -> :7000 (line echo)
//   - dns   udp 53   rr        -> :5353 (UDP echo)
func baseConf(tag, dir string) govsdConf {
	return govsdConf{
		FilePrefix: tag + "d",
		Ports: []portConf{
			{Name: "wan", Iface: tag + "w", Addr: wanAddr + "/24"},
			{Name: "lan", Iface: tag + "l", Addr: lanAddr + "/24"},
		},
		Socket: dir + "/govsd.sock",
		Services: []svcConf{
			{Name: "web", Proto: "tcp", Port: 80, Sched: "wrr", RS: allServers(rsHTTPPort, 1, 2, 3)},
			{Name: "count", Proto: "tcp", Port: 81, Sched: "rr", RS: allServers(rsHTTPPort, 1)},
			{Name: "echo", Proto: "tcp", Port: 7000, Sched: "rr", RS: allServers(rsEchoPort, 1)},
			{Name: "dns", Proto: "udp", Port: 53, Sched: "rr", RS: allServers(rsUDPPort, 1)},
		},
	}
}

// taps are the kernel-side interface names of the ports.
func (c govsdConf) taps() []string {
	var names []string
	for _, p := range c.Ports {
		names = append(names, p.Iface)
	}
	return names
}

// YAML renders the configuration in govsd's format.
func (c govsdConf) YAML() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `eal: {lcores: "0-1", memory_mb: %d, in_memory: true, file_prefix: %s, no_pci: true}
dataplane: {conn_table_size: 65536, mbufs: 8191, idle_backoff: true}
ports:
`, ealMemoryMB, c.FilePrefix)
	for i, p := range c.Ports {
		mtu := ""
		if p.MTU != 0 {
			mtu = fmt.Sprintf(", mtu: %d", p.MTU)
		}
		fmt.Fprintf(&b, "  - {name: %s, device: \"net_tap%d,iface=%s\", address: %s%s}\n", p.Name, i, p.Iface, p.Addr, mtu)
	}
	fmt.Fprintf(&b, "admin: {socket: %s, state_file: %s}\nservices:\n", c.Socket, filepath.Join(filepath.Dir(c.Socket), "state.json"))
	for _, s := range c.Services {
		fmt.Fprintf(&b, "  - name: %s\n    vip: %s\n    protocol: %s\n    port: %d\n    scheduler: %s\n    real_servers:\n",
			s.Name, vip, s.Proto, s.Port, s.Sched)
		for _, r := range s.RS {
			method := r.Method
			if method == "" {
				method = "nat"
			}
			fmt.Fprintf(&b, "      - {address: %s, port: %d, weight: %d, method: %s}\n", r.Addr, r.Port, r.Weight, method)
		}
	}
	return []byte(b.String())
}

// clone copies c so a test can change services without touching the original.
func (c govsdConf) clone() govsdConf {
	c.Ports = slices.Clone(c.Ports)
	c.Services = slices.Clone(c.Services)
	for i := range c.Services {
		c.Services[i].RS = slices.Clone(c.Services[i].RS)
	}
	return c
}

// service returns a pointer to the service named name, or nil.
func (c *govsdConf) service(name string) *svcConf {
	for i := range c.Services {
		if c.Services[i].Name == name {
			return &c.Services[i]
		}
	}
	return nil
}
