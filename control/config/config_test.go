package config

import (
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/dataplane/sched"
)

// baseJSON is a valid configuration. YAML is a superset of JSON, so cases
// edit it as a Go map and feed the marshalled JSON to Parse.
const baseJSON = `{
  "eal": {"lcores": "0-1", "no_pci": false},
  "ports": [
    {"name": "wan", "device": "net_tap0,iface=tap-wan", "address": "10.0.0.1/24"},
    {"name": "lan", "device": "net_tap1,iface=tap-lan", "address": "10.1.0.1/24"}
  ],
  "services": [
    {"name": "web", "vip": "10.0.0.100", "protocol": "tcp", "port": 80,
     "real_servers": [{"address": "10.1.0.11", "port": 8080}, {"address": "10.1.0.12", "port": 8080}]},
    {"vip": "10.0.0.100", "protocol": "udp", "port": 53, "scheduler": "rr",
     "real_servers": [{"address": "10.1.0.11"}]}
  ]
}`

// del removes a key instead of setting it.
type deleteKey struct{}

var del deleteKey

type set struct {
	path string
	val  any
}

func base(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(baseJSON), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

var segment = regexp.MustCompile(`^([a-z_]+)(?:\[(\d+)\])?$`)

// apply sets a value at a path written like the error paths,
// e.g. services[0].real_servers[1].weight.
func apply(t *testing.T, root map[string]any, s set) {
	t.Helper()
	parts := strings.Split(s.path, ".")
	cur := root
	for i, part := range parts {
		m := segment.FindStringSubmatch(part)
		if m == nil {
			t.Fatalf("bad path %q", s.path)
		}
		key, last := m[1], i == len(parts)-1
		if m[2] == "" {
			if last {
				if s.val == del {
					delete(cur, key)
				} else {
					cur[key] = s.val
				}
				return
			}
			next, ok := cur[key].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[key] = next
			}
			cur = next
			continue
		}
		n, _ := strconv.Atoi(m[2])
		list, _ := cur[key].([]any)
		for len(list) <= n {
			list = append(list, map[string]any{})
		}
		cur[key] = list
		if last {
			list[n] = s.val
			return
		}
		cur = list[n].(map[string]any)
	}
}

func parseWith(t *testing.T, sets ...set) (*Config, error) {
	t.Helper()
	m := base(t)
	for _, s := range sets {
		apply(t, m, s)
	}
	doc, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(doc)
}

func TestStaticNeighbors(t *testing.T) {
	c, err := parseWith(t, set{"ports[0].static_neighbors", []any{map[string]any{"address": "10.0.0.5", "mac": "02:00:00:00:00:05"}}})
	if err != nil {
		t.Fatal(err)
	}
	n := c.Ports[0].StaticNeighbors
	if len(n) != 1 || n[0].Address.String() != "10.0.0.5" || n[0].MAC.String() != "02:00:00:00:00:05" {
		t.Fatalf("static neighbours %+v", n)
	}
}

func TestBaseIsValid(t *testing.T) {
	if _, err := parseWith(t); err != nil {
		t.Fatalf("base config: %v", err)
	}
}

