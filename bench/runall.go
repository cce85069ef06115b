package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/govs-project/govs/control/config"
)

// staticNeighborsSupported reports whether this tree's configuration
// accepts ports[].static_neighbors (govsd is built from the same tree).
func staticNeighborsSupported() bool {
	c := govsdConf{Prefix: "probe", Socket: "/tmp/probe.sock", Device: "net_null0", ConnTable: 1024, Mbufs: 2048, Method: "nat", Static: true}
	_, err := config.Parse([]byte(c.yaml()))
	return err == nil
}

// results is everything a run measured.
type results struct {
	Plan      plan
	Refs      map[string][]testpmdRun // by refKey
	Runs      map[string][]govsdRun   // by caseKey
	SYN       []synRun
	SYNCase   *benchCase
	Stall     *stallResult
	RefLoop   *refloopResult // the reference C loop of the stall measurement
	StallCase *benchCase
	Capacity  *capacityResult
	Profile   *profileResult
	ConnTable *conntableResult // govs's connection table against rte_hash
	Synflood  *synfloodResult  // new connections under a SYN flood (issue 8)
	Health    *healthResult    // 2000 real servers checked every second (issue 9)
	Sync      *syncBenchResult // connection sync's cost on the lcore (issue 12)
	Errs      []string

	Start, End              time.Time
	PagesBefore, PagesRun   int
	FreePagesRun            int
	BudgetBytes             int64
	LoadBefore, LoadAfter   string
	Machine                 machineInfo
	Quick                   bool
	GovsdBin, GovsdCopy     string
	GovsdEnv                []string
	Repeats, Warmup, Window int
}

func refKey(mode string, s pcapSpec) string { return mode + "|" + s.String() }
func caseKey(c benchCase) string            { return c.Name + "|" + c.Pcap.String() }

func (r *results) fail(format string, args ...any) {
	r.Errs = append(r.Errs, fmt.Sprintf(format, args...))
}

// runAll performs the whole run. It returns what was measured even when
// something failed on the way (the failures are in results.Errs).
func (h *harness) runAll() (*results, error) {
	if err := h.preflight(); err != nil {
		return nil, err
	}
	res := &results{Refs: map[string][]testpmdRun{}, Runs: map[string][]govsdRun{}, Start: time.Now(),
		Quick: h.quick, Repeats: h.repeats, Warmup: h.warmup, Window: h.windows,
		LoadBefore: loadAvg(), Machine: describeMachine(h.repoRoot), GovsdEnv: h.govsdEnv}
	defer func() { res.End, res.LoadAfter = time.Now(), loadAvg() }()

	res.GovsdBin, res.GovsdCopy = h.govsdSrc, h.govsd
	hp, err := newHugepages()
	if err != nil {
		return nil, err
	}
	h.hp = hp
	res.PagesBefore = hp.prev
	target := h.hugepagesTarget
	if avail := memAvailableMiB(); target > hp.prev && (target-hp.prev)*2 > avail-4096 {
		// leave at least 4 GiB of ordinary memory to the rest of the machine
		target = hp.prev + max(0, (avail-4096)/2)
		h.logf("only %d MiB available: raising nr_hugepages to %d instead of %d", avail, target, h.hugepagesTarget)
	}
	if res.PagesRun, err = hp.raise(target); err != nil {
		return nil, err
	}
	res.FreePagesRun = freePages()
	res.BudgetBytes = int64(res.FreePagesRun-h.reservePages) * hugepageSize
	h.logf("hugepages: %d before, %d now, %d free; %d MiB for one process", res.PagesBefore, res.PagesRun, res.FreePagesRun, res.BudgetBytes>>20)

	synFlows := h.synFlows
	if !h.wants("syn") {
		synFlows = 0
	}
	p := makePlan(h.flows, synFlows, res.BudgetBytes)
	var cases []benchCase
	for _, c := range p.Cases {
		if h.wants(c.Name) {
			cases = append(cases, c)
		}
	}
	p.Cases = cases
	res.Plan = p
	for _, n := range p.Notes {
		h.logf("plan: %s", n)
	}
	if h.only == nil && !h.quick { // a full run: what it does not use is stale
		pruneCache(h.cacheDir, append(p.Pcaps, capacityPcap), h.logf)
	}
	paths := map[string]string{}
	for _, s := range p.Pcaps {
		if !h.pcapUsed(res, s) {
			continue
		}
		path, err := ensurePcap(h.cacheDir, s, h.logf)
		if err != nil {
			return res, err
		}
		paths[s.String()] = path
	}

	for rep := 1; rep <= h.repeats; rep++ {
		for _, s := range p.Pcaps {
			if !h.pcapUsed(res, s) {
				continue
			}
			path := paths[s.String()]
			// 5tswap before and after our cases, the ceiling (io) between:
			// the reference brackets govsd in time on a noisy machine.
			for _, step := range refSchedule(s) {
				if err := h.interrupted(); err != nil {
					return res, err
				}
				if step == "" {
					h.runCasesOn(res, s, path, rep)
					continue
				}
				h.logf("repeat %d/%d: testpmd %s on %s", rep, h.repeats, step, s)
				r, err := h.runTestpmd(step, path, s)
				if err != nil {
					res.fail("testpmd %s on %s: %v", step, s, err)
					h.logf("FAILED: %v", err)
					continue
				}
				r.Rep = rep
				h.logf("  testpmd %s: %.2f Mpps (start-up %.1fs)", step, median(r.Windows)/1e6, r.Startup.Seconds())
				res.Refs[refKey(step, s)] = append(res.Refs[refKey(step, s)], r)
			}
		}
	}
	if err := h.interrupted(); err != nil {
		return res, err
	}

	if h.wants("stall") && len(p.Pcaps) > 0 && p.Pcaps[0].Kind == kindNATIn {
		if err := h.runStallStep(res, p.Pcaps[0]); err != nil {
			return res, err
		}
	}
	if h.wants("capacity") {
		tiny := capacityPcap
		path, err := ensurePcap(h.cacheDir, tiny, h.logf)
		if err != nil {
			return res, err
		}
		h.logf("memory: bytes per connection, largest table")
		c := h.runCapacity(path, tiny)
		res.Capacity = &c
		if c.Err != "" {
			res.fail("capacity: %s", c.Err)
		}
		h.logf("  %v B/conn; largest table in 4 GiB %d (largest started under %d MiB: %d)", c.BytesPerConn, c.Projected4GiB, c.LimitMiB, c.Largest)
	}
	if h.wants("conntable") {
		if err := h.runConntableStep(res); err != nil {
			return res, err
		}
	}
	if h.wants("synflood") {
		if err := h.runSynfloodStep(res); err != nil {
			return res, err
		}
	}
	if h.wants("health") {
		if err := h.runHealthStep(res); err != nil {
			return res, err
		}
	}
	if h.wants("sync") {
		if err := h.runSyncStep(res); err != nil {
			return res, err
		}
	}
	return res, h.interrupted()
}

