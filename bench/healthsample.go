package main

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// healthSample is one look at govsd and the HTTP server during the
// health case. Every sample reads the checks' counters from /v1/health
// (cheap) and the processes from /proc; a full one also scrapes /metrics,
// which costs govsd seconds of CPU with 2000 real servers (see
// healthScrapeEvery).
type healthSample struct {
	At     time.Time
	Full   bool          // M holds a /metrics scrape
	Scrape time.Duration // how long govsd took to answer it
	M      healthMetrics
	// every server's checks and successful checks so far (the counters
	// govs_health_checks_total counts too), and the servers up that
	// passed a check
	Checks, Successes float64
	Up                int
	Goroutines        int // /debug/pprof/goroutine's total
	// CPU time so far: govsd's threads but the worker lcore's, the
	// worker's, and the HTTP server process's
	Control, Worker, Server cpuTicks
	// ns runnable but waiting for a CPU so far, the same three
	ControlWaitNs, WorkerWaitNs, ServerWaitNs uint64
	Threads, FDs, Sockets                     int              // of govsd
	CPUs                                      map[int]cpuTimes // the machine's, by CPU
	TCP                                       tcpSockstat
}

// healthProcs are the processes the case samples.
type healthProcs struct {
	adm       *admin.Client
	govsd     int // pid
	worker    int // tid of govsd's worker lcore
	server    int // pid of the HTTP server
	checkPort string
}

// sample takes one healthSample, with a /metrics scrape when full. The
// scrape comes first: its CPU is in the next sample's, as any scraper's
// would be.
func (p healthProcs) sample(full bool) (healthSample, error) {
	s := healthSample{Full: full}
	if full {
		t0 := time.Now()
		body, err := p.adm.Do(http.MethodGet, "/metrics")
		if err != nil {
			return s, err
		}
		s.Scrape = time.Since(t0)
		if s.M, err = parseHealthMetrics(body, p.checkPort); err != nil {
			return s, err
		}
	}
	hv, err := p.adm.Health()
	if err != nil {
		return s, err
	}
	s.At = time.Now()
	for _, sv := range hv.Servers {
		s.Checks += float64(sv.Successes + sv.Failures)
		s.Successes += float64(sv.Successes)
	}
	s.Up = countUp(hv)
	body, err := p.adm.Do(http.MethodGet, "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return s, err
	}
	if s.Goroutines, err = parseGoroutineTotal(body); err != nil {
		return s, err
	}
	threads, err := threadCPU(p.govsd)
	if err != nil {
		return s, err
	}
	s.Threads = len(threads)
	s.Control, s.Worker = splitCPU(threads, p.worker)
	if s.Server, err = processCPU(p.server); err != nil {
		return s, fmt.Errorf("HTTP server: %w", err)
	}
	if s.CPUs, err = readProcStat(); err != nil {
		return s, err
	}
	s.ControlWaitNs, s.WorkerWaitNs = schedWait(p.govsd, p.worker)
	s.ServerWaitNs, _ = schedWait(p.server, 0)
	if s.FDs, s.Sockets, err = fdCounts(p.govsd); err != nil {
		return s, err
	}
	if s.TCP, err = readSockstat(p.govsd); err != nil {
		return s, err
	}
	return s, nil
}

// parseGoroutineTotal reads "goroutine profile: total N", the first line
// of /debug/pprof/goroutine?debug=1.
func parseGoroutineTotal(b []byte) (int, error) {
	line, _, _ := strings.Cut(string(b), "\n")
	v, ok := strings.CutPrefix(line, "goroutine profile: total ")
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if !ok || err != nil {
		return 0, fmt.Errorf("goroutine profile: first line %q", line)
	}
	return n, nil
}

// healthSpan is what happened between two samples.
type healthSpan struct {
	Secs                      float64
	Total, Successes          float64            // checks run and passed (/v1/health)
	Checks                    map[string]float64 // by outcome (/metrics)
	MetricsTotal              float64            // their sum
	ToDown, ToUp              float64
	ControlCores, WorkerCores float64 // share of one CPU
	ServerCores               float64
	ControlSysShare           float64 // of the control plane's CPU, the share in the kernel (stime)
	// time runnable but waiting for a CPU (another task, or another of
	// their own threads, had it), summed over threads, per second
	ControlWait, WorkerWait, ServerWait float64
	MeanCheckMs                         float64 // NaN without checks
	P50CheckMs, P99CheckMs              float64 // bucket bounds
	PortRx, PortTx                      float64 // packets on the checks' data port
	CPUs                                map[int]cpuShares
	KernelPkts                          map[string]float64
	KernelDrops                         map[string]float64 // by direction/reason, those that grew
	ControlTicks                        uint64
	MinUp                               int     // fewest servers up in a sample
	MinRate, MaxRate                    float64 // checks/s between consecutive samples
	ScrapeMedian, ScrapeMax             time.Duration
}

