package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// govsd is a running govsd of the bench.
type govsd struct {
	*child
	conf govsdConf
	adm  *admin.Client
}

// startGovsd writes conf to the run directory and starts govsd on it,
// waiting for "govsd ready".
func (h *harness) startGovsd(name string, conf govsdConf, env []string) (*govsd, error) {
	return h.launchGovsd(name, conf, env, true)
}

// startGovsdNoWait starts govsd without waiting for it to be ready.
func (h *harness) startGovsdNoWait(name string, conf govsdConf, env []string) (*govsd, error) {
	return h.launchGovsd(name, conf, env, false)
}

func (h *harness) launchGovsd(name string, conf govsdConf, env []string, wait bool) (*govsd, error) {
	ring := int64(8) // net_pcap's ring of the file's mbufs
	for ring < int64(conf.Mbufs) {
		ring <<= 1
	}
	need := int64(conf.Mbufs)*mbufBytes + ring*8 + tableFootprint(conf.ConnTable) + hugeOverhead
	if conf.SocketMiB > 0 {
		need = int64(conf.SocketMiB) << 20
	}
	if err := h.ensureFree(need, 60*time.Second); err != nil {
		return nil, err
	}
	conf, cfgPath, err := h.writeConf(conf)
	if err != nil {
		return nil, err
	}
	env = mergeEnv(h.govsdEnv, env)
	c, err := startChild("govsd", h.logPath("govsd-"+name), conf.Prefix, env, h.govsd, "-config", cfgPath)
	if err != nil {
		return nil, err
	}
	g := &govsd{child: c, conf: conf, adm: admin.Dial(conf.Socket)}
	if !wait {
		return g, nil
	}
	if err := c.waitLog("govsd ready", startTimeout); err != nil {
		g.stop()
		return nil, err
	}
	return g, nil
}

// writeConf gives conf a fresh EAL prefix and admin socket in the run
// directory and writes it there; it returns conf so completed and the
// file's path.
func (h *harness) writeConf(conf govsdConf) (govsdConf, string, error) {
	conf.Prefix = h.newPrefix()
	conf.Socket = filepath.Join(h.runDir, conf.Prefix+".sock")
	conf.Static = h.staticNeighbors
	path := filepath.Join(h.runDir, conf.Prefix+".yaml")
	return conf, path, os.WriteFile(path, []byte(conf.yaml()), 0o644)
}

func (g *govsd) stop() { g.child.stop(30 * time.Second) }

// lcore0 reads the counters of the (only) worker lcore.
func (g *govsd) lcore0() (admin.LcoreStats, time.Time, error) {
	st, err := g.adm.Stats()
	now := time.Now()
	if err != nil {
		return admin.LcoreStats{}, now, err
	}
	if len(st.Lcores) != 1 {
		return admin.LcoreStats{}, now, fmt.Errorf("govsd reports %d worker lcores, want 1", len(st.Lcores))
	}
	return st.Lcores[0], now, nil
}

// govsdRun is one measurement of govsd.
type govsdRun struct {
	Windows   []float64         // forwarded (tx) packets per second, per window
	RxWindows []float64         // received packets per second, per window
	Drops     map[string]uint64 // drops by reason during the windows
	RxTotal   uint64            // packets received during the windows
	First     admin.LcoreStats  // at the start of the windows
	Last      admin.LcoreStats  // at the end
	Startup   time.Duration
}

// dropsBetween is the per-reason growth of the drop counters.
func dropsBetween(a, b map[string]uint64) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range b {
		if d := v - a[k]; v > a[k] {
			out[k] = d
		}
	}
	return out
}

// measure samples the worker's counters: warm-up, then h.windows windows
// of one second each.
func (h *harness) measure(g *govsd) (govsdRun, error) {
	var r govsdRun
	if err := h.sleep(time.Duration(h.warmup) * time.Second); err != nil {
		return r, err
	}
	prev, t0, err := g.lcore0()
	if err != nil {
		return r, err
	}
	r.First = prev
	for range h.windows {
		if err := h.sleep(time.Second); err != nil {
			return r, err
		}
		cur, t1, err := g.lcore0()
		if err != nil {
			return r, err
		}
		dt := t1.Sub(t0).Seconds()
		r.Windows = append(r.Windows, rate(prev.TxPackets, cur.TxPackets, dt))
		r.RxWindows = append(r.RxWindows, rate(prev.RxPackets, cur.RxPackets, dt))
		prev, t0 = cur, t1
	}
	r.Last = prev
	r.RxTotal = r.Last.RxPackets - r.First.RxPackets
	r.Drops = dropsBetween(r.First.Drops, r.Last.Drops)
	if g.exited() {
		return r, fmt.Errorf("govsd exited during the measurement; log %s ends:\n%s", g.logPath, g.logTail(15))
	}
	return r, nil
}

// runGovsdCase starts govsd for one forwarding case and measures it; with
// profile, it then takes a CPU profile of the same process.
func (h *harness) runGovsdCase(c benchCase, pcapPath string, profile *results) (govsdRun, error) {
	conf := govsdConf{Device: pcapDevice(pcapPath), ConnTable: tableFor(c.Pcap.Flows),
		Mbufs: mbufsFor(c.Pcap) + mbufSlack, Method: c.Method}
	t0 := time.Now()
	g, err := h.startGovsd(fmt.Sprintf("%s-%s", c.Name, c.Pcap), conf, nil)
	if err != nil {
		return govsdRun{}, err
	}
	defer g.stop()
	startup := time.Since(t0)
	r, err := h.measure(g)
	r.Startup = startup
	if err == nil && profile != nil {
		h.profileGovsd(g, c, profile)
	}
	return r, err
}

// mergeEnv appends extra to base; GODEBUG settings of both are joined into
// one variable (the last GODEBUG would otherwise win).
func mergeEnv(base, extra []string) []string {
	var out, debug []string
	for _, kv := range append(append([]string(nil), base...), extra...) {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			debug = append(debug, v)
			continue
		}
		out = append(out, kv)
	}
	if len(debug) > 0 {
		out = append(out, "GODEBUG="+strings.Join(debug, ","))
	}
	return out
}