// runStallStep measures govsd's poll-loop stalls on s, then the reference C
// loop's on the same file with the same phases. A failure of either is
// recorded and the run goes on; only an unusable file or an interruption
// is returned.
func (h *harness) runStallStep(res *results, s pcapSpec) error {
	c := benchCase{Name: "nat-in", Method: "nat", Pcap: s}
	path, err := ensurePcap(h.cacheDir, c.Pcap, h.logf)
	if err != nil {
		return err
	}
	res.StallCase = &c
	h.logf("poll-loop stalls: %ds quiet, %ds of reloads", h.stallQuiet, h.stallBusy)
	st, err := h.runStall(c, path, h.stallQuiet, h.stallBusy)
	if err == nil {
		res.Stall = &st
		h.logf("  max poll gap: %d µs quiet, %d µs with %d reloads", st.QuietGapUs, st.BusyGapUs, st.Reloads)
	} else if err := h.noteFailure(res, "stall", err); err != nil {
		return err
	}
	h.logf("reference C loop: %ds quiet, %ds busy", h.stallQuiet, h.stallBusy)
	ref, err := h.runRefloop(c, path, h.stallQuiet, h.stallBusy, st.lastStats, st.lastStatus)
	if err != nil {
		return h.noteFailure(res, "reference loop", err)
	}
	res.RefLoop = &ref
	h.logf("  reference: longest gap %d µs quiet, %d µs busy (%d reloads on the stand-in)", ref.Quiet.MaxGapUs, ref.Busy.MaxGapUs, ref.Reloads)
	return nil
}

// noteFailure records a failed step; an interruption is returned instead.
func (h *harness) noteFailure(res *results, step string, err error) error {
	if errors.Is(err, errInterrupted) {
		return err
	}
	res.fail("%s: %v", step, err)
	h.logf("FAILED: %v", err)
	return nil
}

// capacityPcap is the small file of the memory checks.
var capacityPcap = pcapSpec{Kind: kindSYN, Flows: 1024}

// pcapUsed: a pcap is measured when one of the selected cases uses it.
func (h *harness) pcapUsed(res *results, s pcapSpec) bool {
	for _, c := range res.Plan.Cases {
		if c.Pcap == s {
			return true
		}
	}
	return false
}

// runCasesOn runs the govsd cases on one pcap.
func (h *harness) runCasesOn(res *results, s pcapSpec, path string, rep int) {
	for _, c := range res.Plan.Cases {
		if c.Pcap != s || h.interrupted() != nil {
			continue
		}
		h.logf("repeat %d/%d: govsd %s on %s", rep, h.repeats, c.Name, s)
		if c.Name == "syn" {
			r, err := h.runSYN(c, path)
			if err != nil {
				res.fail("govsd syn: %v", err)
				h.logf("FAILED: %v", err)
				continue
			}
			res.SYN = append(res.SYN, r)
			cc := c
			res.SYNCase = &cc
			h.logf("  %.2f M new conns/s over %v (%d samples)", r.ConnsPerSec/1e6, r.Span.Round(time.Millisecond), r.Samples)
			continue
		}
		var prof *results
		if h.profile && res.Profile == nil && c.Name == "nat-in" {
			prof = res
		}
		r, err := h.runGovsdCase(c, path, prof)
		if err != nil {
			if errors.Is(err, errInterrupted) {
				return
			}
			res.fail("govsd %s on %s: %v", c.Name, s, err)
			h.logf("FAILED: %v", err)
			continue
		}
		h.logf("  govsd %s: %.2f Mpps forwarded, %.2f Mpps received (start-up %.1fs)%s", c.Name,
			median(r.Windows)/1e6, median(r.RxWindows)/1e6, r.Startup.Seconds(), dropNote(r))
		res.Runs[caseKey(c)] = append(res.Runs[caseKey(c)], r)
	}
}

func dropNote(r govsdRun) string {
	if len(r.Drops) == 0 {
		return ""
	}
	var parts []string
	for k, v := range r.Drops {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	return "; drops " + strings.Join(parts, " ")
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
