package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// The health setup (health_*_test.go, kernel_*_test.go): an LVS/NAT lab of
// its own (namespaces and taps named tag+"h"...) with three real servers
// rs1..rs3 and a fourth, rs4, that is only ever the sorry server. govsd
// runs in its director namespace with a kernel interface on each port
// (govs-wan, govs-lan, the default), so the checks leave through the LAN
// port. Services of healthBaseConf:
//   - web  tcp 80   rr -> :8080 (HTTP), http check, quorum 1, sorry server rs4
//   - held tcp 7000 rr -> :7000 (line echo), the same check on :8080, inhibit_on_failure
//   - cut  tcp 7001 rr -> :7000 (line echo), the same check on :8080, no inhibit
//
// Every check is an HTTP GET of healthPath on the server's :8080, so
// stopping a server's HTTP service fails it in all three services while
// its line echo connections stay open at the server.

// The checks' timing, and the bounds the tests hold them to.
const (
	checkInterval = 200 * time.Millisecond
	checkTimeout  = 200 * time.Millisecond
	checkFall     = 2
	checkRise     = 2
	// detectBound is the bound on detection: fall x interval +
	// timeout (the retry delay is the interval).
	detectBound = checkFall*checkInterval + checkTimeout
	// recoverBound: rise successes, one interval apart, the first at most
	// one interval after the server is back.
	recoverBound = checkRise * checkInterval
	// schedMargin is added to both bounds for scheduling on this shared
	// 2-core machine: timers firing late, the goroutines of the checker and
	// of the snapshot publisher, and the lcore picking up the snapshot.
	schedMargin = 200 * time.Millisecond
)

// healthPath is what the checks request (the clients request "/"), so a
// server's request counts tell checks from clients.
const healthPath = "/health"

const sorryIP = "10.1.0.14"

// Service keys as the health API and events name them.
var (
	webKey  = "tcp/" + vip + ":80"
	heldKey = "tcp/" + vip + ":7000"
	cutKey  = "tcp/" + vip + ":7001"
)

// hService is one service of the health setup's configuration.
type hService struct {
	Name    string
	Port    int // on the VIP
	RSPort  int
	Inhibit bool
	Sorry   bool   // rs4 is its sorry server
	Check   string // the service's check, a YAML flow mapping
	// Weights of rs1..rs3 (1 when nil) and per-address check overrides.
	Weights   []int
	Overrides map[string]string
}

type healthConf struct {
	Prefix   string // names of namespaces and taps
	Socket   string
	Services []hService
}

// checkYAML is the check of every service: extra keys are appended.
func checkYAML(extra string) string {
	s := fmt.Sprintf("{type: http, path: %s, interval: %v, timeout: %v, retry_delay: %v, fall: %d, rise: %d, warmup: 0s",
		healthPath, checkInterval, checkTimeout, checkInterval, checkFall, checkRise)
	if extra != "" {
		s += ", " + extra
	}
	return s + "}"
}

func healthBaseConf(prefix, dir string) healthConf {
	return healthConf{
		Prefix: prefix,
		Socket: dir + "/govsd.sock",
		Services: []hService{
			{Name: "web", Port: 80, RSPort: rsHTTPPort, Sorry: true, Check: checkYAML("")},
			{Name: "held", Port: 7000, RSPort: rsEchoPort, Inhibit: true, Check: checkYAML(fmt.Sprintf("connect_port: %d", rsHTTPPort))},
			{Name: "cut", Port: 7001, RSPort: rsEchoPort, Check: checkYAML(fmt.Sprintf("connect_port: %d", rsHTTPPort))},
		},
	}
}

// ports are the DPDK ports; the kernel interfaces take their default names.
func (c healthConf) ports() []portConf {
	return []portConf{
		{Name: "wan", Iface: c.Prefix + "w", Addr: wanAddr + "/24"},
		{Name: "lan", Iface: c.Prefix + "l", Addr: lanAddr + "/24"},
	}
}