// spanOf compares the first and last of samples (at least two, both
// full). Rates and CPU are per second of the time between their /v1/health
// reads; the /metrics counters (read during scrapes of a second or more)
// give shares and per-check figures only, which their timing does not
// change.
func spanOf(samples []healthSample) healthSpan {
	a, b := samples[0], samples[len(samples)-1]
	d := healthSpan{Secs: b.At.Sub(a.At).Seconds(), Checks: map[string]float64{}, KernelPkts: map[string]float64{},
		KernelDrops: map[string]float64{}, MinUp: a.Up, MeanCheckMs: math.NaN(), MinRate: math.NaN(), MaxRate: math.NaN()}
	d.Total = b.Checks - a.Checks
	d.Successes = b.Successes - a.Successes
	for k, v := range b.M.Checks {
		d.Checks[k] = v - a.M.Checks[k]
		d.MetricsTotal += d.Checks[k]
	}
	for k, v := range b.M.KernelPkts {
		d.KernelPkts[k] = v - a.M.KernelPkts[k]
	}
	for k, v := range b.M.KernelDrops {
		if n := v - a.M.KernelDrops[k]; n > 0 {
			d.KernelDrops[k] = n
		}
	}
	d.ToDown, d.ToUp = b.M.ToDown-a.M.ToDown, b.M.ToUp-a.M.ToUp
	if n := b.M.DurCount - a.M.DurCount; n > 0 {
		d.MeanCheckMs = 1000 * (b.M.DurSum - a.M.DurSum) / n
	}
	d.P50CheckMs = 1000 * bucketQuantile(a.M.Buckets, b.M.Buckets, 0.5)
	d.P99CheckMs = 1000 * bucketQuantile(a.M.Buckets, b.M.Buckets, 0.99)
	d.PortRx, d.PortTx = b.M.PortRx-a.M.PortRx, b.M.PortTx-a.M.PortTx
	cores := func(t0, t1 uint64) float64 {
		if d.Secs <= 0 || t1 < t0 {
			return math.NaN()
		}
		return float64(t1-t0) / clockTicks / d.Secs
	}
	d.ControlTicks = b.Control.total() - min(a.Control.total(), b.Control.total())
	d.ControlCores = cores(a.Control.total(), b.Control.total())
	d.WorkerCores = cores(a.Worker.total(), b.Worker.total())
	d.ServerCores = cores(a.Server.total(), b.Server.total())
	d.ControlSysShare = ratio(float64(b.Control.Sys-min(a.Control.Sys, b.Control.Sys)), float64(d.ControlTicks))
	waited := func(n0, n1 uint64) float64 { return ratio(float64(n1-min(n0, n1))/1e9, d.Secs) }
	d.CPUs = cpuSharesOf(a.CPUs, b.CPUs)
	d.ControlWait = waited(a.ControlWaitNs, b.ControlWaitNs)
	d.WorkerWait = waited(a.WorkerWaitNs, b.WorkerWaitNs)
	d.ServerWait = waited(a.ServerWaitNs, b.ServerWaitNs)
	var scrapes []float64
	for _, s := range samples {
		d.MinUp = min(d.MinUp, s.Up)
		if s.Full {
			scrapes = append(scrapes, float64(s.Scrape))
		}
	}
	if len(scrapes) > 0 {
		d.ScrapeMedian, d.ScrapeMax = time.Duration(median(scrapes)), time.Duration(slices.Max(scrapes))
	}
	for i := 1; i < len(samples); i++ {
		dt := samples[i].At.Sub(samples[i-1].At).Seconds()
		if dt <= 0 {
			continue
		}
		r := (samples[i].Checks - samples[i-1].Checks) / dt
		if !(r >= d.MinRate) {
			d.MinRate = r
		}
		if !(r <= d.MaxRate) {
			d.MaxRate = r
		}
	}
	return d
}

// cpuShares is how a CPU's time went between two samples.
type cpuShares struct{ Busy, SoftIRQ, Steal float64 }

