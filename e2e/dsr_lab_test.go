package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// The DR and TUN setups (direct server return): one segment holds the
// client (10.0.0.2), the director's only port (wan 10.0.0.1, net_tap) and
// the real servers (dsrServerIPs); the director alone answers ARP for the
// VIP. Each real server is configured by "govsctl realserver setup --mode
// dr|tun" (VIP on lo with arp_ignore/arp_announce, or the userspace IPIP
// decapsulator with a TUN device holding the VIP) and serves, bound to the
// VIP, on the service ports themselves: HTTP :80, line echo :7000, UDP echo
// :53 and an upload sink :9000. Replies go from the servers straight to
// the client.

// tunMTU is the MTU of the TUN director's port: a client's full-size
// (1500-byte) segment no longer fits once wrapped in 20 more bytes, so the
// director must answer with ICMP fragmentation-needed (next-hop MTU
// tunMTU-20) and the client's path MTU discovery must take over.
const tunMTU = 1300

// Service ports of the DR and TUN setups.
const (
	dsrHTTPPort = 80
	dsrEchoPort = 7000
	dsrUDPPort  = 53
	dsrSinkPort = 9000
)

// dsrBaseConf is what the shared DR or TUN govsd runs between tests:
//   - web  tcp 80   wrr 1:2:3
//   - echo tcp 7000 rr
//   - dns  udp 53   rr
//   - bulk tcp 9000 rr (TUN only; its port has MTU tunMTU)
func dsrBaseConf(method, prefix, dir string) govsdConf {
	c := govsdConf{
		FilePrefix: prefix + "d",
		Ports:      []portConf{{Name: "wan", Iface: prefix + "w", Addr: wanAddr + "/24"}},
		Socket:     dir + "/govsd.sock",
		Services: []svcConf{
			{Name: "web", Proto: "tcp", Port: dsrHTTPPort, Sched: "wrr", RS: realServers(dsrServerIPs, dsrHTTPPort, method, 1, 2, 3)},
			{Name: "echo", Proto: "tcp", Port: dsrEchoPort, Sched: "rr", RS: realServers(dsrServerIPs, dsrEchoPort, method, 1)},
			{Name: "dns", Proto: "udp", Port: dsrUDPPort, Sched: "rr", RS: realServers(dsrServerIPs, dsrUDPPort, method, 1)},
		},
	}
	if method == "tun" {
		c.Ports[0].MTU = tunMTU
		c.Services = append(c.Services, svcConf{Name: "bulk", Proto: "tcp", Port: dsrSinkPort, Sched: "rr", RS: realServers(dsrServerIPs, dsrSinkPort, method, 1)})
	}
	return c
}

// dsrEnv is the shared DR or TUN setup.
type dsrEnv struct {
	labEnv
	lab    *netlab.DSRLab
	method string // "dr" or "tun"
	// MACs of the client's and the real servers' (by ident) eth0.
	clientMAC net.HardwareAddr
	rsMAC     map[string]net.HardwareAddr
}

// drLab and tunLab return the shared DR or TUN setup, building it on
// first use.
func drLab(t *testing.T) *dsrEnv  { return dsrLab(t, "DR", "dr", tag+"g") }
func tunLab(t *testing.T) *dsrEnv { return dsrLab(t, "TUN", "tun", tag+"i") }

// dsrLab: prefix names its namespaces and taps ("g" and "i" after ipvsadm's
// -g and -i; the NAT setup uses the bare tag, the testpmd wire tag+"t").
func dsrLab(t *testing.T, kind, method, prefix string) *dsrEnv {
	t.Helper()
	return acquire(t, kind, func() (sharedEnv, error) {
		env, err := startDSREnv(kind, method, prefix)
		if err != nil {
			return nil, err
		}
		return env, nil
	}).(*dsrEnv)
}

