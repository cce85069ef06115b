package main

import (
	"fmt"
	"strings"
)

// stallInfo is the INFO line of govsd's stall measurement.
func stallInfo(s *stallResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INFO max_poll_gap_us_quiet=%d max_poll_gap_us_busy=%d reloads=%d conn_listings=%d conns_listed=%d would_be_drops_at_5mpps=%.0f",
		s.QuietGapUs, s.BusyGapUs, s.Reloads, s.Listings, s.Listed, wouldBeDrops(float64(max(s.QuietGapUs, s.BusyGapUs)), 5e6, 1024))
	for _, k := range gapThresholds(s.QuietGaps, s.BusyGaps) {
		fmt.Fprintf(&b, " gaps_over_%s_quiet=%d gaps_over_%s_busy=%d", asciiDuration(k), s.QuietGaps[k], asciiDuration(k), s.BusyGaps[k])
	}
	return b.String()
}

// refloopInfo is the INFO line of one phase of the reference loop.
func refloopInfo(p refloopPhase) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INFO reference_loop phase=%s secs=%.3f max_gap_us=%d", p.Name, p.Secs, p.MaxGapUs)
	for _, k := range gapThresholds(p.GapsOver) {
		fmt.Fprintf(&b, " gaps_over_%s=%d", asciiDuration(k), p.GapsOver[k])
	}
	fmt.Fprintf(&b, " mpps=%.3f", p.Mpps)
	return b.String()
}

// asciiDuration spells a duration key without "µ", for machine lines.
func asciiDuration(k string) string { return strings.ReplaceAll(k, "µ", "u") }

// stallColumn is one column of the stall table: govsd's or the reference
// loop's quiet or busy phase. Empty cells print as "–".
type stallColumn struct {
	longest, mpps, reloads, calls, gc string
	gaps                              map[string]uint64 // nil: not measured
	thread                            *threadStat       // nil: not known
}

func govsdColumns(s *stallResult) (quiet, busy stallColumn) {
	if s == nil {
		return
	}
	quiet = stallColumn{longest: fmt.Sprint(s.QuietGapUs), mpps: fmt.Sprintf("%.2f", s.QuietMpps), gaps: s.QuietGaps}
	busy = stallColumn{longest: fmt.Sprint(s.BusyGapUs), mpps: fmt.Sprintf("%.2f", s.BusyMpps), gaps: s.BusyGaps,
		reloads: fmt.Sprintf("%d (%d)", s.Reloads, s.ReloadErrs), calls: fmt.Sprintf("%d; %d connection listings (%d connections)", s.StatsCalls, s.Listings, s.Listed),
		gc: fmt.Sprintf("%d / %.3f ms", s.GCs, s.MaxSTWMs)}
	if s.ThreadKnown {
		quiet.thread, busy.thread = &s.QuietThread, &s.BusyThread
	}
	return quiet, busy
}

func refColumns(ref *refloopResult) (quiet, busy stallColumn) {
	if ref == nil {
		return
	}
	quiet = stallColumn{longest: fmt.Sprint(ref.Quiet.MaxGapUs), mpps: fmt.Sprintf("%.2f", ref.Quiet.Mpps), gaps: ref.Quiet.GapsOver}
	busy = stallColumn{longest: fmt.Sprint(ref.Busy.MaxGapUs), mpps: fmt.Sprintf("%.2f", ref.Busy.Mpps), gaps: ref.Busy.GapsOver,
		reloads: fmt.Sprintf("%d (%d) on the stand-in", ref.Reloads, ref.ReloadErrs), calls: fmt.Sprint(ref.StatsCalls)}
	if ref.Ready.TID != 0 {
		quiet.thread, busy.thread = &ref.QuietThread, &ref.BusyThread
	}
	return quiet, busy
}

// stallHeader names the columns stallRows fills.
const stallHeader = "| | govsd quiet | govsd busy | reference C loop, quiet | reference C loop, busy |\n|---|---:|---:|---:|---:|\n"