// clone copies c so a test can change it without touching the original.
func (c healthConf) clone() healthConf {
	c.Services = slices.Clone(c.Services)
	for i := range c.Services {
		s := &c.Services[i]
		s.Weights = slices.Clone(s.Weights)
		o := map[string]string{}
		for k, v := range s.Overrides {
			o[k] = v
		}
		s.Overrides = o
	}
	return c
}

func (c *healthConf) service(name string) *hService {
	for i := range c.Services {
		if c.Services[i].Name == name {
			return &c.Services[i]
		}
	}
	panic("no service " + name)
}

// YAML renders the configuration in govsd's format.
func (c healthConf) YAML() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `eal: {lcores: "0-1", memory_mb: %d, in_memory: true, file_prefix: %sd, no_pci: true}
dataplane: {conn_table_size: 65536, mbufs: 8191, idle_backoff: true}
ports:
`, ealMemoryMB, c.Prefix)
	for i, p := range c.ports() {
		fmt.Fprintf(&b, "  - {name: %s, device: \"net_tap%d,iface=%s\", address: %s}\n", p.Name, i, p.Iface, p.Addr)
	}
	fmt.Fprintf(&b, "admin: {socket: %s, state_file: %s}\nservices:\n", c.Socket, filepath.Join(filepath.Dir(c.Socket), "state.json"))
	for _, s := range c.Services {
		fmt.Fprintf(&b, "  - name: %s\n    vip: %s\n    protocol: tcp\n    port: %d\n    scheduler: rr\n", s.Name, vip, s.Port)
		fmt.Fprintf(&b, "    quorum: 1\n    inhibit_on_failure: %v\n    expire_nodest_conn: false\n    check: %s\n", s.Inhibit, s.Check)
		if s.Sorry {
			fmt.Fprintf(&b, "    sorry_server: {address: %s, port: %d}\n", sorryIP, s.RSPort)
		}
		b.WriteString("    real_servers:\n")
		for i, ip := range serverIPs {
			w := 1
			if i < len(s.Weights) {
				w = s.Weights[i]
			}
			fmt.Fprintf(&b, "      - {address: %s, port: %d, weight: %d", ip, s.RSPort, w)
			if o := s.Overrides[ip]; o != "" {
				fmt.Fprintf(&b, ", check: %s", o)
			}
			b.WriteString("}\n")
		}
	}
	return []byte(b.String())
}

// healthEnv is the shared health setup.
type healthEnv struct {
	labEnv
	lab  *netlab.NATLab
	conf healthConf // what govsd runs between tests
}

// healthLab returns the shared health setup, building it on first use.
func healthLab(t *testing.T) *healthEnv {
	t.Helper()
	return acquire(t, "HEALTH", func() (sharedEnv, error) {
		env, err := startHealthEnv()
		if err != nil {
			return nil, err
		}
		return env, nil
	}).(*healthEnv)
}

func startHealthEnv() (env *healthEnv, err error) {
	env = &healthEnv{labEnv: labEnv{kind: "HEALTH"}}
	defer func() {
		if err != nil {
			env.close()
			env = nil
		}
	}()
	if env.dir, err = os.MkdirTemp("", tempPrefix(tag)+"health-"); err != nil {
		return
	}
	prefix := tag + "h"
	env.conf = healthBaseConf(prefix, env.dir)
	// labEnv.close checks these taps are gone after govsd; the YAML
	// govsd runs is env.conf's.
	env.base = govsdConf{FilePrefix: prefix + "d", Ports: env.conf.ports(), Socket: env.conf.Socket}
	env.lab, err = netlab.NewNATLab(netlab.NATSpec{
		Prefix:      prefix,
		ClientCIDR:  clientCIDR,
		ClientGW:    wanAddr,
		ServerCIDRs: slash24(append(slices.Clone(serverIPs), sorryIP)),
		ServerGW:    lanAddr,
		HTTPPort:    rsHTTPPort,
		EchoPort:    rsEchoPort,
	})
	if err != nil {
		return
	}
	env.hosts = &env.lab.Hosts
	env.describe = env.healthState
	err = env.startDaemon(env.conf.YAML(),
		func() error {
			return env.lab.AttachPorts(env.base.Ports[0].Iface, env.base.Ports[1].Iface, 5*time.Second)
		},
		serverIPs,
		func() error {
			_, err := netlab.HTTPGetNewConn(env.lab.Client, "http://"+vip+"/", 10*time.Second)
			return err
		})
	if err != nil {
		return
	}
	if e := env.waitHealthy(10 * time.Second); e != nil {
		return env, fmt.Errorf("waiting for every check to pass: %v\n%s", e, env.report())
	}
	return env, nil
}

