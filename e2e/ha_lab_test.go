package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// The HA setups (issue 10): two govsd directors, each in its own
// namespace (netlab.HALab), in front of the same three real servers, with
// VRRP electing the one that holds the VIP. Each director has its own port
// addresses; director 1 has priority 150, director 2 priority 100.
//
//   - DR ("HA-DR", names tag+"p"...): one segment holding the client
//     (10.0.0.2), a spare namespace for keepalived (10.0.0.5), the
//     directors' single ports (10.0.0.1, 10.0.0.9) and the servers
//     (dsrServerIPs, the VIP on lo by govsctl realserver setup --mode dr,
//     replying straight to the client). One instance, VI_WAN: the VIP.
//   - NAT ("HA-NAT", names tag+"q"...): the client's segment (the
//     directors' wan 10.0.0.1 and .9) and the servers' (lan 10.1.0.1 and
//     .9; the servers route via 10.1.0.254, a floating address). Instances
//     VI_WAN (the VIP) and VI_LAN (the gateway) in sync group G_NAT, so
//     the replies always go back through the director holding the VIP.
const (
	haVRIDWAN = 51
	haVRIDLAN = 52
	haPeerIP  = "10.0.0.5"   // keepalived's namespace, on the client's segment
	haGateway = "10.1.0.254" // NAT: the servers' floating gateway
	haMargin  = 100 * time.Millisecond
)

var (
	haWANAddrs = [2]string{wanAddr, "10.0.0.9"}
	haLANAddrs = [2]string{lanAddr, "10.1.0.9"}
)

// haVRRP is the VRRP configuration both directors run.
type haVRRP struct {
	Version   int
	Interval  time.Duration
	AuthPass  string
	Priority  [2]int
	Nopreempt [2]bool
	// TrackLAN makes VI_LAN follow the LAN port's link (weight 0: down is
	// FAULT). NAT only.
	TrackLAN bool
	// PreemptDelay is both instances' preempt_delay (0: none).
	PreemptDelay time.Duration
	// Sync runs connection sync following VI_WAN (DR) or G_NAT (NAT),
	// authenticated with the lab's key (ha_sync_test.go); EchoSched, if
	// set, replaces the echo service's scheduler.
	Sync      bool
	EchoSched string
}

// haV3 is the fast configuration: VRRPv3, 100 ms adverts.
func haV3() haVRRP {
	return haVRRP{Version: 3, Interval: 100 * time.Millisecond, Priority: [2]int{150, 100}}
}

// haV2 is keepalived's default timing, with PASS authentication.
func haV2() haVRRP {
	return haVRRP{Version: 2, Interval: time.Second, AuthPass: "govs-e2e", Priority: [2]int{150, 100}}
}

func (v haVRRP) String() string { return fmt.Sprintf("v%d_%v", v.Version, v.Interval) }

// yaml is director i's vrrp section.
func (v haVRRP) yaml(i int, nat bool) string {
	var b strings.Builder
	b.WriteString("vrrp:\n  instances:\n")
	instance := func(name string, vrid int, port, addr string, track bool) {
		fmt.Fprintf(&b, "    - {name: %s, vrid: %d, port: %s, version: %d, advert_interval: %v, priority: %d, virtual_addresses: [%s]",
			name, vrid, port, v.Version, v.Interval, v.Priority[i], addr)
		if v.Nopreempt[i] {
			b.WriteString(", nopreempt: true")
		}
		if v.PreemptDelay > 0 {
			fmt.Fprintf(&b, ", preempt_delay: %v", v.PreemptDelay)
		}
		if v.AuthPass != "" {
			fmt.Fprintf(&b, ", auth_pass: %s", v.AuthPass)
		}
		if track {
			b.WriteString(", track_port: [{port: lan, weight: 0}]")
		}
		b.WriteString("}\n")
	}
	instance("VI_WAN", haVRIDWAN, "wan", vip, false)
	if nat {
		instance("VI_LAN", haVRIDLAN, "lan", haGateway, v.TrackLAN)
		b.WriteString("  sync_groups:\n    - {name: G_NAT, instances: [VI_WAN, VI_LAN]}\n")
	}
	return b.String()
}

// haDirector is one of the two directors.
type haDirector struct {
	name    string // "director 1"
	ns      *netlab.NS
	conf    govsdConf // its ports, socket, EAL prefix and services
	d       *govsd    // nil while stopped
	yaml    []byte    // what d runs
	started time.Time // when d was started
}

// haEnv is a shared HA setup. labEnv.d is director 1's govsd (acquire
// checks that it runs, so every test leaves both directors running).
type haEnv struct {
	labEnv
	lab  *netlab.HALab
	nat  bool
	dirs [2]*haDirector
}