func startDSREnv(kind, method, prefix string) (env *dsrEnv, err error) {
	env = &dsrEnv{labEnv: labEnv{kind: kind}, method: method, rsMAC: map[string]net.HardwareAddr{}}
	defer func() {
		if err != nil {
			env.close()
			env = nil
		}
	}()
	if env.dir, err = os.MkdirTemp("", tempPrefix(tag)+strings.ToLower(kind)+"-"); err != nil {
		return
	}
	env.base = dsrBaseConf(method, prefix, env.dir)
	env.describe = env.realServerState
	env.lab, err = netlab.NewDSRLab(netlab.DSRSpec{
		Prefix:      prefix,
		ClientCIDR:  clientCIDR,
		ServerCIDRs: slash24(dsrServerIPs),
		Prepare:     func(s *netlab.Server) error { return env.realserver(s, "setup") },
		Cleanup:     func(s *netlab.Server) error { return env.realserver(s, "teardown") },
		Services: netlab.Services{
			HTTPPort: dsrHTTPPort, EchoPort: dsrEchoPort, UDPPort: dsrUDPPort, SinkPort: dsrSinkPort,
			ListenIP: vip,
		},
	})
	if err != nil {
		return
	}
	env.hosts = &env.lab.Hosts
	if env.clientMAC, err = env.lab.Client.HardwareAddr("eth0"); err != nil {
		return
	}
	for _, s := range env.lab.Servers {
		if env.rsMAC[s.Ident], err = s.NS.HardwareAddr("eth0"); err != nil {
			return
		}
	}
	err = env.startDaemon(env.base.YAML(),
		func() error { return env.lab.AttachPort(env.base.Ports[0].Iface, 5*time.Second) },
		dsrServerIPs,
		func() error {
			_, err := netlab.HTTPGetNewConn(env.lab.Client, "http://"+vip+"/", 10*time.Second)
			return err
		})
	return
}

// stateDir is where govsctl realserver keeps the state of server s: one
// directory per server, since /run is shared by every namespace.
func (env *dsrEnv) stateDir(s *netlab.Server) string {
	return filepath.Join(env.dir, "realserver-"+s.Ident)
}

// realserver runs "govsctl realserver ACTION --mode METHOD --vip VIP
// --state-dir DIR" inside s's namespace. Its output goes to a log file in
// the state directory's parent: a helper it leaves running (the TUN
// decapsulator) may keep the file open, which a pipe would wait for.
func (env *dsrEnv) realserver(s *netlab.Server, action string) error {
	dir := env.stateDir(s)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	logPath := filepath.Join(env.dir, fmt.Sprintf("realserver-%s-%s.log", s.Ident, action))
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer log.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := []string{"realserver", action, "--mode", env.method, "--vip", vip, "--state-dir", dir}
	cmd := s.NS.CommandContext(ctx, bin("govsctl"), args...)
	cmd.Stdout, cmd.Stderr = log, log
	err = cmd.Run()
	if err != nil {
		out, _ := os.ReadFile(logPath)
		return fmt.Errorf("ip netns exec %s govsctl %s: %v\n%s", s.NS.Name, strings.Join(args, " "), err, tail(string(out), 4<<10))
	}
	return nil
}

// realServerState describes the real servers' setup for failure reports:
// the files in each state directory, the helper's logs, and the ARP
// sysctls.
func (env *dsrEnv) realServerState() string {
	if env.lab == nil {
		return ""
	}
	var b strings.Builder
	for _, s := range env.lab.Servers {
		fmt.Fprintf(&b, "--- real server %s (%s, netns %s)\n", s.Ident, env.method, s.NS.Name)
		if ents, err := os.ReadDir(env.stateDir(s)); err == nil {
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			fmt.Fprintf(&b, "state dir: %v\n", names)
		}
		logs, _ := filepath.Glob(filepath.Join(env.dir, "realserver-"+s.Ident+"-*.log"))
		for _, l := range logs {
			out, _ := os.ReadFile(l)
			fmt.Fprintf(&b, "%s:\n%s", filepath.Base(l), tail(string(out), 2<<10))
		}
		s.NS.Do(func() error {
			for _, k := range []string{"all/arp_ignore", "all/arp_announce", "all/rp_filter"} {
				v, _ := os.ReadFile("/proc/sys/net/ipv4/conf/" + k)
				fmt.Fprintf(&b, "%s=%s ", k, strings.TrimSpace(string(v)))
			}
			b.WriteString("\n")
			return nil
		})
	}
	return b.String()
}
