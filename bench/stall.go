package main

import (
	"bufio"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// stallResult is the poll-loop stall measurement.
type stallResult struct {
	QuietGapUs, BusyGapUs uint64  // max_poll_gap_us after the quiet and the busy phase
	QuietMpps, BusyMpps   float64 // forwarding rate in each phase
	Reloads, ReloadErrs   int64
	StatsCalls            int64
	GCs                   int     // GC cycles during the busy phase (gctrace)
	MaxSTWMs              float64 // longest stop-the-world phase among them
	QuietSecs, BusySecs   int
	RxMissed              uint64
	// the worker lcore thread as the kernel saw it, per phase
	QuietThread, BusyThread threadStat
	ThreadKnown             bool
	// other govsd threads allowed on the worker's CPU, at the end
	SharingThreads []string
	WorkerCPU      int
	// poll gaps longer than each threshold, per phase (govsd's
	// poll_gaps_over; nil when this govsd does not report them)
	QuietGaps, BusyGaps map[string]uint64
}

// gapThresholds are the keys of poll_gaps_over, shortest first.
func gapThresholds(m ...map[string]uint64) []string {
	seen := map[string]time.Duration{}
	for _, x := range m {
		for k := range x {
			d, err := time.ParseDuration(k)
			if err == nil {
				seen[k] = d
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return int(seen[a] - seen[b]) })
	return keys
}

// gcTrace is one line of GODEBUG=gctrace=1.
type gcTrace struct {
	N     int
	STWMs float64 // the larger of the two stop-the-world phases (wall clock)
}

// parseGCTrace extracts the gc lines of a log:
//
//	gc 7 @1.234s 1%: 0.021+0.85+0.003 ms clock, 0.042+0.1/0.2/0+0.006 ms cpu, ...
func parseGCTrace(log string) []gcTrace {
	var out []gcTrace
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[0] != "gc" || !strings.HasPrefix(f[2], "@") || f[5] != "ms" {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		ph := strings.Split(f[4], "+")
		if len(ph) != 3 {
			continue
		}
		a, err1 := strconv.ParseFloat(ph[0], 64)
		c, err2 := strconv.ParseFloat(ph[2], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, gcTrace{N: n, STWMs: max(a, c)})
	}
	return out
}

// runStall forwards the nat-in file at full speed and measures the longest
// gap between two polls of port 0 first with an idle control plane, then
// while the control plane reloads the configuration in a loop (each reload
// parses the YAML and builds a snapshot: garbage for the GC) and serves
// stats. max_poll_gap_us is a maximum since start, so the busy phase's own
// maximum is only known when it exceeds the quiet one.
func (h *harness) runStall(c benchCase, pcapPath string, quiet, busy int) (stallResult, error) {
	res := stallResult{QuietSecs: quiet, BusySecs: busy}
	conf := govsdConf{Device: pcapDevice(pcapPath), ConnTable: tableFor(c.Pcap.Flows),
		Mbufs: mbufsFor(c.Pcap) + mbufSlack, Method: "nat"}
	g, err := h.startGovsd("stall-"+c.Pcap.String(), conf, []string{"GODEBUG=gctrace=1"})
	if err != nil {
		return res, err
	}
	defer g.stop()
	if err := h.sleep(time.Duration(h.warmup) * time.Second); err != nil {
		return res, err
	}
	pid := g.cmd.Process.Pid
	tid, tidOK := workerThread(pid)
	res.ThreadKnown = tidOK
	thread := func() threadStat {
		if !tidOK {
			return threadStat{}
		}
		s, _ := readThreadStat(pid, tid)
		return s
	}
	a, ta, err := g.lcore0()
	if err != nil {
		return res, err
	}
	ths := []threadStat{thread()}
	if err := h.sleep(time.Duration(quiet) * time.Second); err != nil {
		return res, err
	}
	b, tb, err := g.lcore0()
	if err != nil {
		return res, err
	}
	ths = append(ths, thread())
	res.QuietGapUs = b.MaxPollGapUs
	if b.PollGapsOver != nil {
		res.QuietGaps = withKeys(dropsBetween(a.PollGapsOver, b.PollGapsOver), b.PollGapsOver)
	}
	res.QuietMpps = rate(a.TxPackets, b.TxPackets, tb.Sub(ta).Seconds()) / 1e6
	gcBefore := len(parseGCTrace(g.logText()))

	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 2 { // two reloaders keep the control plane's goroutines busy
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if err := g.adm.Reload(); err != nil {
					atomic.AddInt64(&res.ReloadErrs, 1)
				} else {
					atomic.AddInt64(&res.Reloads, 1)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if _, err := g.adm.Stats(); err == nil {
				atomic.AddInt64(&res.StatsCalls, 1)
			}
			if _, err := g.adm.Status(); err == nil {
				atomic.AddInt64(&res.StatsCalls, 1)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	err = h.sleep(time.Duration(busy) * time.Second)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		return res, err
	}
	d, td, err := g.lcore0()
	if err != nil {
		return res, err
	}
	ths = append(ths, thread())
	res.QuietThread, res.BusyThread = ths[1].minus(ths[0]), ths[2].minus(ths[1])
	res.BusyGapUs = d.MaxPollGapUs
	if d.PollGapsOver != nil {
		res.BusyGaps = withKeys(dropsBetween(b.PollGapsOver, d.PollGapsOver), d.PollGapsOver)
	}
	res.BusyMpps = rate(b.TxPackets, d.TxPackets, td.Sub(tb).Seconds()) / 1e6
	gcs := parseGCTrace(g.logText())
	for _, t := range gcs[min(gcBefore, len(gcs)):] {
		res.GCs++
		res.MaxSTWMs = max(res.MaxSTWMs, t.STWMs)
	}
	if tidOK {
		var set unix.CPUSet
		if unix.SchedGetaffinity(tid, &set) == nil && set.Count() == 1 {
			for cpu := range 1024 {
				if set.IsSet(cpu) {
					res.WorkerCPU = cpu
					res.SharingThreads = threadsOnCPU(pid, tid, cpu)
				}
			}
		}
	}
	if st, err := g.adm.Status(); err == nil && len(st.Ports) > 0 {
		res.RxMissed = st.Ports[0].RxMissed
	}
	return res, nil
}

// withKeys adds the keys of all that m lacks, as zero.
func withKeys(m, all map[string]uint64) map[string]uint64 {
	for k := range all {
		if _, ok := m[k]; !ok {
			m[k] = 0
		}
	}
	return m
}