func haDRLab(t *testing.T) *haEnv {
	t.Helper()
	return acquire(t, "HA-DR", func() (sharedEnv, error) { return startHAEnv("HA-DR", tag+"p", false) }).(*haEnv)
}

func haNATLab(t *testing.T) *haEnv {
	t.Helper()
	return acquire(t, "HA-NAT", func() (sharedEnv, error) { return startHAEnv("HA-NAT", tag+"q", true) }).(*haEnv)
}

// startHAEnv builds the lab and starts both directors on haV3, director 1
// first: it is MASTER, director 2 BACKUP.
func startHAEnv(kind, prefix string, nat bool) (env *haEnv, err error) {
	env = &haEnv{labEnv: labEnv{kind: kind}, nat: nat}
	defer func() {
		if err != nil {
			env.close()
			env = nil
		}
	}()
	if env.dir, err = os.MkdirTemp("", tempPrefix(tag)+strings.ToLower(kind)+"-"); err != nil {
		return
	}
	env.describe = env.state
	spec := netlab.HASpec{Prefix: prefix, NAT: nat, ClientCIDR: clientCIDR, PeerCIDR: haPeerIP + "/24"}
	if nat {
		spec.ServerCIDRs, spec.ServerGW = slash24(serverIPs), haGateway
		spec.Services = netlab.Services{HTTPPort: rsHTTPPort, EchoPort: rsEchoPort}
	} else {
		rs := &dsrEnv{labEnv: labEnv{dir: env.dir}, method: "dr"}
		spec.ServerCIDRs = slash24(dsrServerIPs)
		spec.Prepare = func(s *netlab.Server) error { return rs.realserver(s, "setup") }
		spec.Cleanup = func(s *netlab.Server) error { return rs.realserver(s, "teardown") }
		spec.Services = netlab.Services{HTTPPort: dsrHTTPPort, EchoPort: dsrEchoPort, ListenIP: vip}
	}
	if env.lab, err = netlab.NewHALab(spec); err != nil {
		return
	}
	for i := range env.dirs {
		env.dirs[i] = &haDirector{name: fmt.Sprintf("director %d", i+1), ns: env.lab.Directors[i], conf: haConf(prefix, env.dir, i, nat)}
	}
	for i, state := range []string{"MASTER", "BACKUP"} {
		if err = env.start(i, env.yaml(i, haV3())); err != nil {
			return
		}
		if err = env.awaitAll(i, state, 10*time.Second); err != nil {
			return env, fmt.Errorf("%v\n%s", err, env.report())
		}
	}
	return
}

// haConf is director i's govsd configuration without VRRP: its own port
// addresses, and the services (web tcp 80 wrr 1:2:3, echo tcp 7000 rr) to
// the NAT or DR servers.
func haConf(prefix, dir string, i int, nat bool) govsdConf {
	id := fmt.Sprint(i + 1)
	c := govsdConf{
		FilePrefix: prefix + "d" + id,
		Ports:      []portConf{{Name: "wan", Iface: prefix + id + "w", Addr: haWANAddrs[i] + "/24"}},
		Socket:     fmt.Sprintf("%s/govsd-%s.sock", dir, id),
	}
	if nat {
		c.Ports = append(c.Ports, portConf{Name: "lan", Iface: prefix + id + "l", Addr: haLANAddrs[i] + "/24"})
		c.Services = []svcConf{
			{Name: "web", Proto: "tcp", Port: 80, Sched: "wrr", RS: allServers(rsHTTPPort, 1, 2, 3)},
			{Name: "echo", Proto: "tcp", Port: rsEchoPort, Sched: "rr", RS: allServers(rsEchoPort, 1)},
		}
		return c
	}
	c.Services = []svcConf{
		{Name: "web", Proto: "tcp", Port: dsrHTTPPort, Sched: "wrr", RS: realServers(dsrServerIPs, dsrHTTPPort, "dr", 1, 2, 3)},
		{Name: "echo", Proto: "tcp", Port: dsrEchoPort, Sched: "rr", RS: realServers(dsrServerIPs, dsrEchoPort, "dr", 1)},
	}
	return c
}

// yaml is director i's whole configuration with v.
func (e *haEnv) yaml(i int, v haVRRP) []byte {
	conf := e.dirs[i].conf
	if v.EchoSched != "" {
		conf.Services = slices.Clone(conf.Services)
		for j := range conf.Services {
			if conf.Services[j].Name == "echo" {
				conf.Services[j].Sched = v.EchoSched
			}
		}
	}
	out := append(conf.YAML(), v.yaml(i, e.nat)...)
	if v.Sync {
		out = append(out, e.syncYAML()...)
	}
	return out
}

