package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// govsd is one daemon subprocess, the namespace it runs in and its
// configuration file. The admin socket is a file, reached from the test's
// own namespace; anything govsd serves over TCP (metrics) is reached from
// inside ns.
type govsd struct {
	proc    *netlab.Proc
	ns      *netlab.NS
	cfgPath string
	admin   *admin.Client
}

// startGovsd writes conf to dir/name and starts govsd on it inside ns, the
// director's namespace: its taps and kernel interfaces appear there.
func startGovsd(ns *netlab.NS, dir, name string, conf []byte, socket string) (*govsd, error) {
	g := &govsd{ns: ns, cfgPath: filepath.Join(dir, name), admin: admin.Dial(socket)}
	if err := writeFileAtomic(g.cfgPath, conf); err != nil {
		return nil, err
	}
	p, err := netlab.StartProcIn(ns, nil, bin("govsd"), "-config", g.cfgPath)
	if err != nil {
		return nil, err
	}
	g.proc = p
	return g, nil
}

// writeFileAtomic replaces path so a reload never reads half a file.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// exited returns an error if govsd is no longer running.
func (g *govsd) exited() error {
	select {
	case <-g.proc.Done():
		return fmt.Errorf("govsd exited with status %d", g.proc.ExitCode())
	default:
		return nil
	}
}

// waitTaps waits until the tap interfaces are up in govsd's namespace,
// that is, govsd has started its ports, and checks that govsd runs there.
func (g *govsd) waitTaps(timeout time.Duration, names ...string) error {
	deadline := time.Now().Add(timeout)
	for {
		if err := g.exited(); err != nil {
			return err
		}
		ok := true
		for _, n := range names {
			ok = ok && g.ns.WaitLink(n, true, 0) == nil
		}
		if ok {
			if in, err := g.ns.Holds(g.proc.Pid()); err != nil || !in {
				return fmt.Errorf("govsd (pid %d) is not in netns %s (%v)", g.proc.Pid(), g.ns.Name, err)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("tap interfaces %v not up within %v", names, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitReady polls Status until govsd is ready and every ip in neighbours is
// a resolved neighbour.
func (g *govsd) waitReady(timeout time.Duration, neighbours ...string) (admin.Status, error) {
	deadline := time.Now().Add(timeout)
	var st admin.Status
	var err error
	for {
		if e := g.exited(); e != nil {
			return st, e
		}
		st, err = g.admin.Status()
		if err == nil && st.Ready && resolved(st, neighbours) {
			return st, nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("ready=%v, neighbours %v not all resolved", st.Ready, neighbours)
			}
			return st, fmt.Errorf("govsd not ready within %v: %v", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func resolved(st admin.Status, ips []string) bool {
	for _, ip := range ips {
		if !slices.ContainsFunc(st.Neighbors, func(n admin.Neighbor) bool {
			return n.IP == ip && n.Resolved()
		}) {
			return false
		}
	}
	return true
}

// generation is the current configuration generation.
func (g *govsd) generation() (uint64, error) {
	st, err := g.admin.Status()
	return st.Generation, err
}

// reload writes conf, sends SIGHUP and waits for the generation to pass
// the one before.
func (g *govsd) reload(conf []byte, timeout time.Duration) (uint64, error) {
	before, err := g.generation()
	if err != nil {
		return 0, err
	}
	if err := writeFileAtomic(g.cfgPath, conf); err != nil {
		return 0, err
	}
	if err := g.proc.Signal(syscall.SIGHUP); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(timeout)
	for {
		gen, err := g.generation()
		if err == nil && gen > before {
			return gen, nil
		}
		if time.Now().After(deadline) {
			return gen, fmt.Errorf("generation still %d (err %v) %v after SIGHUP", gen, err, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dump describes the daemon for a failure message: its status and the end
// of its output.
func (g *govsd) dump() string {
	var b strings.Builder
	if st, err := g.admin.Status(); err != nil {
		fmt.Fprintf(&b, "status: %v\n", err)
	} else {
		js, _ := json.MarshalIndent(st, "", "  ")
		fmt.Fprintf(&b, "status: %s\n", js)
	}
	if st, err := g.admin.Stats(); err == nil {
		fmt.Fprintf(&b, "drops: %v\n", st.Drops)
	}
	fmt.Fprintf(&b, "govsd output (tail):\n%s", tail(g.proc.Output(), 8<<10))
	return b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// stop sends SIGTERM to govsd's process group (SIGKILL after a grace time).
func (g *govsd) stop() error { return g.proc.Stop(10 * time.Second) }

// counters returns every number in govsd's stats and status replies by
// path, with list elements summed: "stats.drops.no_conn",
// "stats.lcores.tx_packets", "status.ports.tx_packets". Tests use it for
// counters they find by name pattern rather than by a field of admin.Stats.
func (g *govsd) counters() (map[string]float64, error) {
	out := map[string]float64{}
	for _, ep := range []struct{ name, path string }{{"stats", "/v1/stats"}, {"status", "/v1/status"}} {
		body, err := g.admin.Do(http.MethodGet, ep.path)
		if err != nil {
			return nil, err
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, fmt.Errorf("%s: %w", ep.path, err)
		}
		flattenNumbers(ep.name, v, out)
	}
	return out, nil
}

func flattenNumbers(path string, v any, out map[string]float64) {
	switch v := v.(type) {
	case float64:
		out[path] += v
	case map[string]any:
		for k, e := range v {
			flattenNumbers(path+"."+k, e, out)
		}
	case []any:
		for _, e := range v {
			flattenNumbers(path, e, out)
		}
	}
}