func cpuSharesOf(a, b map[int]cpuTimes) map[int]cpuShares {
	out := map[int]cpuShares{}
	for cpu, t1 := range b {
		t0, ok := a[cpu]
		if !ok || t1.Total <= t0.Total {
			continue
		}
		tot := float64(t1.Total - t0.Total)
		out[cpu] = cpuShares{Busy: float64(t1.Busy-t0.Busy) / tot, SoftIRQ: float64(t1.SoftIRQ-t0.SoftIRQ) / tot, Steal: float64(t1.Steal-t0.Steal) / tot}
	}
	return out
}

func (d healthSpan) checksPerSec() float64 { return ratio(d.Total, d.Secs) }

// successShare is the share of checks that succeeded (NaN without any).
func (d healthSpan) successShare() float64 { return ratio(d.Successes, d.Total) }

// coresPer1000 is the control plane's share of a CPU per 1000 checks/s.
func (d healthSpan) coresPer1000() float64 { return ratio(d.ControlCores, d.checksPerSec()/1000) }

// usPerCheck is the control plane's CPU time per check, in µs.
func (d healthSpan) usPerCheck() float64 {
	return ratio(1e6*float64(d.ControlTicks)/clockTicks, d.Total)
}

// perCheck is the kernel interface's packets in direction per check.
func (d healthSpan) perCheck(direction string) float64 {
	return ratio(d.KernelPkts[direction], d.Total)
}

// levelSeries is one quantity that must not grow (goroutines, fds,
// sockets, threads): first and last value, largest, and the first and
// last windows' levels.
type levelSeries struct {
	Name                  string
	First, Last, Max      float64
	FirstWindowMax        float64
	LastWindowMedian      float64
	Window                time.Duration
	FirstWindowN, LastWin int // samples in each window
}

// growth is how far the last window's median is above the first window's
// largest value: a leak raises the level for good, while checks in flight
// only move it within the range the first window already saw.
func (l levelSeries) growth() float64 { return l.LastWindowMedian - l.FirstWindowMax }

// growthWindow is the length of the first and last windows compared: a
// minute (the "first and last minute"), or a third of a shorter
// run.
func growthWindow(span time.Duration) time.Duration {
	return min(time.Minute, span/3)
}

// levelOf builds the series of value over samples.
func levelOf(name string, samples []healthSample, value func(healthSample) float64) levelSeries {
	l := levelSeries{Name: name, First: value(samples[0]), Last: value(samples[len(samples)-1]), Max: math.Inf(-1), FirstWindowMax: math.Inf(-1)}
	t0, t1 := samples[0].At, samples[len(samples)-1].At
	l.Window = growthWindow(t1.Sub(t0))
	var last []float64
	for _, s := range samples {
		v := value(s)
		l.Max = max(l.Max, v)
		if s.At.Sub(t0) <= l.Window {
			l.FirstWindowMax = max(l.FirstWindowMax, v)
			l.FirstWindowN++
		}
		if t1.Sub(s.At) <= l.Window {
			last = append(last, v)
		}
	}
	l.LastWin = len(last)
	l.LastWindowMedian = median(last)
	return l
}

// levels are the series the case checks for growth.
func levels(samples []healthSample) []levelSeries {
	return []levelSeries{
		levelOf("goroutines", samples, func(s healthSample) float64 { return float64(s.Goroutines) }),
		levelOf("fds", samples, func(s healthSample) float64 { return float64(s.FDs) }),
		levelOf("sockets", samples, func(s healthSample) float64 { return float64(s.Sockets) }),
		levelOf("threads", samples, func(s healthSample) float64 { return float64(s.Threads) }),
	}
}

// tcpLevels are the director namespace's TCP sockets (reported, not a
// target: TIME_WAIT entries are the kernel's and expire by themselves).
func tcpLevels(samples []healthSample) []levelSeries {
	return []levelSeries{
		levelOf("tcp_inuse", samples, func(s healthSample) float64 { return float64(s.TCP.InUse) }),
		levelOf("tcp_timewait", samples, func(s healthSample) float64 { return float64(s.TCP.TimeWait) }),
	}
}

func findLevel(ls []levelSeries, name string) (levelSeries, bool) {
	i := slices.IndexFunc(ls, func(l levelSeries) bool { return l.Name == name })
	if i < 0 {
		return levelSeries{}, false
	}
	return ls[i], true
}
