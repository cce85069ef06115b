package main

import (
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"time"

	"github.com/govs-project/govs/control/config"
)

// Case synflood (issue 8): the share of legitimate new connections that
// get in while spoofed SYNs arrive at 10x the connection table's size per
// second. govsd runs on net_tap ports in a NAT lab of network namespaces
// (synfloodlab.go); in the client namespace a flooder writes spoofed SYNs
// onto the WAN tap (synfloodsend.go) while a client opens HTTP connections
// at a steady rate and long-lived connections exchange a line every second
// (synfloodload.go).
//
// Two runs: the defence run, a table of floodTable entries with govsd's
// defaults (over flood_threshold, half-open entries expire after
// flood_syn_recv; a full table evicts a half-open entry for a new one);
// and a control run with a table that holds the whole flood (never
// flooded), so that what the load costs is told apart from what the table
// costs.

const (
	floodTable       = 4096 // the defence run's table (the minimum is 1024)
	floodRatio       = 10   // SYNs per second per table entry
	floodSecs        = 20
	floodBaseline    = 5  // seconds of legitimate traffic before the flood
	floodLegitRate   = 20 // new legitimate connections per second
	floodEstablished = 16 // long-lived connections held through the flood
	controlSecs      = 10
	// the control table keeps the flood's entries under this share (below
	// flood_threshold's default 75 %)
	controlFill = 0.70
)

// floodPlan is one run of the case.
type floodPlan struct {
	Name         string // runDefence | runControl
	Table        int
	Rate         int // SYNs per second
	FloodSecs    int
	BaselineSecs int // 0: no baseline phase
	LegitRate    int
	Established  int
}

const (
	runDefence = "defence"
	runControl = "control"
)

// floodPlans are the runs: the defence run, then (not in quick mode) the
// control run.
func floodPlans(quick bool) []floodPlan {
	rate := floodRatio * floodTable
	def := floodPlan{Name: runDefence, Table: floodTable, Rate: rate, FloodSecs: floodSecs,
		BaselineSecs: floodBaseline, LegitRate: floodLegitRate, Established: floodEstablished}
	if quick {
		def.FloodSecs, def.BaselineSecs = 10, 3
		return []floodPlan{def}
	}
	ctl := def
	ctl.Name, ctl.FloodSecs, ctl.BaselineSecs = runControl, controlSecs, 0
	ctl.Table = controlTable(rate, controlSecs)
	return []floodPlan{def, ctl}
}

// controlTable holds rate × secs entries under controlFill of its size,
// rounded up to a multiple of 1024.
func controlTable(rate, secs int) int {
	n := int(float64(rate*secs)/controlFill) + 1
	return min((n+1023)&^1023, maxTableEntries)
}

// floodRun is what one run measured.
type floodRun struct {
	Plan    floodPlan
	Attempt int // of the plan, from 1
	// as govsd reads the configuration
	FloodPct              int
	FloodSynRecv, SynRecv time.Duration

	Baseline *legitPhase // nil without a baseline
	Flood    legitPhase  // attempts started during the flood
	Send     sendStats
	Dir      directorDelta // over the flood
	TapDrops tapDrops      // the taps' tx_dropped over the flood (kernel side)
	TapQueue [2]int        // the taps' txqlen: the kernel's default, the lab's
	MaxConns uint64        // largest conns gauge sampled during the flood
	// SlowestWanRx is the lowest WAN packets/s between two samples
	SlowestWanRx float64
	MaxPollGapUs uint64 // the worker's longest poll gap since start, after the flood
	Active       int    // samples with flood_active set
	Samples      int
	HasActive    bool

	EstOK, EstFailed int // exchanges on the established connections during the flood
	EstKept, EstOpen int // still answering after the flood, of those opened
}

// synfloodResult is the case's runs, the defence run first.
type synfloodResult struct {
	Runs []floodRun
}

// run is the last run of the plan named name, or nil.
func (r *synfloodResult) run(name string) *floodRun {
	for i := len(r.Runs) - 1; i >= 0; i-- {
		if r.Runs[i].Plan.Name == name {
			return &r.Runs[i]
		}
	}
	return nil
}