// servers are the real servers' addresses, which a ready director has
// resolved.
func (e *haEnv) servers() []string {
	if e.nat {
		return serverIPs
	}
	return dsrServerIPs
}

// instances are the VRRP instances every director runs.
func (e *haEnv) instances() []string {
	if e.nat {
		return []string{"VI_WAN", "VI_LAN"}
	}
	return []string{"VI_WAN"}
}

// start runs govsd on conf in director i's namespace, attaches its taps
// and waits until it is ready with the servers resolved.
func (e *haEnv) start(i int, conf []byte) error {
	h := e.dirs[i]
	if h.d != nil {
		return fmt.Errorf("%s is running already", h.name)
	}
	started := time.Now()
	g, err := startGovsd(h.ns, e.dir, fmt.Sprintf("govsd-%d.yaml", i+1), conf, h.conf.Socket)
	if err != nil {
		return fmt.Errorf("%s: %w", h.name, err)
	}
	h.d, h.yaml, h.started = g, conf, started
	if i == 0 {
		e.d = g
	}
	fail := func(what string, err error) error { return fmt.Errorf("%s: %s: %v\n%s", h.name, what, err, g.dump()) }
	if err := g.waitTaps(30*time.Second, h.conf.taps()...); err != nil {
		return fail("waiting for its ports", err)
	}
	lan := ""
	if e.nat {
		lan = h.conf.Ports[1].Iface
	}
	if err := e.lab.AttachDirector(i, h.conf.Ports[0].Iface, lan, 5*time.Second); err != nil {
		return fail("attaching its taps", err)
	}
	if _, err := g.waitReady(20*time.Second, e.servers()...); err != nil {
		return fail("waiting for readiness", err)
	}
	return nil
}

// kill SIGKILLs director i (a crash: no priority-0 advert, its taps go
// with it) and returns when it was signalled.
func (e *haEnv) kill(t *testing.T, i int) time.Time {
	t.Helper()
	h := e.dirs[i]
	at := time.Now()
	if err := h.d.proc.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL %s: %v", h.name, err)
	}
	if !h.d.proc.Exited(5 * time.Second) {
		t.Fatalf("%s still running 5 s after SIGKILL", h.name)
	}
	h.d = nil
	return at
}

// terminate sends SIGTERM to director i (a graceful stop: priority-0
// adverts) and returns when it was signalled and a func that waits for
// its exit and reports one that was not clean.
func (e *haEnv) terminate(t *testing.T, i int) (time.Time, func()) {
	t.Helper()
	h := e.dirs[i]
	g := h.d
	at := time.Now()
	if err := g.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", h.name, err)
	}
	h.d = nil
	return at, func() {
		t.Helper()
		if !g.proc.Exited(15*time.Second) || g.proc.ExitCode() != 0 {
			t.Errorf("%s did not exit 0 after SIGTERM:\n%s", h.name, tail(g.proc.Output(), 4<<10))
		}
	}
}

// stop stops director i gracefully, if it runs.
func (e *haEnv) stop(i int) error {
	h := e.dirs[i]
	if h.d == nil {
		return nil
	}
	g := h.d
	h.d = nil
	if err := g.stop(); err != nil {
		return fmt.Errorf("%s did not stop cleanly on SIGTERM: %v\n%s", h.name, err, tail(g.proc.Output(), 4<<10))
	}
	return nil
}

