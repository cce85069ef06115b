package main

import (
	"strings"
	"testing"
)

func TestParseSyncBench(t *testing.T) {
	out := []byte(`goos: linux
BenchmarkFastPathSyncOff64k-2     	15743340	       133.8 ns/op	       100.0 ns/pkt	         0 records/s	         0 ringfull/s
BenchmarkFastPathSyncIPVS64k-2    	15017636	       171.1 ns/op	       110.0 ns/pkt	    127603 records/s	         0 ringfull/s
BenchmarkFastPathSyncEvery64k-2   	19005061	       134.5 ns/op	       125.0 ns/pkt	   7412823 records/s	         5 ringfull/s
PASS
`)
	r, err := parseSyncBench(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.ratio("Every"); got != 0.8 {
		t.Fatalf("every-packet ratio %v, want 100/125 = 0.8", got)
	}
	lines := strings.Join(syncInfo(r), "\n")
	for _, want := range []string{"RESULT sync_records_per_sec_per_lcore=7412823", "RESULT sync_ipvs_rules_vs_off=0.91", "ring_full_per_sec_every=5"} {
		if !strings.Contains(lines, want) {
			t.Errorf("info lines lack %q:\n%s", want, lines)
		}
	}
	if _, err := parseSyncBench([]byte("BenchmarkFastPathSyncOff64k-2 1 1 ns/op 1 ns/pkt 0 records/s 0 ringfull/s\n")); err == nil {
		t.Fatal("a run missing variants parsed")
	}
}
