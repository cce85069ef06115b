package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/internal/netlab"
)

// demoTag prefixes every namespace and tap the demo makes; one demo runs
// at a time.
const demoTag = "govsdemo"

func run(ctx context.Context, o options) error {
	if why := netlab.MissingRoot(); why != "" {
		return errors.New(why)
	}
	cfg, err := config.Load(o.config)
	if err != nil {
		return err
	}
	if why := netlab.MissingHugepages(max(cfg.EAL.MemoryMB, 64)); why != "" {
		return errors.New(why)
	}
	topo, err := topology(cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", o.config, err)
	}
	release, err := claimDemo()
	if err != nil {
		return err
	}
	defer release()

	step("building namespaces: client %s, real servers %v", topo.spec.ClientCIDR, topo.spec.ServerCIDRs)
	lab, err := netlab.NewNATLab(topo.spec)
	if err != nil {
		return err
	}
	defer func() {
		step("removing namespaces")
		lab.Close()
	}()

	logf, err := os.CreateTemp("", "govs-demo-govsd-*.log")
	if err != nil {
		return err
	}
	defer logf.Close()
	if err := os.MkdirAll(filepath.Dir(topo.socket), 0o755); err != nil {
		return err
	}
	step("starting %s -config %s in namespace %s (log: %s)", o.govsd, o.config, lab.Director.Name, logf.Name())
	d, err := netlab.StartProcIn(lab.Director, logf, o.govsd, "-config", o.config)
	if err != nil {
		return err
	}
	defer func() {
		step("stopping govsd")
		d.Stop(10 * time.Second)
		os.Remove(cfg.Admin.StatePath()) // the demo's overrides, cleared anyway
	}()
	daemonErr := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err() // interrupted: no need for govsd's log
		}
		return fmt.Errorf("%w\n--- govsd output:\n%s", err, d.Output())
	}

	// polled often: govsd's health checks start at once, and those sent
	// before the ports are wired into the lab fail
	if err := pollFor(ctx, d, 10*time.Millisecond, 30*time.Second, func() (bool, error) {
		return lab.Director.WaitLink(topo.wanTap, true, 0) == nil && lab.Director.WaitLink(topo.lanTap, true, 0) == nil, nil
	}); err != nil {
		return daemonErr(fmt.Errorf("waiting for taps %s and %s: %w", topo.wanTap, topo.lanTap, err))
	}
	step("moving %s into the client namespace and %s onto the servers' bridge", topo.wanTap, topo.lanTap)
	if err := lab.AttachPorts(topo.wanTap, topo.lanTap, 5*time.Second); err != nil {
		return err
	}
	cl := admin.Dial(topo.socket)
	var servers []string
	for _, s := range lab.Servers {
		servers = append(servers, s.IP.String())
	}
	step("waiting for govsd to be ready and to resolve %v", servers)
	if err := waitFor(ctx, d, 20*time.Second, func() bool {
		st, err := cl.Status()
		return err == nil && st.Ready && allResolved(st, servers)
	}); err != nil {
		return daemonErr(fmt.Errorf("waiting for readiness: %w", err))
	}
	if err := waitChecksUp(ctx, d, cl, topo); err != nil {
		return daemonErr(fmt.Errorf("waiting for the health checks to pass: %w", err))
	}

	if err := sendHTTP(ctx, lab, topo, o.nHTTP); err != nil {
		return daemonErr(err)
	}
	if topo.udpVIP.IsValid() {
		if err := sendUDP(ctx, lab, topo, o.nUDP); err != nil {
			return daemonErr(err)
		}
	}
	if err := sendHostile(ctx, lab, topo, cl); err != nil {
		return daemonErr(err)
	}
	if _, err := netlab.HTTPGetNewConn(lab.Client, fmt.Sprintf("http://%s/", topo.httpVIP), 5*time.Second); err != nil {
		return daemonErr(fmt.Errorf("a GET after the forged frames: %w", err))
	}
	step("a GET after them is still served")
	if topo.metrics != "" {
		if err := showMetrics(lab.Director, topo.metrics); err != nil {
			return daemonErr(err)
		}
	}
	if err := showFailover(failoverRun{ctx: ctx, govsd: d, lab: lab, topo: topo, cl: cl, govsctl: o.govsctl}); err != nil {
		return daemonErr(err)
	}
	if err := showKernelPath(ctx, lab, topo, cl, o.govsctl); err != nil {
		return daemonErr(fmt.Errorf("kernel-side interface: %w", err))
	}
	if err := showRuntime(ctx, lab, topo, cl, o.govsctl); err != nil {
		return daemonErr(fmt.Errorf("runtime controls: %w", err))
	}
	for _, args := range [][]string{{"list"}, {"stats"}, {"lcores"}} {
		if err := govsctl(ctx, o.govsctl, topo.socket, args...); err != nil {
			return err
		}
	}
	return nil
}