// runSynfloodStep runs the case as a step of the bench: a failure is
// recorded with what was measured, and the run goes on.
func (h *harness) runSynfloodStep(res *results) error {
	h.logf("SYN flood: legitimate connections while spoofed SYNs arrive at %dx the table (%d entries) per second", floodRatio, floodTable)
	r, err := h.runSynflood()
	if len(r.Runs) > 0 {
		res.Synflood = r
	}
	if err != nil {
		return h.noteFailure(res, "synflood", err)
	}
	return nil
}

func (h *harness) runSynflood() (*synfloodResult, error) {
	out := &synfloodResult{}
	lab, err := newFloodLab(h.logf)
	if err != nil {
		return out, fmt.Errorf("building the lab: %w", err)
	}
	closeLab := h.atCleanup(func() {
		if err := lab.close(); err != nil {
			h.logf("synflood: tearing the lab down: %v", err)
		}
	})
	defer closeLab()
	for _, p := range floodPlans(h.quick) {
		for attempt := 1; ; attempt++ {
			if err := h.interrupted(); err != nil {
				return out, err
			}
			h.logf("  %s run: table %d, %d SYN/s for %d s, %d legitimate connections/s", p.Name, p.Table, p.Rate, p.FloodSecs, p.LegitRate)
			r, err := h.runFloodPlan(lab, p)
			if err != nil {
				return out, fmt.Errorf("%s run (table %d): %w", p.Name, p.Table, err)
			}
			r.Attempt = attempt
			out.Runs = append(out.Runs, r)
			h.logf("  %s", floodSummary(r))
			if p.Name != runDefence || r.floodReached() || attempt == floodAttempts {
				break
			}
			h.logf("  the flood reached the director at %.2fx the table, not %dx (slowest 0.5 s: %.0f packets/s; the worker lost its CPU?): once more", r.rxPerTable(), floodRatio, r.SlowestWanRx)
		}
	}
	return out, nil
}

// floodAttempts bounds the defence runs: one more when the flood did not
// reach the director at the rate asked (its CPU was taken, on a shared
// machine), since then the case's condition did not hold. Every attempt
// is reported; the targets are the last one's.
const floodAttempts = 2

// floodReached: the director received the flood at the rate asked (99 %:
// the rate of the flooder's clock against the director's).
func (r floodRun) floodReached() bool {
	return r.Dir.perSec(r.Dir.WanRx) >= 0.99*float64(r.Plan.Rate)
}

// floodSummary is the progress line of a run.
func floodSummary(r floodRun) string {
	base := ""
	if b := r.Baseline; b != nil {
		base = fmt.Sprintf(" (baseline %d/%d)", b.OK, b.Tried)
	}
	return fmt.Sprintf("%d SYN/s sent, %.0f packets/s at the director's WAN port; legitimate %d/%d%s; created %d, evicted %s, conn_table_full %d; established kept %d/%d",
		uint64(rate(0, r.Send.Sent, r.Send.Secs)), r.Dir.perSec(r.Dir.WanRx), r.Flood.OK, r.Flood.Tried, base,
		r.Dir.Created, evictedText(r.Dir), r.Dir.TableFull, r.EstKept, r.EstOpen)
}

func evictedText(d directorDelta) string {
	if !d.HasEvicted {
		return "not reported"
	}
	return fmt.Sprint(d.Evicted)
}

// readConfig takes the flood settings govsd reads from c.
func (r *floodRun) readConfig(c floodConf) error {
	cfg, err := config.Parse([]byte(c.yaml()))
	if err != nil {
		return fmt.Errorf("the lab's configuration: %w", err)
	}
	r.FloodPct, r.FloodSynRecv, r.SynRecv = cfg.Security.FloodThreshold, cfg.Security.FloodSynRecv, cfg.Timeouts.TCPSynRecv
	return nil
}