// ensure leaves both directors running v, director 1 MASTER of every
// instance and director 2 BACKUP. It restarts only what must: a director
// 1 that is down or runs something else comes up alone first (with
// nopreempt it would not take over from a running director 2), unless it
// preempts and director 2 already runs v.
func (e *haEnv) ensure(t *testing.T, v haVRRP) {
	t.Helper()
	want := [2][]byte{e.yaml(0, v), e.yaml(1, v)}
	runs := func(i int) bool {
		h := e.dirs[i]
		return h.d != nil && h.d.exited() == nil && bytes.Equal(h.yaml, want[i])
	}
	var errs []error
	for i := range e.dirs {
		if h := e.dirs[i]; h.d != nil && h.d.exited() != nil {
			h.d = nil // crashed: stop only reports it
		}
	}
	switch {
	case !runs(0) && (!runs(1) || v.Nopreempt[0]):
		errs = append(errs, e.stop(1), e.stop(0))
	case !runs(1):
		errs = append(errs, e.stop(1))
	case !runs(0):
		errs = append(errs, e.stop(0))
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for i, state := range []string{"MASTER", "BACKUP"} {
		if e.dirs[i].d == nil {
			if err := e.start(i, want[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.awaitAll(i, state, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// The client may still have the MAC of a keepalived peer or of a
	// director that was replaced for the VIP: the new master's gratuitous
	// ARP updates it, but only if an entry exists, and cleanly.
	e.lab.Client.IP("neigh", "flush", "dev", "eth0")
}

// restore is ensure(haV3()) for t.Cleanup: the next test's acquire needs
// director 1 running.
func (e *haEnv) restore(t *testing.T) {
	t.Cleanup(func() { e.ensure(t, haV3()) })
}

// vrrpOf returns director i's instances by name.
func (e *haEnv) vrrpOf(i int) (map[string]admin.VRRPInstance, error) {
	h := e.dirs[i]
	if h.d == nil {
		return nil, fmt.Errorf("%s is not running", h.name)
	}
	ins, err := h.d.admin.VRRP()
	if err != nil {
		return nil, err
	}
	out := map[string]admin.VRRPInstance{}
	for _, in := range ins {
		out[in.Name] = in
	}
	return out, nil
}

// instance returns director i's instance name.
func (e *haEnv) instance(t *testing.T, i int, name string) admin.VRRPInstance {
	t.Helper()
	ins, err := e.vrrpOf(i)
	in, ok := ins[name]
	if err != nil || !ok {
		t.Fatalf("%s's VRRP instance %s: %v (have %v)", e.dirs[i].name, name, err, ins)
	}
	return in
}

// await polls director i until instance name is in state and returns it
// as seen then.
func (e *haEnv) await(i int, name, state string, within time.Duration) (admin.VRRPInstance, error) {
	var last map[string]admin.VRRPInstance
	var err error
	for deadline := time.Now().Add(within); ; time.Sleep(5 * time.Millisecond) {
		last, err = e.vrrpOf(i)
		if in, ok := last[name]; ok && in.State == state {
			return in, nil
		}
		if time.Now().After(deadline) {
			return admin.VRRPInstance{}, fmt.Errorf("%s's %s not %s within %v: %+v (%v)", e.dirs[i].name, name, state, within, last[name], err)
		}
	}
}

// awaitT is await failing t.
func (e *haEnv) awaitT(t *testing.T, i int, name, state string, within time.Duration) admin.VRRPInstance {
	t.Helper()
	in, err := e.await(i, name, state, within)
	if err != nil {
		t.Fatalf("%v\n%s", err, e.state())
	}
	return in
}

// awaitAll waits until every instance of director i is in state.
func (e *haEnv) awaitAll(i int, state string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for _, name := range e.instances() {
		if _, err := e.await(i, name, state, time.Until(deadline)); err != nil {
			return err
		}
	}
	return nil
}

// state describes both directors' VRRP instances and the lab, for
// failure reports (director 1's status comes from labEnv.report).
func (e *haEnv) state() string {
	var b strings.Builder
	for i, h := range e.dirs {
		if h == nil {
			continue
		}
		ins, err := e.vrrpOf(i)
		fmt.Fprintf(&b, "--- %s VRRP: %v\n", h.name, err)
		for _, name := range e.instances() {
			fmt.Fprintf(&b, "  %+v\n", ins[name])
		}
		if i == 1 && h.d != nil {
			fmt.Fprintf(&b, "--- %s:\n%s\n", h.name, h.d.dump())
		}
	}
	if e.lab != nil {
		b.WriteString(e.lab.Describe())
	}
	return b.String()
}

// close stops both directors, checks their taps went with them and
// removes the lab and the temporary directory.
func (e *haEnv) close() error {
	var errs []error
	for i := len(e.dirs) - 1; i >= 0; i-- {
		if e.dirs[i] != nil {
			errs = append(errs, e.stop(i))
		}
	}
	if e.lab != nil {
		for i, h := range e.dirs {
			if h == nil {
				continue
			}
			for _, tap := range h.conf.taps() {
				if e.lab.Directors[i].LinkExists(tap) {
					errs = append(errs, fmt.Errorf("tap %s still in netns %s after %s stopped", tap, e.lab.Directors[i].Name, h.name))
				}
			}
		}
		errs = append(errs, e.lab.Close())
	}
	if e.dir != "" {
		os.RemoveAll(e.dir)
	}
	return errors.Join(errs...)
}

// takeover is how long after at the instance became what it is now:
// govsd's own record of the transition (same clock), else now.
func takeover(in admin.VRRPInstance, at time.Time) time.Duration {
	if in.Since.After(at) {
		return in.Since.Sub(at)
	}
	return time.Since(at)
}