// stallRows is the stall table of govsd's and the reference's columns.
func stallRows(s *stallResult, ref *refloopResult) [][]string {
	gq, gb := govsdColumns(s)
	rq, rb := refColumns(ref)
	cols := []stallColumn{gq, gb, rq, rb}
	var rows [][]string
	row := func(label string, cell func(stallColumn) string) {
		r := []string{label}
		for _, c := range cols {
			v := cell(c)
			if v == "" {
				v = "–"
			}
			r = append(r, v)
		}
		rows = append(rows, r)
	}
	row("longest gap between two polls, µs (govsd: max_poll_gap_us since start)", func(c stallColumn) string { return c.longest })
	row("forwarding Mpps", func(c stallColumn) string { return c.mpps })
	row("reloads (failed)", func(c stallColumn) string { return c.reloads })
	row("stats and status calls; connection listings", func(c stallColumn) string { return c.calls })
	row("GC cycles / longest stop-the-world phase", func(c stallColumn) string { return c.gc })
	for _, k := range gapThresholds(gq.gaps, gb.gaps, rq.gaps, rb.gaps) {
		row("poll gaps over "+k, func(c stallColumn) string {
			if c.gaps == nil {
				return ""
			}
			return fmt.Sprint(c.gaps[k])
		})
	}
	thread := func(f func(*threadStat) string) func(stallColumn) string {
		return func(c stallColumn) string {
			if c.thread == nil {
				return ""
			}
			return f(c.thread)
		}
	}
	row("worker thread: involuntary context switches", thread(func(t *threadStat) string { return fmt.Sprint(t.Involuntary) }))
	row("worker thread: time runnable but off CPU (ms)", thread(func(t *threadStat) string { return fmt.Sprintf("%.1f", float64(t.WaitNs)/1e6) }))
	return rows
}

// writeStalls is the report's section on poll-loop stalls.
func writeStalls(b *strings.Builder, r *results) {
	s, ref := r.Stall, r.RefLoop
	if s == nil && ref == nil {
		return
	}
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("## Poll-loop stalls: govsd and the reference C loop\n\n")
	if s != nil {
		w("govsd forwards the %s file (%s) at full speed on its worker lcore while the control plane is first idle for %d s, then busy for %d s (phases of equal length, so their counts compare directly): two goroutines of the bench call the admin API's reload (`govsctl reload`: re-read the YAML, validate, build and swap a snapshot) in a loop and another polls stats/status every 10 ms. govsd ran with `GODEBUG=gctrace=1`. `max_poll_gap_us` is the longest time between two polls of port 0 since start: it includes start-up and warm-up (%d µs at the start of the quiet phase), so a busy-phase value equal to the quiet one means the busy phase set no new maximum.\n\n",
			r.StallCase.Pcap.Kind, r.StallCase.Pcap, s.QuietSecs, s.BusySecs, s.WarmGapUs)
	}
	if ref != nil {
		w("The reference C loop (`%s`, compiled by the bench with gcc and `pkg-config libdpdk`; no Go runtime in it) gets the EAL arguments govsd gets from the same configuration (lcores %s, the same vdev and file, `--in-memory`) and polls port 0 on lcore %d (CPU %d): rx burst, tx burst, nothing else. It reads the TSC after each rx burst and counts gaps as govsd does, over %.0f s quiet and %.0f s busy after the same warm-up. During its busy phase the bench runs the same load generator against a stand-in admin server inside the bench (govsd's admin.Server code; a reload loads and validates the same YAML with config.Load, one at a time; stats and status return govsd's last replies), so the control CPU is as busy as in govsd's busy phase; what the stand-in does not do is build a dataplane snapshot. Its gaps are the floor of this machine: hypervisor, kernel, interrupts, other processes of the shared machine. Its longest gap is per phase.\n\n",
			refloopSource, benchLcores, ref.Ready.Lcore, ref.Ready.CPU, ref.Quiet.Secs, ref.Busy.Secs)
	}
	b.WriteString(stallHeader)
	for _, row := range stallRows(s, ref) {
		w("| %s |\n", strings.Join(row, " | "))
	}
	b.WriteString("\n")
	if s == nil {
		return
	}
	w("The bench pins itself to CPU 0, so the CPU time the worker loses in the busy phase goes to govsd's own threads allowed on its CPU or to other processes of the machine (it is shared). A worker that is a goroutine is stopped by the Go runtime's stop-the-world phases; a C loop that never enters the runtime is not. ")
	switch {
	case !s.ThreadKnown:
		w("\n\n")
	case len(s.SharingThreads) == 0:
		w("At the end of the run no other govsd thread was allowed on the worker's CPU %d.\n\n", s.WorkerCPU)
	default:
		w("At the end of the run %d other govsd thread(s) were allowed on the worker's CPU %d: %s (a thread named after the worker is one the Go runtime cloned from the worker thread: it inherits its CPU).\n\n", len(s.SharingThreads), s.WorkerCPU, strings.Join(s.SharingThreads, ", "))
	}
	g := max(s.QuietGapUs, s.BusyGapUs)
	w("A pull-based vdev never drops on rx (the port reports rx_missed %d). At 5 Mpps a 1024-descriptor rx ring holds 204.8 µs of traffic: the longest gap, %d µs, would drop **%.0f packets** (gap × 5 Mpps − 1024). The counts of gaps over each threshold are per phase. A gap over 200 µs at 5 Mpps is (nearly) one overflow of the ring.\n\n",
		s.RxMissed, g, wouldBeDrops(float64(g), 5e6, 1024))
}