// runFloodPlan starts a director for p, runs the phases and stops it.
func (h *harness) runFloodPlan(l *floodLab, p floodPlan) (r floodRun, err error) {
	r = floodRun{Plan: p}
	g, conf, err := h.startDirector(l, p.Table)
	if err != nil {
		return r, err
	}
	r.TapQueue = conf.TapQueue
	defer func() {
		if serr := stopDirector(g, l); serr != nil {
			err = errors.Join(err, serr)
		}
	}()
	if err := r.readConfig(conf); err != nil {
		return r, err
	}
	st, err := g.adm.Status()
	if err != nil {
		return r, err
	}
	var mac net.HardwareAddr
	for _, port := range st.Ports {
		if port.Name == "wan" {
			mac, err = net.ParseMAC(port.MAC)
		}
	}
	if mac == nil {
		return r, fmt.Errorf("no MAC of port wan in the status (%v)", err)
	}
	client := l.lab.Client
	est, err := openEstablished(client, vipAddr(floodEchoPort), p.Established)
	if err != nil {
		return r, err
	}
	r.EstOpen = len(est.conns)
	est.start()
	finished := false
	defer func() {
		if !finished {
			est.finish()
		}
	}()
	if p.BaselineSecs > 0 {
		b := runLegit(client, vipAddr(vipPort), p.LegitRate, time.Duration(p.BaselineSecs)*time.Second, h.stopCh)
		r.Baseline = &b
	}
	if err := h.interrupted(); err != nil {
		return r, err
	}
	sender, err := openFloodSender(client, l.wan(), mac)
	if err != nil {
		return r, err
	}
	defer sender.close()
	drops0 := readTapDrops(l)
	s0, err := sampleDirector(g)
	if err != nil {
		return r, err
	}

	start := time.Now()
	sent := make(chan sendStats, 1)
	go func() { sent <- sender.run(p.Rate, time.Duration(p.FloodSecs)*time.Second, h.stopCh) }()
	stopSampling, samples := sampleDuring(g, 500*time.Millisecond)
	// the legitimate attempts start once the table is full and connect
	// (1 s at most) before the flood ends
	if h.sleep(time.Second) == nil {
		r.Flood = runLegit(client, vipAddr(vipPort), p.LegitRate, time.Duration(p.FloodSecs-2)*time.Second, h.stopCh)
	}
	r.Send = <-sent
	end := time.Now()
	s1, err := sampleDirector(g)
	stopSampling()
	if err != nil {
		return r, err
	}
	r.Dir = deltaOf(s0, s1)
	r.MaxPollGapUs = s1.MaxPollGapUs
	r.TapDrops = readTapDrops(l).since(drops0)
	r.SlowestWanRx = slowestWanRx(*samples)
	for _, s := range *samples {
		r.MaxConns = max(r.MaxConns, s.Conns)
		r.Samples++
		if s.FloodActive {
			r.Active++
		}
		r.HasActive = r.HasActive || s.HasFloodActive
	}
	probes, kept := est.finish()
	finished = true
	r.EstOK, r.EstFailed = probesIn(probes, start, end)
	r.EstKept = kept
	if err := h.interrupted(); err != nil {
		return r, err
	}
	if g.exited() {
		return r, fmt.Errorf("govsd exited during the flood (%v); log %s ends:\n%s", g.err, g.logPath, g.logTail(15))
	}
	if r.Send.Err != "" {
		h.logf("  flooder: %d send errors, the first: %s", r.Send.Failed, r.Send.Err)
	}
	return r, nil
}

// slowestWanRx is the lowest WAN receive rate between two consecutive
// samples (NaN for fewer than two): a stall of the worker shows there.
func slowestWanRx(samples []directorSample) float64 {
	low := math.NaN()
	for i := 1; i < len(samples); i++ {
		d := deltaOf(samples[i-1], samples[i])
		if x := d.perSec(d.WanRx); !(x >= low) {
			low = x
		}
	}
	return low
}

// sampleDuring samples the director every period until stop is called;
// the samples are complete once stop returns.
func sampleDuring(g *govsd, period time.Duration) (stop func(), samples *[]directorSample) {
	var out []directorSample
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if s, err := sampleDirector(g); err == nil {
				out = append(out, s)
			}
		}
	}()
	return func() { close(done); wg.Wait() }, &out
}
