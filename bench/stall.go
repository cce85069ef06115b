package main

import (
	"bufio"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// stallResult is the poll-loop stall measurement.
type stallResult struct {
	QuietGapUs, BusyGapUs uint64  // max_poll_gap_us after the quiet and the busy phase
	WarmGapUs             uint64  // max_poll_gap_us before the quiet phase (start-up, warm-up)
	QuietMpps, BusyMpps   float64 // forwarding rate in each phase
	loadCounts                    // the busy phase's control-plane load
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
	// govsd's last stats and status replies, for the reference loop's
	// stand-in server
	lastStats  admin.Stats
	lastStatus admin.Status
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
	g, err := h.startGovsd("stall-"+c.Pcap.String(), stallConf(c, pcapPath), []string{"GODEBUG=gctrace=1"})
	if err != nil {
		return res, err
	}
	defer g.stop()
	if err := h.sleep(time.Duration(h.warmup) * time.Second); err != nil {
		return res, err
	}
	pid := g.cmd.Process.Pid
	worker, tidOK := workerThread(pid)
	tid := worker.TID
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
	res.WarmGapUs = a.MaxPollGapUs
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

	load := startControlLoad(g.adm)
	err = h.sleep(time.Duration(busy) * time.Second)
	res.loadCounts = load.finish()
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
	if tidOK { // pinned to one CPU (pickWorkerThread)
		res.WorkerCPU = worker.CPUs[0]
		res.SharingThreads = threadsOnCPU(pid, tid, res.WorkerCPU)
	}
	if st, err := g.adm.Status(); err == nil {
		res.lastStatus = st
		if len(st.Ports) > 0 {
			res.RxMissed = st.Ports[0].RxMissed
		}
	}
	if st, err := g.adm.Stats(); err == nil {
		res.lastStats = st
	}
	return res, nil
}

// stallConf is govsd's configuration for the stall measurement (and the
// reference loop's EAL arguments): NAT on c's file.
func stallConf(c benchCase, pcapPath string) govsdConf {
	return govsdConf{Device: pcapDevice(pcapPath), ConnTable: tableFor(c.Pcap.Flows),
		Mbufs: mbufsFor(c.Pcap) + mbufSlack, Method: "nat"}
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
