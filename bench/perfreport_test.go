package main

import (
	"math"
	"os"
	"testing"
)

func readPerfReport(t *testing.T, path string) perfReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := parsePerfReport(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParsePerfReportSymbols(t *testing.T) {
	r := readPerfReport(t, "testdata/perf-report-symbol.txt")
	if r.Event != "cpu-clock" || r.Samples != "6K" || r.EventCount != 3037500000 || r.Lost != 0 || r.Key != "Symbol" {
		t.Errorf("header: %+v", r)
	}
	if len(r.Rows) != 39 {
		t.Fatalf("%d rows, want 39", len(r.Rows))
	}
	// The IPC columns perf adds are cut off; names keep perf's marker.
	first := perfRow{26.17, "[.] github.com/govs-project/govs/dataplane/conntrack.(*Table).lookupBatch"}
	if r.Rows[0] != first || r.Rows[38] != (perfRow{0.28, "[.] runtime.cgocall"}) {
		t.Errorf("rows: first %+v, last %+v", r.Rows[0], r.Rows[38])
	}
	if k := r.Rows[36]; k != (perfRow{0.28, "[k] _raw_spin_unlock_irqrestore"}) || k.symbol() != "_raw_spin_unlock_irqrestore" {
		t.Errorf("kernel row %+v", k)
	}
	if u := r.unresolved(); math.Abs(u-12.38) > 1e-9 {
		t.Errorf("unresolved = %v, want 12.38", u)
	}
	if n := len(r.top(25)); n != 25 {
		t.Errorf("top(25) has %d rows", n)
	}
}

func TestParsePerfReportObjects(t *testing.T) {
	r := readPerfReport(t, "testdata/perf-report-dso.txt")
	want := []perfRow{{79.93, "govsd"}, {18.44, "librte_net_pcap.so.23.0"}, {1.12, "[kernel.kallsyms]"}, {0.51, "ld-linux-x86-64.so.2"}}
	if r.Key != "Shared Object" || len(r.Rows) != len(want) {
		t.Fatalf("got %+v", r)
	}
	for i := range want {
		if r.Rows[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, r.Rows[i], want[i])
		}
	}
	if len(r.top(8)) != 4 {
		t.Error("top(8) of 4 rows is not all of them")
	}
}

func TestParsePerfReportBroken(t *testing.T) {
	for name, text := range map[string]string{
		"empty":          "",
		"no header":      "    12.00%  [.] main\n",
		"bad percentage": "# Overhead  Symbol\n# ........  ......\n#\n    x.y%    [.] main\n",
	} {
		if _, err := parsePerfReport(text); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
