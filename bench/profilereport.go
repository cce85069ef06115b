package main

import (
	"fmt"
	"strings"
)

// Rows of the profile shown in the report.
const (
	profileSymbolRows = 25
	profileObjectRows = 8
)

// profileInfo is the INFO line of the profile.
func profileInfo(p *profileResult) string {
	if p.Err != "" && len(p.Symbols.Rows) == 0 {
		return "INFO perf_profile=none"
	}
	line := fmt.Sprintf("INFO perf_profile=%s samples=%s on_cpu_s=%.2f", p.DataPath, p.Symbols.Samples, float64(p.Symbols.EventCount)/1e9)
	if top := p.Symbols.top(1); len(top) == 1 {
		line += fmt.Sprintf(" top_symbol=%s top_pct=%.2f", strings.Join(strings.Fields(top[0].symbol()), "_"), top[0].Pct)
	}
	return line
}

// writeProfile is the report's section on where the worker's time goes.
func writeProfile(b *strings.Builder, r *results) {
	p := r.Profile
	if p == nil {
		return
	}
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("## Where govsd's time goes\n\n")
	if p.Err != "" {
		w("No (complete) perf profile: %s.\n\n", strings.ReplaceAll(strings.TrimSpace(p.Err), "\n", " "))
	}
	if len(p.Symbols.Rows) > 0 {
		w("`%s`: %s, for %d s right after the %s measurement (%d flows) of the first repeat. `cpu-clock` is a software timer event (this VM has no hardware counters): each sample says where the thread was when the timer fired. %s samples; the thread was on CPU for %.2f s of the %d s. Call graphs are recorded: `perf report -i %s` explores them (it needs the binary that ran, `%s`).\n\n",
			p.Command, p.Target, profileSeconds, p.Case.Name, p.Case.Pcap.Flows, p.Symbols.Samples, float64(p.Symbols.EventCount)/1e9, profileSeconds, p.DataPath, r.GovsdCopy)
	}
	if len(p.Objects.Rows) > 0 {
		w("By shared object (`--sort dso`):\n\n| share | object |\n|---:|---|\n")
		for _, row := range p.Objects.top(profileObjectRows) {
			w("| %.2f %% | %s |\n", row.Pct, row.Name)
		}
		w("\n")
	}
	if len(p.Symbols.Rows) > 0 {
		w("By symbol (`perf report --stdio --no-children --sort symbol`, top %d; `[.]` user space, `[k]` kernel):\n\n```\n", profileSymbolRows)
		for _, row := range p.Symbols.top(profileSymbolRows) {
			w("%7.2f%%  %s\n", row.Pct, row.Name)
		}
		w("```\n\n")
		if u := p.Symbols.unresolved(); u > 0 {
			w("Entries named by an address (%.1f %% of the samples in all) are functions without symbols, such as the PMD's static functions (Debian ships DPDK without debug symbols): the table by object says whose they are.\n\n", u)
		}
	}
	if q := p.Pprof; q != nil {
		w("Go's CPU profile of govsd (`-pprof`, %d s, through the admin socket; the Go side only: a worker loop in C that never enters the Go runtime is not in it)", profileSeconds)
		if q.Err != "" && q.Top == "" {
			w(": none, %s.\n\n", q.Err)
		} else {
			w(", `go tool pprof %s %s` to explore:\n\n```\n%s\n```\n\n", r.GovsdCopy, q.Path, q.Top)
		}
	}
}
