package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// target is one goal of issue 7 and what the run measured of it.
type target struct {
	Name     string // in TARGET lines
	Goal     string // in the report
	AtMost   bool   // met when Measured <= Limit (else >=)
	Limit    float64
	Measured float64
	Known    bool   // this run measured it
	Detail   string // what was measured, for the report
}

func (t target) met() bool {
	switch {
	case !t.Known:
		return false
	case t.AtMost:
		return t.Measured <= t.Limit
	}
	return t.Measured >= t.Limit
}

// line is the machine-readable TARGET line.
func (t target) line() string {
	cmp, measured := ">=", "none"
	if t.AtMost {
		cmp = "<="
	}
	if t.Known {
		measured = fmtNum(t.Measured)
	}
	return fmt.Sprintf("TARGET name=%s measured=%s goal=%s%s met=%v", t.Name, measured, cmp, fmtNum(t.Limit), t.met())
}

func (t target) verdict() string {
	switch {
	case !t.Known:
		return "not measured"
	case t.met():
		return "met"
	}
	return "NOT met"
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// round3 keeps three decimals: what the report shows of a ratio.
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// ratioGoals are the forwarding targets: govsd's rate over testpmd
// 5tswap's on the same file, one worker lcore.
var ratioGoals = []struct {
	name, caseName string
	flows          int
	min            float64
}{
	{"nat-in-64k", "nat-in", 1 << 16, 0.6},
	{"nat-out-64k", "nat-out", 1 << 16, 0.6},
	{"dr-64k", "dr", 1 << 16, 0.7},
	{"tun-64k", "tun", 1 << 16, 0.55},
	{"nat-in-1m", "nat-in", 1 << 20, 0.45},
}

const (
	minNewConnsM   = 5  // million new connections per second, one lcore
	maxBytesPerCon = 64 // per tracked connection
)

// issue7Targets evaluates the targets of issue 7 on what the run measured
// (any argument may be missing).
func issue7Targets(lines []caseLine, c *capacityResult, s *stallResult, ref *refloopResult) []target {
	var out []target
	for _, g := range ratioGoals {
		t := target{Name: g.name, Limit: g.min,
			Goal: fmt.Sprintf("%s, %d flows: >= %gx testpmd 5tswap (same file)", g.caseName, g.flows, g.min)}
		if l := findLine(lines, g.caseName, g.flows); l != nil && !math.IsNaN(l.Ratio) {
			t.Known, t.Measured = true, round3(l.Ratio)
			t.Detail = fmt.Sprintf("%.3fx (%.2f / %.2f Mpps)", l.Ratio, l.Mpps, l.RefMpps)
		}
		out = append(out, t)
	}
	syn := target{Name: "new-conns-per-sec", Limit: minNewConnsM,
		Goal: fmt.Sprintf(">= %d M new connections/s, one lcore (syn)", minNewConnsM)}
	if l := findLine(lines, "syn", 0); l != nil {
		syn.Known, syn.Measured = true, round3(l.Mpps)
		syn.Detail = fmt.Sprintf("%.2f M/s", l.Mpps)
	}
	out = append(out, syn)
	mem := target{Name: "bytes-per-conn", AtMost: true, Limit: maxBytesPerCon,
		Goal: fmt.Sprintf("<= %d B per tracked connection", maxBytesPerCon)}
	if c != nil {
		mem.Known, mem.Measured = true, c.BytesPerConn
		mem.Detail = fmt.Sprintf("%.0f B", c.BytesPerConn)
	}
	out = append(out, mem)
	return append(out, stallTargets(s, ref)...)
}

// findLine is the row of caseName on flows flows (0: any).
func findLine(lines []caseLine, caseName string, flows int) *caseLine {
	for i := range lines {
		if lines[i].Case.Name == caseName && (flows == 0 || lines[i].Case.Pcap.Flows == flows) {
			return &lines[i]
		}
	}
	return nil
}

// stallTargets: govsd's busy phase (control plane reloading) is no worse
// than its quiet phase, and no worse than the reference C loop's busy
// phase, in gaps over 200 µs (a 1024-descriptor ring at 5 Mpps) and in
// the longest gap.
func stallTargets(s *stallResult, ref *refloopResult) []target {
	const over = "200µs"
	quietCount := target{Name: "stall-gaps-over-200us-busy-vs-quiet", AtMost: true,
		Goal: "stalls: gaps over 200 µs while reloading <= in the quiet phase (same length)"}
	quietMax := target{Name: "stall-longest-busy-vs-quiet", AtMost: true,
		Goal: "stalls: longest gap while reloading <= before (max_poll_gap_us since start: the busy phase sets no new maximum)"}
	refCount := target{Name: "stall-gaps-over-200us-busy-vs-reference", AtMost: true,
		Goal: "stalls: gaps over 200 µs while reloading <= the reference C loop's busy phase"}
	refMax := target{Name: "stall-longest-busy-vs-reference", AtMost: true,
		Goal: "stalls: longest gap while reloading <= the reference C loop's busy phase"}
	if s != nil {
		if s.BusyGaps != nil {
			quietCount.Known, quietCount.Measured, quietCount.Limit = true, float64(s.BusyGaps[over]), float64(s.QuietGaps[over])
			quietCount.Detail = fmt.Sprintf("busy %d, quiet %d (%d s each)", s.BusyGaps[over], s.QuietGaps[over], s.BusySecs)
		}
		quietMax.Known, quietMax.Measured, quietMax.Limit = true, float64(s.BusyGapUs), float64(s.QuietGapUs)
		quietMax.Detail = fmt.Sprintf("after busy %d µs, after quiet %d µs", s.BusyGapUs, s.QuietGapUs)
	}
	if s != nil && ref != nil {
		if s.BusyGaps != nil {
			refCount.Known, refCount.Measured, refCount.Limit = true, float64(s.BusyGaps[over]), float64(ref.Busy.GapsOver[over])
			refCount.Detail = fmt.Sprintf("govsd %d, reference %d", s.BusyGaps[over], ref.Busy.GapsOver[over])
		}
		us, exact := s.busyLongest()
		refMax.Known, refMax.Measured, refMax.Limit = true, float64(us), float64(ref.Busy.MaxGapUs)
		bound := ""
		if !exact {
			bound = "at most "
		}
		refMax.Detail = fmt.Sprintf("govsd %s%d µs, reference %d µs", bound, us, ref.Busy.MaxGapUs)
	}
	return []target{quietCount, quietMax, refCount, refMax}
}

// busyLongest is the longest gap of govsd's busy phase alone. govsd only
// reports a maximum since start: if the busy phase raised it, that is the
// phase's own; otherwise the phase's longest is at most the earlier
// maximum, and at most the shortest threshold none of its gaps exceeded
// (exact is then false: an upper bound).
func (s *stallResult) busyLongest() (us uint64, exact bool) {
	if s.BusyGapUs > s.QuietGapUs {
		return s.BusyGapUs, true
	}
	us = s.QuietGapUs
	for _, k := range gapThresholds(s.BusyGaps) {
		d, _ := time.ParseDuration(k)
		if s.BusyGaps[k] == 0 {
			us = min(us, uint64(d.Microseconds()))
			break
		}
	}
	return us, false
}

// writeTargets is the report's section on the targets of issue 7.
func writeTargets(b *strings.Builder, ts []target) {
	b.WriteString("## Targets (issue 7)\n\n")
	writeTargetTable(b, ts)
	b.WriteString(targetsAnalysis)
}

// writeTargetTable is a table of targets and their TARGET lines.
func writeTargetTable(b *strings.Builder, ts []target) {
	b.WriteString("| target | measured | |\n|---|---|---|\n")
	for _, t := range ts {
		detail := t.Detail
		if !t.Known {
			detail = "–"
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", t.Goal, detail, t.verdict())
	}
	b.WriteString("\nTARGET lines of this run:\n\n```\n")
	for _, t := range ts {
		b.WriteString(t.line() + "\n")
	}
	b.WriteString("```\n\n")
}

// targetsAnalysis says where the reading of the numbers lives: the profile
// below shows where the time goes, NOTES.md what each stage costs and what
// would close each gap.
const targetsAnalysis = "Where the time goes: the perf profile of the worker below (\"Where govsd's time goes\"); " +
	"the instructions each stage of the fast path costs, and what would close each target not met, " +
	"are in NOTES.md, \"Performance (issue 7)\".\n\n"