func TestErrors(t *testing.T) {
	long := "/run/" + strings.Repeat("x", 110)
	cases := []struct {
		name string
		sets []set
		want string // one line of the error: field path, colon, message
	}{
		{"lcores missing", []set{{"eal.lcores", del}}, "eal.lcores: required"},
		{"lcores one", []set{{"eal.lcores", "0"}}, `eal.lcores: must contain at least 2 lcores (the first is the main lcore, the rest forward packets), got "0"`},
		{"lcores int", []set{{"eal.lcores", 1}}, `eal.lcores: must contain at least 2 lcores`},
		{"lcores syntax", []set{{"eal.lcores", "0-x"}}, `eal.lcores: "0-x" is not an lcore list like "0-1" or "0,2-3"`},
		{"lcores backwards", []set{{"eal.lcores", "3-1"}}, `eal.lcores: range "3-1" runs backwards`},
		{"lcores twice", []set{{"eal.lcores", "0,0-1"}}, `eal.lcores: lcore 0 is listed twice`},
		{"lcores too big", []set{{"eal.lcores", "0-200"}}, `eal.lcores: lcore id 200 is not below RTE_MAX_LCORE 128`},
		{"lcores type", []set{{"eal.lcores", true}}, `eal.lcores: must be an lcore list like "0-1", got boolean true`},
		{"eal unknown key", []set{{"eal.lcore", "0-1"}}, `eal.lcore: unknown key; valid keys here: extra_args, file_prefix, huge_dir, in_memory, lcores, memory_mb, no_pci`},
		{"eal not mapping", []set{{"eal", "0-1"}}, `eal: must be a mapping, got string "0-1"`},
		{"memory negative", []set{{"eal.memory_mb", -1}}, `eal.memory_mb: must be between 0 and 1048576, got -1`},
		{"memory not int", []set{{"eal.memory_mb", "512M"}}, `eal.memory_mb: must be an integer, got string "512M"`},
		{"memory float", []set{{"eal.memory_mb", 1.5}}, `eal.memory_mb: must be an integer, got number 1.5`},
		{"in_memory not bool", []set{{"eal.in_memory", "yes"}}, `eal.in_memory: must be true or false, got string "yes"`},
		{"extra_args not list", []set{{"eal.extra_args", "--foo"}}, `eal.extra_args: must be a list of strings, got string "--foo"`},
		{"extra_args element", []set{{"eal.extra_args", []any{"-v", 3}}}, `eal.extra_args[1]: must be a string, got integer 3`},
		{"file_prefix type", []set{{"eal.file_prefix", 3}}, `eal.file_prefix: must be a string, got integer 3`},

		{"conn table small", []set{{"dataplane.conn_table_size", 10}}, `dataplane.conn_table_size: must be between 1024 and 67108864, got 10`},
		{"neighbour table small", []set{{"dataplane.neighbor_table_size", 10}}, `dataplane.neighbor_table_size: must be between 64 and 1048576, got 10`},
		{"rp_filter", []set{{"security.rp_filter", "paranoid"}}, `security.rp_filter: must be strict, loose or off, got "paranoid"`},
		{"flood threshold", []set{{"security.flood_threshold", 0}}, `security.flood_threshold: must be between 1 and 100, got 0`},
		{"flood syn_recv", []set{{"security.flood_syn_recv", "2m"}}, `security.flood_syn_recv: must be between 100ms and timeouts.tcp_syn_recv (1m0s), got 2m0s`},
		{"source prefix", []set{{"security.source_prefix", 33}}, `security.source_prefix: must be between 1 and 32, got 33`},
		{"mbufs small", []set{{"dataplane.mbufs", 10}}, `dataplane.mbufs: must be between 1023 and 16777216, got 10`},
		{"burst zero", []set{{"dataplane.burst", 0}}, `dataplane.burst: must be between 1 and 256, got 0`},
		{"burst big", []set{{"dataplane.burst", 512}}, `dataplane.burst: must be between 1 and 256, got 512`},
		{"rx_desc", []set{{"dataplane.rx_desc", 1}}, `dataplane.rx_desc: must be between 32 and 32768, got 1`},
		{"tx_desc", []set{{"dataplane.tx_desc", 65536}}, `dataplane.tx_desc: must be between 32 and 32768, got 65536`},
		{"idle_backoff type", []set{{"dataplane.idle_backoff", 1}}, `dataplane.idle_backoff: must be true or false, got integer 1`},
		{"idle sleep long", []set{{"dataplane.idle_sleep_max", "1s"}}, `dataplane.idle_sleep_max: must be between 1us and 10ms, got 1s`},
		{"idle sleep unitless", []set{{"dataplane.idle_sleep_max", 200}}, `dataplane.idle_sleep_max: must be a duration with a unit like 900s or 200us, got integer 200`},
		{"idle sleep syntax", []set{{"dataplane.idle_sleep_max", "fast"}}, `dataplane.idle_sleep_max: "fast" is not a duration like 900s or 200us`},
		{"dataplane unknown", []set{{"dataplane.bursts", 32}}, `dataplane.bursts: unknown key; valid keys here: burst, conn_table_size, flow_affinity, idle_backoff, idle_sleep_max, mbuf_data_room, mbufs, neighbor_table_size, rx_desc, tx_desc`},

		{"timeout short", []set{{"timeouts.tcp_close", "500ms"}}, `timeouts.tcp_close: must be between 1s and 24 days (576h), got 500ms`},
		{"timeout long", []set{{"timeouts.udp", "600h"}}, `timeouts.udp: must be between 1s and 24 days (576h), got 600h0m0s`},
		{"timeout unknown", []set{{"timeouts.tcp_estab", "1s"}}, `timeouts.tcp_estab: unknown key; valid keys here: tcp_close, tcp_close_wait, tcp_established,`},

		{"no ports", []set{{"ports", []any{}}}, `ports: at least one port is required`},
		{"ports not list", []set{{"ports", map[string]any{"name": "wan"}}}, `ports: must be a list, got a mapping`},
		{"port not mapping", []set{{"ports[0]", "wan"}}, `ports[0]: must be a mapping, got string "wan"`},
		{"port name missing", []set{{"ports[0].name", del}}, `ports[0].name: required`},
		{"port name bad", []set{{"ports[0].name", "WAN port"}}, `ports[0].name: "WAN port" must be 1 to 15 characters of a-z, 0-9, _ and -`},
		{"port name dup", []set{{"ports[1].name", "wan"}}, `ports[1].name: "wan" is already the name of ports[0]`},
		{"device missing", []set{{"ports[0].device", del}}, `ports[0].device: required: a DPDK vdev`},
		{"device bad", []set{{"ports[0].device", "eth0"}}, `ports[0].device: "eth0" is neither a DPDK vdev (net_...) nor a PCI address like 0000:03:00.0`},
		{"device dup", []set{{"ports[1].device", "net_tap0,iface=other"}}, `ports[1].device: device net_tap0 is already used by ports[0]`},
		{"pci with no_pci", []set{{"eal.no_pci", true}, {"ports[0].device", "0000:03:00.0"}}, `ports[0].device: PCI device 0000:03:00.0 cannot be used with eal.no_pci: true`},
		{"address no prefix", []set{{"ports[0].address", "10.0.0.1"}}, `ports[0].address: "10.0.0.1" is not an address/prefix like 10.0.0.1/24`},
		{"address ipv6", []set{{"ports[0].address", "fd00::1/64"}}, `ports[0].address: "fd00::1/64" is not an address/prefix like 10.0.0.1/24`},
		{"address missing", []set{{"ports[0].address", del}}, `ports[0].address: required: the director's IPv4 address/prefix on this port, like 10.0.0.1/24`},
		{"static neighbor outside", []set{{"ports[0].static_neighbors", []any{map[string]any{"address": "10.9.0.5", "mac": "02:00:00:00:00:05"}}}}, `ports[0].static_neighbors[0].address: 10.9.0.5 is not inside the port's subnet 10.0.0.0/24`},
		{"static neighbor mac", []set{{"ports[0].static_neighbors", []any{map[string]any{"address": "10.0.0.5", "mac": "02:00:00"}}}}, `ports[0].static_neighbors[0].mac: "02:00:00" is not a MAC address like 02:00:00:00:00:01`},
		{"static neighbor no mac", []set{{"ports[0].static_neighbors", []any{map[string]any{"address": "10.0.0.5"}}}}, `ports[0].static_neighbors[0].mac: required`},
		{"static neighbor twice", []set{{"ports[0].static_neighbors", []any{map[string]any{"address": "10.0.0.5", "mac": "02:00:00:00:00:05"}, map[string]any{"address": "10.0.0.5", "mac": "02:00:00:00:00:06"}}}}, `ports[0].static_neighbors[1].address: 10.0.0.5 is already static_neighbors[0]`},
		{"static neighbor unknown key", []set{{"ports[0].static_neighbors", []any{map[string]any{"ip": "10.0.0.5"}}}}, `ports[0].static_neighbors[0].ip: unknown key`},
		{"address network", []set{{"ports[0].address", "10.0.0.0/24"}}, `ports[0].address: 10.0.0.0/24 is the subnet's network address, not a host address`},
		{"address broadcast", []set{{"ports[0].address", "10.0.0.255/24"}}, `ports[0].address: 10.0.0.255/24 is the subnet's broadcast address, not a host address`},
		{"subnets overlap", []set{{"ports[1].address", "10.0.9.1/16"}}, `ports[1].address: subnet 10.0.0.0/16 overlaps subnet 10.0.0.0/24 of ports[0]`},
		{"gateway outside", []set{{"ports[0].gateway", "10.9.9.9"}}, `ports[0].gateway: 10.9.9.9 is not inside this port's subnet 10.0.0.0/24`},
		{"gateway self", []set{{"ports[0].gateway", "10.0.0.1"}}, `ports[0].gateway: 10.0.0.1 is the port's own address`},
		{"gateway syntax", []set{{"ports[0].gateway", "router"}}, `ports[0].gateway: "router" is not an IPv4 address like 10.0.0.1`},
		{"mtu small", []set{{"ports[0].mtu", 10}}, `ports[0].mtu: must be between 68 and 9000, got 10`},
		{"port unknown key", []set{{"ports[0].speed", 10}}, `ports[0].speed: unknown key; valid keys here: address, device, gateway, kernel_interface, mtu, name, static_neighbors`},

		{"vip missing", []set{{"services[0].vip", del}}, `services[0].vip: required: an IPv4 address like 10.0.0.100`},
		{"vip ipv6", []set{{"services[0].vip", "fd00::100"}}, `services[0].vip: "fd00::100" is not an IPv4 address like 10.0.0.1`},
		{"vip outside", []set{{"services[0].vip", "10.5.0.100"}}, `services[0].vip: 10.5.0.100 is not inside any port's subnet (the port holding it answers ARP for the VIP)`},
		{"vip is port address", []set{{"services[0].vip", "10.0.0.1"}}, `services[0].vip: 10.0.0.1 is the address of ports[0] (wan); a VIP must be an address of its own`},
		{"protocol missing", []set{{"services[0].protocol", del}}, `services[0].protocol: required: tcp or udp`},
		{"protocol bad", []set{{"services[0].protocol", "sctp"}}, `services[0].protocol: must be tcp or udp, got "sctp"`},
		{"port missing", []set{{"services[0].port", del}}, `services[0].port: required: 1..65535`},
		{"port zero", []set{{"services[0].port", 0}}, `services[0].port: required: 1..65535 (0, every port of the VIP, only for a service with persistence_timeout, as IPVS)`},
		{"port big", []set{{"services[0].port", 70000}}, `services[0].port: must be between 0 and 65535, got 70000`},
		{"scheduler", []set{{"services[0].scheduler", "fifo"}}, `services[0].scheduler: unknown scheduler "fifo"; known: ` + strings.Join(sched.Names(), ", ")},
		{"service dup", []set{{"services[1].protocol", "tcp"}, {"services[1].port", 80}}, `services[1]: tcp 10.0.0.100:80 is already defined by services[0]`},
		{"service unknown key", []set{{"services[0].persistent", true}}, `services[0].persistent: unknown key; valid keys here: alpha, check, expire_nodest_conn, expire_quiescent_template, hysteresis, inhibit_on_failure, mh_table_size, name, one_packet, persistence_granularity, persistence_group, persistence_timeout, port, protocol, quorum, quorum_down, quorum_up, real_servers, scheduler, scheduler_flags, sorry_server, vip`},
		{"no real servers", []set{{"services[0].real_servers", []any{}}}, `services[0].real_servers: at least one real server is required`},
		{"rs address missing", []set{{"services[0].real_servers[0].address", del}}, `services[0].real_servers[0].address: required: an IPv4 address like 10.1.0.11`},
		{"weight negative", []set{{"services[1].real_servers[0].weight", -3}}, `services[1].real_servers[0].weight: must be between 0 and 65535, got -3`},
		{"weight big", []set{{"services[0].real_servers[1].weight", 70000}}, `services[0].real_servers[1].weight: must be between 0 and 65535, got 70000`},
		{"method bad", []set{{"services[0].real_servers[0].method", "fullnat"}}, `services[0].real_servers[0].method: must be nat, dr or tun, got "fullnat"`},
		{"rs port big", []set{{"services[0].real_servers[0].port", 70000}}, `services[0].real_servers[0].port: must be between 1 and 65535, got 70000`},
		{"rs dup", []set{{"services[0].real_servers[1].address", "10.1.0.11"}}, `services[0].real_servers[1]: 10.1.0.11:8080 is already real_servers[0] of this service`},
		{"rs unreachable", []set{{"services[0].real_servers[0].address", "10.9.0.1"}}, `services[0].real_servers[0].address: 10.9.0.1 is unreachable: not inside any port's subnet and no port has a gateway`},
		{"rs is vip", []set{{"services[0].real_servers[0].address", "10.0.0.100"}}, `services[0].real_servers[0].address: 10.0.0.100 is the VIP of services[0]`},
		{"rs is port", []set{{"services[0].real_servers[0].address", "10.1.0.1"}}, `services[0].real_servers[0].address: 10.1.0.1 is the address of ports[1] (lan)`},
		{"dr port change", []set{{"services[0].real_servers[0].method", "dr"}}, `services[0].real_servers[0].port: dr forwarding cannot change the port: must equal the service port 80, got 8080`},
		{"dr via gateway", []set{{"ports[0].gateway", "10.0.0.254"}, {"services[1].real_servers[0].method", "dr"}, {"services[1].real_servers[0].address", "10.7.0.1"}},
			`services[1].real_servers[0].address: 10.7.0.1 is not inside any port's subnet; dr forwarding needs the real server on a directly connected segment`},
		{"rs unknown key", []set{{"services[0].real_servers[0].wieght", 3}}, `services[0].real_servers[0].wieght: unknown key; valid keys here: address, check, inhibit_on_failure, lower_threshold, method, notify_down, notify_up, port, upper_threshold, weight`},

		{"socket empty", []set{{"admin.socket", ""}}, `admin.socket: required: a unix socket path like /run/govs/govsd.sock`},
		{"socket relative", []set{{"admin.socket", "govsd.sock"}}, `admin.socket: "govsd.sock" must be an absolute path`},
		{"socket long", []set{{"admin.socket", long}}, `admin.socket: path is 115 bytes, longer than the 107 a unix socket allows`},
		{"metrics listen", []set{{"metrics.listen", "9180"}}, `metrics.listen: "9180" is not host:port like 127.0.0.1:9180`},
		{"metrics unknown", []set{{"metrics.port", 9180}}, `metrics.port: unknown key; valid keys here: listen`},
		{"top unknown", []set{{"service", []any{}}}, `service: unknown key; valid keys here: admin, dataplane, eal, metrics, ports, security, services, sync, timeouts`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseWith(t, tc.sets...)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if !hasLine(err.Error(), tc.want) {
				t.Errorf("error\n%v\nhas no line starting %q", err, tc.want)
			}
		})
	}
}

