package main

import (
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"time"
)

// caseLine is one row of the results: govsd on a case against testpmd on
// the same pcap, medians over repeats of per-repeat medians over windows.
type caseLine struct {
	Case            benchCase
	Mpps, RefMpps   float64
	Ratio           float64
	Lo, Hi          float64 // spread of govsd's per-repeat values
	RefLo, RefHi    float64
	IOMpps          float64 // testpmd io on the same pcap (NaN if not measured)
	RepRatios       []float64
	RxMpps          float64
	Drops           map[string]uint64
	RxInWindows     uint64
	Repeats, RefRep int
}

// perRepeat is each repeat's median over its windows, in Mpps.
func perRepeat[T any](runs []T, windows func(T) []float64) []float64 {
	var out []float64
	for _, r := range runs {
		out = append(out, median(windows(r))/1e6)
	}
	return out
}

// refMpps is testpmd's rate on s: per repeat, the median of the windows of
// all its runs in that repeat (before and after govsd); then the median of
// the repeats.
func (r *results) refMpps(mode string, s pcapSpec) (med float64, reps []float64) {
	reps = refPerRepeat(r.Refs[refKey(mode, s)])
	return median(reps), reps
}

func refPerRepeat(runs []testpmdRun) []float64 {
	byRep := map[int][]float64{}
	var order []int
	for _, t := range runs {
		if _, ok := byRep[t.Rep]; !ok {
			order = append(order, t.Rep)
		}
		byRep[t.Rep] = append(byRep[t.Rep], t.Windows...)
	}
	var out []float64
	for _, rep := range order {
		out = append(out, median(byRep[rep])/1e6)
	}
	return out
}

// lines computes the rows, in plan order.
func (r *results) lines() []caseLine {
	var out []caseLine
	for _, c := range r.Plan.Cases {
		l := caseLine{Case: c, Drops: map[string]uint64{}}
		var reps []float64
		if c.Name == "syn" {
			for _, s := range r.SYN {
				reps = append(reps, s.ConnsPerSec/1e6)
			}
		} else {
			runs := r.Runs[caseKey(c)]
			reps = perRepeat(runs, func(g govsdRun) []float64 { return g.Windows })
			l.RxMpps = median(perRepeat(runs, func(g govsdRun) []float64 { return g.RxWindows }))
			for _, g := range runs {
				l.RxInWindows += g.RxTotal
				for k, v := range g.Drops {
					l.Drops[k] += v
				}
			}
		}
		if len(reps) == 0 {
			continue
		}
		l.Repeats = len(reps)
		l.Mpps = median(reps)
		l.Lo, l.Hi = spread(reps)
		var refReps []float64
		l.RefMpps, refReps = r.refMpps("5tswap", c.Pcap)
		l.RefLo, l.RefHi = spread(refReps)
		l.RefRep = len(refReps)
		l.Ratio = ratio(l.Mpps, l.RefMpps)
		for i := range min(len(reps), len(refReps)) {
			l.RepRatios = append(l.RepRatios, ratio(reps[i], refReps[i]))
		}
		l.IOMpps = math.NaN()
		if len(r.Refs[refKey("io", c.Pcap)]) > 0 {
			l.IOMpps, _ = r.refMpps("io", c.Pcap)
		}
		out = append(out, l)
	}
	return out
}

// resultLine is the machine-readable line of a case.
func resultLine(l caseLine) string {
	return fmt.Sprintf("RESULT case=%s flows=%d mpps=%.3f ref=testpmd-5tswap ref_mpps=%.3f ratio=%.3f",
		l.Case.Name, l.Case.Pcap.Flows, l.Mpps, l.RefMpps, l.Ratio)
}

