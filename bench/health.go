package main

import (
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Case health (issue 9, item 4): 2000 real servers checked by http every
// second from govsd, through its kernel-side interface and the DPDK port,
// against a local HTTP server (healthlab.go, healthserver.go). Measured
// over the run: checks/s and their outcomes (govs_health_checks_total),
// govsd's control-plane CPU (every thread but the worker lcore's), the
// HTTP server's CPU, and whether goroutines, descriptors, sockets or
// threads grow (healthsample.go). A Go CPU profile of govsd is taken after
// the measurement, with the checks still running, to show where the
// control plane's time goes.

const (
	healthSettle      = 3 * time.Second // after every server is up, before the first sample
	healthUpTimeout   = 60 * time.Second
	healthProfileSecs = 10
)

// healthScrapeEvery is how often a sample also scrapes /metrics, as a
// Prometheus would (its default scrape interval is a minute, 15-30 s is
// common): with 2000 real servers a scrape costs govsd's control plane
// over a second of CPU, so scraping every sample would measure the
// scrapes.
const healthScrapeEvery = 30 * time.Second

// healthSamplePeriod is the time between samples: every few seconds.
func healthSamplePeriod(secs int) time.Duration {
	if secs >= 60 {
		return 5 * time.Second
	}
	return 2 * time.Second
}

// healthResult is what the case measured.
type healthResult struct {
	Secs        int // asked
	Period      time.Duration
	AllUpAfter  time.Duration // from govsd's start until every server was up
	Samples     []healthSample
	UpAtEnd     int
	DownErrors  map[string]int // last errors of the servers not up at the end
	ChecksAtEnd float64        // successful checks govsd counted, just before it stopped
	Served, Bad uint64         // the HTTP server's totals over the whole run
	HasServed   bool
	Profile     *pprofResult
	SampleErrs  int
}

// span is the measurement: the first sample to the last full one (a run
// cut short may end on a sample without /metrics).
func (r *healthResult) span() (healthSpan, bool) {
	last := len(r.Samples) - 1
	for last > 0 && !r.Samples[last].Full {
		last--
	}
	if last < 1 || !r.Samples[0].Full {
		return healthSpan{}, false
	}
	return spanOf(r.Samples[:last+1]), true
}

// runHealthStep runs the case as a step of the bench: a failure is
// recorded with what was measured, and the run goes on.
func (h *harness) runHealthStep(res *results) error {
	h.logf("health checks: %d real servers, http every %v, for %d s", healthServers, healthInterval, h.healthSecs)
	r, err := h.runHealth()
	if _, ok := r.span(); ok {
		res.Health = r
	}
	if err != nil {
		return h.noteFailure(res, "health", err)
	}
	if sp, ok := r.span(); ok {
		h.logf("  %.0f checks/s, %.4f successful; control plane %.3f of a core (%.3f per 1000 checks/s), HTTP server %.3f",
			sp.checksPerSec(), sp.successShare(), sp.ControlCores, sp.coresPer1000(), sp.ServerCores)
	}
	return nil
}

func (h *harness) runHealth() (r *healthResult, err error) {
	r = &healthResult{Secs: h.healthSecs, Period: healthSamplePeriod(h.healthSecs)}
	if h.healthPeriod > 0 {
		r.Period = h.healthPeriod
	}
	lab, err := newHealthLab(h.logf)
	if err != nil {
		return r, fmt.Errorf("building the lab: %w", err)
	}
	closeLab := h.atCleanup(func() {
		if err := lab.close(); err != nil {
			h.logf("health: tearing the lab down: %v", err)
		}
	})
	defer closeLab()
	if err := h.startHealthServer(lab); err != nil {
		return r, fmt.Errorf("HTTP server: %w", err)
	}
	t0 := time.Now()
	g, conf, err := h.startHealthDirector(lab)
	if err != nil {
		return r, err
	}
	defer g.stop()
	if err := waitAllUp(g, healthServers, healthUpTimeout); err != nil {
		return r, err
	}
	r.AllUpAfter = time.Since(t0)
	h.logf("  every server up %.1f s after govsd's start", r.AllUpAfter.Seconds())
	wt, ok := workerThread(g.cmd.Process.Pid)
	if !ok {
		return r, fmt.Errorf("no worker lcore thread among govsd's threads")
	}
	p := healthProcs{adm: g.adm, govsd: g.cmd.Process.Pid, worker: wt.TID, server: lab.server.cmd.Process.Pid, checkPort: healthCheckPort}
	if err := h.sleep(healthSettle); err != nil {
		return r, err
	}
	if err := h.sampleHealth(g, p, r); err != nil {
		return r, err
	}
	r.Profile = h.profileHealth(conf.Socket)
	if hv, err := g.adm.Health(); err == nil {
		r.UpAtEnd, r.DownErrors = countUp(hv), downErrors(hv)
	}
	if s, err := p.sample(false); err == nil {
		r.ChecksAtEnd = s.Successes
	}
	if g.exited() {
		return r, fmt.Errorf("govsd exited during the run (%v); log %s ends:\n%s", g.err, g.logPath, g.logTail(15))
	}
	g.stop()
	r.Served, r.Bad, r.HasServed = lab.stopServer()
	return r, nil
}

// sampleHealth samples every r.Period for r.Secs seconds, on a fixed
// schedule from the first sample; the first, the last and one every
// healthScrapeEvery also scrape /metrics. A sample that fails (the admin
// API did not answer in time: govsd's control plane is overloaded) is
// counted and the schedule goes on; the case fails if govsd exits or the
// first or last full sample fails.
func (h *harness) sampleHealth(g *govsd, p healthProcs, r *healthResult) error {
	n := int(math.Ceil(float64(r.Secs) * float64(time.Second) / float64(r.Period)))
	every := max(1, int(healthScrapeEvery/r.Period))
	start := time.Now()
	for i := 0; i <= n; i++ {
		if i > 0 {
			if err := h.sleep(time.Until(start.Add(time.Duration(i) * r.Period))); err != nil {
				return err
			}
		}
		if g.exited() {
			return fmt.Errorf("govsd exited during the measurement (%v); log %s ends:\n%s", g.err, g.logPath, g.logTail(15))
		}
		full := i == 0 || i == n || i%every == 0
		s, err := p.sample(full)
		if err != nil {
			r.SampleErrs++
			h.logf("  sample %d failed: %v", i, err)
			if i == 0 || i == n {
				return fmt.Errorf("sample %d of %d (the first and the last are needed): %w", i, n, err)
			}
			continue
		}
		r.Samples = append(r.Samples, s)
	}
	return nil
}

// profileHealth takes a Go CPU profile of govsd with the checks running
// (after the measurement: the profiler's own cost stays out of it).
func (h *harness) profileHealth(socket string) *pprofResult {
	r := &pprofResult{Path: filepath.Join(h.cacheDir, "govsd-health.pprof")}
	h.logf("  Go CPU profile of govsd (%d s, checks running)", healthProfileSecs)
	if err := fetchProfile(socket, r.Path, healthProfileSecs); err != nil {
		r.Err = err.Error()
		return r
	}
	top, err := cumulativeTop(h.govsd, r.Path, 30)
	r.Top = top
	if err != nil {
		r.Err = "go tool pprof: " + err.Error()
	}
	return r
}

// cumulativeTop is `go tool pprof -top -cum` of a profile from its
// "Showing nodes" line: sorted by time spent in a function and what it
// calls, it tells the checkers from the slow path's relay (a flat top is
// all syscalls and libc).
func cumulativeTop(bin, profile string, nodes int) (string, error) {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-cum", fmt.Sprintf("-nodecount=%d", nodes), bin, profile).Output()
	if err != nil {
		return "", err
	}
	text := string(out)
	if i := strings.Index(text, "Showing nodes"); i >= 0 {
		text = text[i:]
	}
	return strings.TrimRight(text, "\n"), nil
}