// Config accepts exactly the schedulers the dataplane implements: an IPVS
// name it does not implement yet is refused while parsing, not by Apply.
func TestSchedulersAreTheDataplanes(t *testing.T) {
	ipvs := []string{"rr", "wrr", "lc", "wlc", "sh", "dh", "sed", "nq", "mh", "fo", "ovf", "twos", "lblc", "lblcr"}
	for _, name := range ipvs {
		_, err := parseWith(t, set{"services[0].scheduler", name})
		if implemented := slices.Contains(sched.Names(), name); implemented != (err == nil) {
			t.Errorf("scheduler %q (implemented: %v): err = %v", name, implemented, err)
		}
	}
}

func hasLine(msg, prefix string) bool {
	for line := range strings.SplitSeq(msg, "\n") {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}

func TestAllProblemsReported(t *testing.T) {
	_, err := parseWith(t,
		set{"eal.lcores", "0"},
		set{"dataplane.burst", 0},
		set{"ports[1].mtu", 1},
		set{"services[0].real_servers[1].weight", -1},
		set{"services[1].scheduler", "nope"},
	)
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 5 {
		t.Fatalf("want 5 problems, one per line, got %d:\n%v", len(lines), err)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path == "" {
		t.Errorf("errors.As(*FieldError) failed on %v", err)
	}
}

// A field that failed to decode is not reported again by validation, nor do
// port-subnet checks cascade from a port address that failed to decode.
func TestNoCascade(t *testing.T) {
	_, err := parseWith(t,
		set{"ports[0].address", "10.0.0.1"},
		set{"services[0].port", "http"},
	)
	want := []string{
		`ports[0].address: "10.0.0.1" is not an address/prefix like 10.0.0.1/24`,
		`services[0].port: must be an integer, got string "http"`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

func TestDefaults(t *testing.T) {
	c, err := parseWith(t)
	if err != nil {
		t.Fatal(err)
	}
	if !c.EAL.InMemory || c.EAL.MemoryMB != 0 || c.EAL.NoPCI {
		t.Errorf("eal defaults: %+v", c.EAL)
	}
	wantDP := Dataplane{ConnTableSize: 1 << 20, NeighborTableSize: 4096, Mbufs: 16383, MbufDataRoom: 2176, Burst: 32, RxDesc: 1024, TxDesc: 1024, IdleSleepMax: 200 * time.Microsecond,
		FlowAffinity: AffinityAddressPort}
	if c.Dataplane != wantDP {
		t.Errorf("dataplane = %+v, want %+v", c.Dataplane, wantDP)
	}
	if c.Timeouts != DefaultTimeouts() || c.Timeouts.TCPEstablished != 900*time.Second || c.Timeouts.UDP != 300*time.Second {
		t.Errorf("timeouts = %+v", c.Timeouts)
	}
	if c.Ports[0].MTU != 1500 || c.Ports[0].Gateway.IsValid() {
		t.Errorf("port defaults: %+v", c.Ports[0])
	}
	if s := c.Services[0]; s.Scheduler != "wlc" || s.SchedulerFlags != nil || s.MHTableSize != 0 { // ipvsadm's default
		t.Errorf("scheduler default = %q", s.Scheduler)
	}
	rs := c.Services[1].RealServers[0]
	if rs.Port != 53 || rs.Weight != 1 || rs.Method != MethodNAT {
		t.Errorf("real server defaults: %+v, want port 53 (service port), weight 1, nat", rs)
	}
	if c.Admin.Socket != "/run/govs/govsd.sock" || c.Metrics.Listen != "" {
		t.Errorf("admin/metrics defaults: %+v %+v", c.Admin, c.Metrics)
	}
	if c.Security != defaultSecurity() {
		t.Errorf("security = %+v, want %+v", c.Security, defaultSecurity())
	}
	// flood_syn_recv's default never exceeds a shorter tcp_syn_recv; an
	// explicit value is kept.
	c, err = parseWith(t, set{"timeouts.tcp_syn_recv", "1s"})
	if err != nil || c.Security.FloodSynRecv != time.Second {
		t.Errorf("short tcp_syn_recv: flood_syn_recv %v, err %v", c.Security.FloodSynRecv, err)
	}
	c, err = parseWith(t, set{"timeouts.tcp_syn_recv", "10s"}, set{"security.flood_syn_recv", "5s"})
	if err != nil || c.Security.FloodSynRecv != 5*time.Second {
		t.Errorf("explicit flood_syn_recv: %v, err %v", c.Security.FloodSynRecv, err)
	}
	// Explicit zero values that mean something must survive the defaults.
	c, err = parseWith(t, set{"eal.in_memory", false}, set{"services[0].real_servers[0].weight", 0})
	if err != nil {
		t.Fatal(err)
	}
	if c.EAL.InMemory || c.Services[0].RealServers[0].Weight != 0 {
		t.Errorf("explicit false/0 overridden: in_memory=%v weight=%d", c.EAL.InMemory, c.Services[0].RealServers[0].Weight)
	}
}

const fullYAML = `
eal:
  lcores: "0,2-3"
  memory_mb: 512
  in_memory: false
  file_prefix: govs1
  huge_dir: /dev/hugepages
  no_pci: false
  extra_args: ["--log-level=8"]
dataplane:
  conn_table_size: 65536
  mbufs: 8191
  burst: 64
  rx_desc: 512
  tx_desc: 2048
  idle_backoff: true
  idle_sleep_max: 1ms
timeouts:
  tcp_established: 1h
  udp: 30s
ports:
  - name: wan
    device: "0000:03:00.0"
    address: 192.0.2.10/24
    gateway: 192.0.2.1
    mtu: 9000
  - name: lan
    device: net_af_packet0,iface=eth1
    address: 10.1.0.1/16
    kernel_interface: {enabled: false, name: lan0}
services:
  - name: web
    vip: 192.0.2.100
    protocol: tcp
    port: 443
    scheduler: rr
    real_servers:
      - {address: 10.1.0.11, port: 8443, weight: 5, method: nat}
      - {address: 10.1.0.12, method: dr, weight: 0}
      - {address: 198.51.100.7, method: tun}
admin:
  socket: /tmp/govs.sock
metrics:
  listen: "[::1]:9180"
`

func TestFullExample(t *testing.T) {
	c, err := Parse([]byte(fullYAML))
	if err != nil {
		t.Fatal(err)
	}
	timeouts := DefaultTimeouts()
	timeouts.TCPEstablished = time.Hour
	timeouts.UDP = 30 * time.Second
	want := &Config{
		EAL: EAL{Lcores: "0,2-3", MemoryMB: 512, FilePrefix: "govs1", HugeDir: "/dev/hugepages",
			ExtraArgs: []string{"--log-level=8"}},
		Dataplane: Dataplane{ConnTableSize: 65536, NeighborTableSize: 4096, Mbufs: 8191, MbufDataRoom: 2176, Burst: 64, RxDesc: 512, TxDesc: 2048,
			IdleBackoff: true, IdleSleepMax: time.Millisecond, FlowAffinity: AffinityAddressPort},
		Timeouts: timeouts,
		Security: defaultSecurity(),
		Ports: []Port{
			{Name: "wan", Device: "0000:03:00.0", Address: netip.MustParsePrefix("192.0.2.10/24"),
				Gateway: netip.MustParseAddr("192.0.2.1"), MTU: 9000, Kernel: KernelInterface{Enabled: true, Name: "govs-wan"}},
			{Name: "lan", Device: "net_af_packet0,iface=eth1", Address: netip.MustParsePrefix("10.1.0.1/16"), MTU: 1500,
				Kernel: KernelInterface{Enabled: false, Name: "lan0"}},
		},
		Services: []Service{{
			Name: "web", VIP: netip.MustParseAddr("192.0.2.100"), Protocol: ProtoTCP, Port: 443, Scheduler: "rr", Quorum: 1, PersistenceGranularity: 32,
			RealServers: []RealServer{
				{Address: netip.MustParseAddr("10.1.0.11"), Port: 8443, Weight: 5, Method: MethodNAT},
				{Address: netip.MustParseAddr("10.1.0.12"), Port: 443, Weight: 0, Method: MethodDR},
				{Address: netip.MustParseAddr("198.51.100.7"), Port: 443, Weight: 1, Method: MethodTUN},
			},
		}},
		VRRP:    VRRP{NotifyTimeout: 10 * time.Second},
		Admin:   Admin{Socket: "/tmp/govs.sock"},
		Metrics: Metrics{Listen: "[::1]:9180"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}

	wantArgs := []string{"-l", "0,2-3", "-m", "512", "--file-prefix", "govs1", "--huge-dir", "/dev/hugepages",
		"-a", "0000:03:00.0", "--vdev=net_af_packet0,iface=eth1", "--log-level=8"}
	if got := c.EALArgs(); !reflect.DeepEqual(got, wantArgs) {
		t.Errorf("EALArgs = %q\nwant      %q", got, wantArgs)
	}
	if got := c.EAL.Workers(); !reflect.DeepEqual(got, []int{2, 3}) {
		t.Errorf("Workers = %v", got)
	}
	if i, ok := c.PortForAddr(netip.MustParseAddr("10.1.200.3")); !ok || i != 1 {
		t.Errorf("PortForAddr(10.1.200.3) = %d, %v", i, ok)
	}
	if _, ok := c.PortForAddr(netip.MustParseAddr("198.51.100.7")); ok {
		t.Error("PortForAddr(198.51.100.7) found a port")
	}
}

func TestEALArgsNoPCI(t *testing.T) {
	c, err := parseWith(t, set{"eal.no_pci", true}, set{"eal.memory_mb", 256})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-l", "0-1", "-m", "256", "--in-memory", "--no-pci",
		"--vdev=net_tap0,iface=tap-wan", "--vdev=net_tap1,iface=tap-lan"}
	if got := c.EALArgs(); !reflect.DeepEqual(got, want) {
		t.Errorf("EALArgs = %q\nwant      %q", got, want)
	}
}

func TestLcores(t *testing.T) {
	// DPDK's main lcore is the lowest id, whatever the order written.
	e := EAL{Lcores: "3,1-2"}
	if e.Main() != 1 || !reflect.DeepEqual(e.Workers(), []int{2, 3}) {
		t.Errorf("main %d workers %v", e.Main(), e.Workers())
	}
	if (EAL{Lcores: "x"}).Workers() != nil || (EAL{Lcores: "x"}).Main() != -1 {
		t.Error("invalid list should give no workers")
	}
}

func TestValidateInCode(t *testing.T) {
	c, err := parseWith(t)
	if err != nil {
		t.Fatal(err)
	}
	c.Services[0].RealServers[0].Weight = 70000
	c.Services[0].RealServers[1].Port = 0
	c.Dataplane.Burst = 0
	err = c.Validate()
	for _, want := range []string{
		"services[0].real_servers[0].weight: must be between 0 and 65535, got 70000",
		"services[0].real_servers[1].port: must be between 1 and 65535, got 0",
		"dataplane.burst: must be between 1 and 256, got 0",
	} {
		if err == nil || !hasLine(err.Error(), want) {
			t.Errorf("Validate() = %v\nwant a line %q", err, want)
		}
	}
}

func TestEnums(t *testing.T) {
	for _, tc := range []struct {
		m             Method
		name, forward string
	}{{MethodNAT, "nat", "Masq"}, {MethodDR, "dr", "Route"}, {MethodTUN, "tun", "Tunnel"}} {
		if tc.m.String() != tc.name || tc.m.Forward() != tc.forward {
			t.Errorf("%d: %s %s", tc.m, tc.m, tc.m.Forward())
		}
		if m, ok := ParseMethod(tc.name); !ok || m != tc.m {
			t.Errorf("ParseMethod(%q) = %v, %v", tc.name, m, ok)
		}
	}
	if ProtoTCP != 6 || ProtoUDP != 17 || ProtoTCP.String() != "tcp" || ProtoUDP.String() != "udp" {
		t.Error("protocol numbers or names wrong")
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("eal: {lcores: \"0\"}\nports: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bad)
	if err == nil {
		t.Fatal("no error")
	}
	for line := range strings.SplitSeq(err.Error(), "\n") {
		if !strings.HasPrefix(line, bad+": ") {
			t.Errorf("line %q does not name the file", line)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
	syntax := filepath.Join(dir, "syntax.yaml")
	os.WriteFile(syntax, []byte("eal:\n  lcores: [\n"), 0o644)
	if _, err := Load(syntax); err == nil || !strings.Contains(err.Error(), "syntax.yaml") {
		t.Errorf("syntax error: %v", err)
	}
}

func TestShippedConfigs(t *testing.T) {
	files, err := filepath.Glob("../../configs/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no configs found: %v", err)
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%v", err)
		}
	}
}

func TestDemoConfig(t *testing.T) {
	c, err := Load("../../configs/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Admin.Socket != "/run/govs/govsd-demo.sock" || c.Metrics.Listen != "127.0.0.1:9180" ||
		len(c.Services) != 2 || c.Services[1].Port != 53 || c.Services[1].RealServers[2].Port != 5353 ||
		c.Services[0].RealServers[2].Weight != 3 || c.Dataplane.Mbufs != 8191 || !c.Dataplane.IdleBackoff {
		t.Errorf("demo config not as specified: %+v", c)
	}
}