// printResults writes the RESULT lines (stdout), the other findings as
// INFO lines and one TARGET line per target of issue 7.
func (h *harness) printResults(r *results) {
	for _, l := range r.lines() {
		fmt.Println(resultLine(l))
	}
	if c := r.Capacity; c != nil {
		fmt.Printf("INFO bytes_per_conn=%.0f max_conns_4gib=%d searched_limit_mib=%d largest_started=%d scaled=%v\n",
			c.BytesPerConn, c.Projected4GiB, c.LimitMiB, c.Largest, c.Scaled)
	}
	if len(r.SYN) > 0 {
		var cps []float64
		for _, s := range r.SYN {
			cps = append(cps, s.ConnsPerSec)
		}
		fmt.Printf("INFO new_conns_per_sec_per_lcore=%.0f\n", median(cps))
	}
	if s := r.Stall; s != nil {
		fmt.Println(stallInfo(s))
	}
	if ref := r.RefLoop; ref != nil {
		fmt.Println(refloopInfo(ref.Quiet))
		fmt.Println(refloopInfo(ref.Busy))
	}
	if p := r.Profile; p != nil {
		fmt.Println(profileInfo(p))
	}
	if r.ConnTable != nil {
		for _, l := range conntableInfo(r.ConnTable) {
			fmt.Println(l)
		}
	}
	if r.Synflood != nil {
		for _, l := range synfloodInfo(r.Synflood) {
			fmt.Println(l)
		}
	}
	if r.Health != nil {
		fmt.Println(healthResultLine(r.Health))
		fmt.Println(healthInfo(r.Health))
	}
	if r.Sync != nil {
		for _, l := range syncInfo(r.Sync) {
			fmt.Println(l)
		}
	}
	for _, t := range issue7Targets(r.lines(), r.Capacity, r.Stall, r.RefLoop) {
		fmt.Println(t.line())
	}
	if r.Synflood != nil {
		for _, t := range synfloodTargets(r.Synflood) {
			fmt.Println(t.line())
		}
	}
	if r.Health != nil {
		for _, t := range healthTargets(r.Health) {
			fmt.Println(t.line())
		}
	}
	for _, e := range r.Errs {
		fmt.Println("FAILED", firstLine(e))
	}
}

func fmtMpps(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.2f", x)
}

func fmtRange(lo, hi float64, n int) string {
	if n <= 1 || math.IsNaN(lo) {
		return ""
	}
	return fmt.Sprintf(" (%.2f–%.2f)", lo, hi)
}

func (l caseLine) dropText() string { return countsText(l.Drops, "0") }