// realServers are rs1..rs3 (rs4 is the sorry server).
func (e *healthEnv) realServers() []*netlab.Server { return e.lab.Servers[:3] }

func (e *healthEnv) sorry() *netlab.Server { return e.lab.Servers[3] }

// waitHealthy waits until every checked server is up and every service
// has its quorum.
func (e *healthEnv) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		h, err := e.d.admin.Health()
		why := ""
		switch {
		case err != nil:
			why = err.Error()
		case len(h.Servers) != 3*len(e.conf.Services):
			why = fmt.Sprintf("%d checkers, want %d", len(h.Servers), 3*len(e.conf.Services))
		}
		for _, s := range h.Servers {
			if why == "" && s.State != admin.HealthUp {
				why = fmt.Sprintf("%s %s:%d is %s (%s)", s.Service, s.Address, s.Port, s.State, s.LastError)
			}
		}
		for _, s := range h.Services {
			if why == "" && !s.QuorumUp {
				why = fmt.Sprintf("%s has no quorum", s.Service)
			}
		}
		if why == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not healthy within %v: %s", timeout, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// requireHealthy fails t unless the setup is healthy, and registers a
// cleanup that makes it healthy again for the next test: every server's
// HTTP service running and answering 200, then every check passing.
// Cleanups the test registers later (a SYN drop removed, the base
// configuration reloaded) run before it.
func (e *healthEnv) requireHealthy(t *testing.T) {
	t.Helper()
	if err := e.waitHealthy(10 * time.Second); err != nil {
		t.Fatalf("health setup before the test: %v", err)
	}
	t.Cleanup(func() {
		for _, s := range e.lab.Servers {
			s.HTTP.SetStatus(200)
			if !s.HTTP.Running() {
				if err := s.HTTP.Start(); err != nil {
					t.Errorf("restarting %s's HTTP server: %v", s.Ident, err)
				}
			}
		}
		if err := e.waitHealthy(10 * time.Second); err != nil {
			t.Errorf("health setup after the test: %v", err)
		}
	})
}

// reload applies c (SIGHUP) and waits for the new generation.
func (e *healthEnv) reload(t *testing.T, c healthConf) {
	t.Helper()
	if _, err := e.d.reload(c.YAML(), 10*time.Second); err != nil {
		t.Fatalf("reload: %v", err)
	}
}

// serverHealth is the checker of ip's server in service key.
func (e *healthEnv) serverHealth(t *testing.T, key, ip string) admin.ServerHealth {
	t.Helper()
	h, err := e.d.admin.Health()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range h.Servers {
		if s.Service == key && s.Address == ip {
			return s
		}
	}
	t.Fatalf("no checker of %s in %s: %+v", ip, key, h.Servers)
	return admin.ServerHealth{}
}

// healthState is what a failure report adds: govsctl checks, and the
// lcores' longest poll gaps since the start (a lcore kept off its CPU
// stalls every flow and every check at once).
func (e *healthEnv) healthState() string {
	var b strings.Builder
	if h, err := e.d.admin.Health(); err != nil {
		fmt.Fprintf(&b, "health: %v\n", err)
	} else {
		b.WriteString("govsctl checks:\n")
		admin.FormatChecks(&b, h)
	}
	if st, err := e.d.admin.Stats(); err == nil {
		for _, l := range st.Lcores {
			fmt.Fprintf(&b, "lcore %d: longest poll gap %d us, gaps over %v\n", l.Lcore, l.MaxPollGapUs, l.PollGapsOver)
		}
	}
	return b.String()
}
