package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// Connection sync's cost on the lcore (issue 12): the dataplane's
// BenchmarkFastPathSync* (dataplane/sync_bench_test.go) run the C fast
// path through the harness (no PMD) over 64k established NAT flows, sync
// off, at IPVS's default rules (3/50) and with a record for every client
// packet, a goroutine draining the ring as the daemon's pump does. Each is
// repeated; the medians give the forwarding-rate ratios and the records
// one lcore emits per second.

const syncBenchSource = "dataplane/sync_bench_test.go"

var syncBenchNames = []string{"Off", "IPVS", "Every"}

type syncBenchResult struct {
	NsPerPkt     map[string][]float64 // by name
	RecordsPerS  map[string][]float64
	RingFullPerS map[string][]float64
	Count        int
	BenchTime    string
}

func (r *syncBenchResult) med(m map[string][]float64, name string) float64 { return median(m[name]) }

// ratio is the forwarding rate with name over sync off (1: no cost).
func (r *syncBenchResult) ratio(name string) float64 {
	off, on := r.med(r.NsPerPkt, "Off"), r.med(r.NsPerPkt, name)
	if on == 0 {
		return 0
	}
	return off / on
}

var syncBenchLine = regexp.MustCompile(`^BenchmarkFastPathSync(\w+?)64k\S*\s+\d+\s+\S+ ns/op\s+(\S+) ns/pkt\s+(\S+) records/s\s+(\S+) ringfull/s`)

func parseSyncBench(out []byte) (*syncBenchResult, error) {
	r := &syncBenchResult{NsPerPkt: map[string][]float64{}, RecordsPerS: map[string][]float64{}, RingFullPerS: map[string][]float64{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := syncBenchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		var v [3]float64
		for i := range v {
			f, err := strconv.ParseFloat(m[2+i], 64)
			if err != nil {
				return nil, fmt.Errorf("sync bench line %q: %w", sc.Text(), err)
			}
			v[i] = f
		}
		r.NsPerPkt[m[1]] = append(r.NsPerPkt[m[1]], v[0])
		r.RecordsPerS[m[1]] = append(r.RecordsPerS[m[1]], v[1])
		r.RingFullPerS[m[1]] = append(r.RingFullPerS[m[1]], v[2])
	}
	for _, n := range syncBenchNames {
		if len(r.NsPerPkt[n]) == 0 {
			return nil, fmt.Errorf("sync bench: no result for %s in:\n%s", n, tailString(string(out), 2000))
		}
	}
	return r, nil
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// runSyncBench runs the benchmarks count times each, interleaved so that
// the machine's noise hits every variant alike.
func (h *harness) runSyncBench(count int, benchtime string) (*syncBenchResult, error) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	if _, err := os.Stat(filepath.Join("dataplane", "sync_bench_test.go")); err != nil {
		return nil, fmt.Errorf("sync bench runs from the repository's root (make bench): %w", err)
	}
	var all []byte
	for range count {
		cmd := exec.Command(goBin, "test", "-run", "^$", "-bench", "^BenchmarkFastPathSync", "-benchtime", benchtime, "-count", "1", "./dataplane")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("go test -bench FastPathSync: %v\n%s", err, tailString(string(out), 2000))
		}
		all = append(all, out...)
	}
	r, err := parseSyncBench(all)
	if err != nil {
		return nil, err
	}
	r.Count, r.BenchTime = count, benchtime
	return r, nil
}

func (h *harness) runSyncStep(res *results) error {
	count, benchtime := 5, "2s"
	if h.quick {
		count, benchtime = 3, "1s"
	}
	h.logf("connection sync on the lcore: %d x 3 benchmarks of %s (%s)", count, benchtime, syncBenchSource)
	r, err := h.runSyncBench(count, benchtime)
	if err != nil {
		return h.noteFailure(res, "sync benchmark", err)
	}
	res.Sync = r
	for _, l := range syncInfo(r) {
		h.logf("  %s", l)
	}
	return nil
}

func syncInfo(r *syncBenchResult) []string {
	return []string{
		fmt.Sprintf("RESULT sync_records_per_sec_per_lcore=%.0f", r.med(r.RecordsPerS, "Every")),
		fmt.Sprintf("RESULT sync_ipvs_rules_vs_off=%.2f", r.ratio("IPVS")),
		fmt.Sprintf("RESULT sync_every_packet_vs_off=%.2f", r.ratio("Every")),
		fmt.Sprintf("INFO sync ns_per_pkt_off=%.1f ns_per_pkt_ipvs=%.1f ns_per_pkt_every=%.1f records_per_sec_ipvs=%.0f ring_full_per_sec_every=%.0f",
			r.med(r.NsPerPkt, "Off"), r.med(r.NsPerPkt, "IPVS"), r.med(r.NsPerPkt, "Every"), r.med(r.RecordsPerS, "IPVS"), r.med(r.RingFullPerS, "Every")),
	}
}

func writeSync(b *strings.Builder, r *syncBenchResult) {
	if r == nil {
		return
	}
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("## Connection sync on the lcore\n\n")
	w("`%s`: the C fast path through the harness (no PMD, the per-packet cost of BenchmarkFastPathNATIn64k) over 64k established NAT flows, ", syncBenchSource)
	w("with sync off, with IPVS's default rules (a record at a flow's 3rd client packet and every 50 after) and with a record for every client packet (threshold 0, period 1), ")
	w("while a goroutine drains the lcore's sync ring every 2 ms as govsd's pump does. Each variant %d times for %s, interleaved; medians. ", r.Count, r.BenchTime)
	w("Target: forwarding rate with sync on >= 0.9 x off.\n\n")
	w("| variant | ns/pkt | rate vs off | records/s | ring full/s |\n|---|---:|---:|---:|---:|\n")
	for _, n := range syncBenchNames {
		w("| %s | %.1f | %.2f | %.0f | %.0f |\n", n, r.med(r.NsPerPkt, n), r.ratio(n), r.med(r.RecordsPerS, n), r.med(r.RingFullPerS, n))
	}
	w("\n```\n")
	for _, l := range syncInfo(r) {
		w("%s\n", l)
	}
	w("```\n\n")
}