// claimDemo takes the demo's tag for this run (one demo at a time) and
// removes what an earlier run left behind; release gives the tag back.
func claimDemo() (release func(), err error) {
	release, err = netlab.Claim(demoTag)
	if err != nil {
		return nil, fmt.Errorf("%w (is another govs-demo running?)", err)
	}
	if err := netlab.CleanTag(demoTag); err != nil {
		release()
		return nil, fmt.Errorf("leftovers of an earlier demo: %w", err)
	}
	return release, nil
}

func step(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

// waitFor polls cond every 100ms until it holds, the daemon exits, ctx is
// cancelled or timeout passes.
func waitFor(ctx context.Context, d *netlab.Proc, timeout time.Duration, cond func() bool) error {
	return pollFor(ctx, d, 100*time.Millisecond, timeout, func() (bool, error) { return cond(), nil })
}

// pollFor polls cond every interval until it holds or fails, the daemon
// exits, ctx is cancelled or timeout passes.
func pollFor(ctx context.Context, d *netlab.Proc, every, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.Done():
			return fmt.Errorf("govsd exited with status %d", d.ExitCode())
		case <-time.After(every):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v", timeout)
		}
	}
}

func allResolved(st admin.Status, ips []string) bool {
	for _, ip := range ips {
		if !slices.ContainsFunc(st.Neighbors, func(n admin.Neighbor) bool {
			return n.IP == ip && n.Resolved()
		}) {
			return false
		}
	}
	return true
}

func sendHTTP(ctx context.Context, lab *netlab.NATLab, topo demoTopo, n int) error {
	url := fmt.Sprintf("http://%s/", topo.httpVIP)
	step("%d HTTP requests to %s, each on a new connection", n, url)
	count := map[string]int{}
	for i := range n {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		body, err := netlab.HTTPGetNewConn(lab.Client, url, 5*time.Second)
		if err != nil {
			return fmt.Errorf("GET %s #%d: %w", url, i+1, err)
		}
		count[body]++
		fmt.Printf("    GET #%02d -> %s\n", i+1, body)
	}
	printCounts(count, n)
	return nil
}

func sendUDP(ctx context.Context, lab *netlab.NATLab, topo demoTopo, n int) error {
	addr := topo.udpVIP.String()
	step("%d UDP requests to %s, each from a new socket", n, addr)
	count := map[string]int{}
	for i := range n {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		payload := fmt.Sprintf("hello-%d", i+1)
		reply, peer, err := netlab.UDPRequest(lab.Client, addr, payload, 2*time.Second)
		if err != nil {
			return fmt.Errorf("UDP %s #%d: %w", addr, i+1, err)
		}
		ident := reply
		if k := len(reply) - len(payload) - 1; k > 0 {
			ident = reply[:k]
		}
		count[ident]++
		fmt.Printf("    UDP #%02d %q -> %q from %s\n", i+1, payload, reply, peer)
	}
	printCounts(count, n)
	return nil
}

func printCounts(count map[string]int, n int) {
	idents := make([]string, 0, len(count))
	for k := range count {
		idents = append(idents, k)
	}
	sort.Strings(idents)
	for _, k := range idents {
		fmt.Printf("    %s answered %d of %d\n", k, count[k], n)
	}
}

func govsctl(ctx context.Context, bin, socket string, args ...string) error {
	full := append([]string{"-s", socket}, args...)
	step("%s %s", bin, strings.Join(full, " "))
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

// showMetrics scrapes govsd's metrics listener from inside its namespace,
// where the listener is (the admin socket, a file, is reached from here),
// and prints how many series it exports.
func showMetrics(director *netlab.NS, listen string) error {
	url := "http://" + listen + "/metrics"
	body, err := netlab.HTTPGetNewConn(director, url, 5*time.Second)
	if err != nil {
		return fmt.Errorf("scraping %s in netns %s: %w", url, director.Name, err)
	}
	var series int
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "govs_") {
			series++
		}
	}
	if series == 0 {
		return fmt.Errorf("%s in netns %s has no govs_ series", url, director.Name)
	}
	step("metrics: %d govs_ series at %s (inside netns %s)", series, url, director.Name)
	return nil
}