// countsText is "key n, key n" in key order, or none for an empty map.
func countsText[N int | uint64](m map[string]N, none string) string {
	if len(m) == 0 {
		return none
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// writeReport writes RESULTS.md.
func (h *harness) writeReport(r *results) error {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	lines := r.lines()
	mode := "full"
	if r.Quick {
		mode = "quick (BENCH_QUICK=1)"
	}
	w("# govs benchmark results\n\n")
	w("Written by `make bench` (bench/, %s run) on %s, in %s. Re-running overwrites this file.\n",
		mode, r.Start.UTC().Format("2006-01-02 15:04 UTC"), r.End.Sub(r.Start).Round(time.Second))
	w("Method and caveats are below the tables; numbers are only comparable with the testpmd reference of the same run.\n\n")
	if h.note != "" {
		w("> Note: %s\n\n", h.note)
	}

	w("## Forwarding rate, one worker lcore\n\n")
	w("Median over %d repeat(s) of the median of %d one-second windows (after %d s of warm-up); min–max of the repeats in brackets. Mpps = packets forwarded (transmitted) per second; for `syn`, new connections per second (every packet of the pass opens one).\n\n",
		r.Repeats, r.Window, r.Warmup)
	w("| case | flows | pcap | govsd Mpps | testpmd 5tswap Mpps | ratio | testpmd io Mpps | govsd rx Mpps | drops during windows |\n")
	w("|---|---:|---|---:|---:|---:|---:|---:|---|\n")
	for _, l := range lines {
		s := l.Case.Pcap
		pc := fmt.Sprintf("%s: %d frames, SYN %.1f %%", s.Kind, s.Packets(), 100*s.SYNShare())
		rx, drops := fmtMpps(l.RxMpps), l.dropText()
		if l.Case.Name == "syn" {
			rx, drops = "–", synDrops(r.SYN)
		}
		if l.RxMpps == 0 {
			rx = "–"
		}
		w("| %s | %d | %s | %s%s | %s%s | %.3f | %s | %s | %s |\n", l.Case.Name, s.Flows, pc,
			fmtMpps(l.Mpps), fmtRange(l.Lo, l.Hi, l.Repeats), fmtMpps(l.RefMpps), fmtRange(l.RefLo, l.RefHi, l.RefRep),
			l.Ratio, fmtMpps(l.IOMpps), rx, drops)
	}
	w("\nRESULT lines of this run:\n\n```\n")
	for _, l := range lines {
		w("%s\n", resultLine(l))
	}
	w("```\n\n")
	if len(lines) > 0 && lines[0].Repeats > 1 {
		w("Ratios per repeat (govsd and testpmd measured back to back): ")
		for i, l := range lines {
			if i > 0 {
				w("; ")
			}
			w("%s/%d %s", l.Case.Name, l.Case.Pcap.Flows, fmtList(l.RepRatios))
		}
		w(".\n\n")
	}

	writeTargets(&b, issue7Targets(lines, r.Capacity, r.Stall, r.RefLoop))

	if len(r.SYN) > 0 {
		w("## New connections per second\n\n")
		w("File: %d distinct SYNs (client -> VIP:80), replayed into a table of %d entries with `tcp_syn_recv: 1s`. ", r.SYNCase.Pcap.Flows, tableFor(r.SYNCase.Pcap.Flows))
		w("govsd's admin socket is polled every ~2 ms from start; the rate is the slope of `conns_created` between the samples where it first reaches 10 %% and 90 %% of the file, so the first pass over the file (each packet a new connection: lookup miss, scheduling, insert, NAT, transmit) is measured without start-up or the later passes (which only hit existing connections). Once the pass has run for a second, the first connections time out and the incremental expiry removes them while new ones arrive (column `expired`): from then on the rate includes that churn, as under a sustained flood of new connections.\n\n")
		w("| repeat | new conns/s | SYNs forwarded/s | span | samples | expired in span |\n|---:|---:|---:|---:|---:|---:|\n")
		for i, s := range r.SYN {
			w("| %d | %.0f | %.0f | %v | %d | %d |\n", i+1, s.ConnsPerSec, s.TxPerSec, s.Span.Round(time.Millisecond), s.Samples, s.Expired)
		}
		w("\n")
	}

	if c := r.Capacity; c != nil {
		w("## Memory per connection and the largest table\n\n")
		w("- Per tracked connection: **%.0f bytes** (%s), in hugepages, outside the Go heap.\n", c.BytesPerConn, footprintSource)
		w("- govsd's other hugepage use with a minimal configuration (1024-entry table, a 1024-frame pcap, %d mbufs), measured as free hugepages before and after its start: %.1f MiB.\n", 1024+mbufSlack, float64(c.OverheadBytes)/(1<<20))
		if c.Largest > 0 {
			how := fmt.Sprintf("searched by starting govsd under EAL `--socket-limit=%d` (MiB) with the same minimal configuration: the largest `conn_table_size` that started is **%d** (to within %d entries, %d starts)", c.LimitMiB, c.Largest, c.Step, c.Starts)
			if c.Scaled {
				how += fmt.Sprintf("; the 4 GiB figure is projected from that limit with the same overhead (scaled check: quick mode or fewer than 2048 free hugepages)")
			}
			w("- Largest table in 4 GiB of hugepages: **%d connections** (%.1f M) — %s. The table's own limit is 2^26 = 67.1 M entries, exactly 4 GiB on its own.\n", c.Projected4GiB, float64(c.Projected4GiB)/1e6, how)
		}
		w("- A table whose conns and index alone fill the limit (%d entries) was %s.\n\n", c.Over, okText(c.OverRefused, "refused with the connection-table error, as it must", "NOT refused as expected"))
	}

	writeStalls(&b, r)
	writeProfile(&b, r)
	writeConntable(&b, r.ConnTable)
	writeSynflood(&b, r.Synflood)
	writeHealth(&b, r.Health)
	writeSync(&b, r.Sync)

	w("## Machine\n\n")
	m := r.Machine
	w("- CPU: %s, %s CPUs (%s)%s\n", m.CPU, m.Cores, m.Caches, ifNotEmpty(", hypervisor ", m.Hypervisor))
	w("- Memory: %s; hugepages: %d × 2 MiB before the run, raised to %d for it (%d free at its start), restored afterwards\n", m.MemTotal, r.PagesBefore, r.PagesRun, r.FreePagesRun)
	w("- %s, kernel %s, DPDK %s, %s, govs %s\n", m.OS, m.Kernel, m.DPDK, m.Go, m.Commit)
	w("- govsd binary: `%s` (measured as a copy taken at the start, `%s`)%s\n", r.GovsdBin, r.GovsdCopy, ifNotEmpty(", environment ", strings.Join(r.GovsdEnv, " ")))
	w("- Load average before / after the run: %s / %s (the machine is shared: other test runs may have been going on)\n\n", r.LoadBefore, r.LoadAfter)

	w("## Method\n\n")
	w(methodText)
	if len(r.Plan.Notes) > 0 {
		w("\nAdjustments made by this run:\n\n")
		for _, n := range r.Plan.Notes {
			w("- %s\n", n)
		}
	}
	if len(r.Errs) > 0 {
		w("\n## Failures\n\n")
		for _, e := range r.Errs {
			w("- %s\n", strings.ReplaceAll(firstLine(e), "|", "\\|"))
		}
	}
	return os.WriteFile(h.outPath, []byte(b.String()), 0o644)
}

func synDrops(runs []synRun) string {
	sum := map[string]uint64{}
	for _, s := range runs {
		for k, v := range s.Drops {
			sum[k] += v
		}
	}
	l := caseLine{Drops: sum}
	return l.dropText() + " (first pass)"
}

func fmtList(xs []float64) string {
	var p []string
	for _, x := range xs {
		p = append(p, fmt.Sprintf("%.3f", x))
	}
	return strings.Join(p, " ")
}

func okText(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

func ifNotEmpty(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

const methodText = `- **Traffic.** Generated pcaps of 64-byte frames (Ethernet 14 + IPv4 20 + TCP 20 + 10 bytes of payload; valid checksums), cached under ` + "`$XDG_CACHE_HOME/govs-bench`" + ` (or ` + "`/tmp/govs-bench`" + `). Clients are 172.16.0.0/12 (1000 ports per address), routed via the port's gateway 10.0.0.254; VIP 10.0.0.100:80; four real servers 10.0.1.11–14 (port 8080 for NAT, 80 for DR/TUN), scheduler rr; gateway and servers are static neighbours (nobody answers ARP on a pcap vdev).
  - *natin* (cases nat-in, tun, dr): one SYN per flow, then R rounds of one ACK per flow (client -> VIP). After the first pass over the file, every packet (the SYNs too: ESTABLISHED + SYN stays ESTABLISHED) is a lookup of an established connection, so the SYN share only matters during warm-up.
  - *natout* (nat-out): one SYN per flow (creates the connections), then R rounds of replies from the server rr gave the flow (flow i -> server i mod 4, rr in SYN order) to the client: the reply direction (lookup by the server-side key, source rewritten to the VIP). A wrong mapping would show as not_local drops.
  - *syn*: distinct SYNs only.
- **Replay.** ` + "`net_pcap0,rx_pcap=FILE,infinite_rx=1`" + `: at start the PMD loads every frame of the file into an mbuf and then copies them, in a loop, into fresh mbufs on each rx burst; transmitted packets are counted and freed (no tx_pcap). The pcap source is as large as the file (for 1M flows several GB), so both programs pay for reading it from memory; that is why the reference is measured on the same file.
- **govsd.** One worker lcore (` + "`eal.lcores: \"0-1\"`" + `, lcore 1 polls, lcore 0 is the control plane), ` + "`--in-memory`" + `, mbufs = frames of the file + 8192, ` + "`mbuf_data_room: 256`" + ` (448 bytes per mbuf, as testpmd's ` + "`--mbuf-size=256`" + `), burst 32, conn_table_size = flows × 1.1. Rate = delta of the worker's tx_packets (and rx_packets) between admin-API samples one second apart, after the warm-up.
- **Reference.** ` + "`dpdk-testpmd -l 0-1 --no-pci --in-memory --vdev <same> -- --forward-mode=5tswap|io --nb-cores=1 --burst=32 --total-num-mbufs=<same> --mbuf-size=256 --stats-period 1`" + `: one forwarding lcore (1). 5tswap swaps MACs, IPs and ports (a rewrite of every packet, no state); io forwards untouched (the ceiling). Rate = testpmd's Tx-pps per 1 s stats block; the first block (start-up) and the warm-up blocks are skipped.
- **Order.** Per repeat and per file: testpmd 5tswap, the govsd cases, testpmd io (natin files), testpmd 5tswap again; never two DPDK processes at once (2 cores). A repeat's reference is the median of the windows of both 5tswap runs, which bracket govsd in time. The ratio is median(govsd) / median(testpmd 5tswap) on the same file, medians over the repeats; the per-repeat ratios show how much the machine's noise moved.
`
