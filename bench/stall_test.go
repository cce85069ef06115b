package main

import (
	"strings"
	"testing"
)

func TestParseGCTrace(t *testing.T) {
	log := `time=2026-01-01T00:00:00Z level=INFO msg="govsd ready"
gc 1 @0.012s 2%: 0.021+0.85+0.003 ms clock, 0.042+0.1/0.2/0+0.006 ms cpu, 3->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 3 P
gc 2 @1.500s 1%: 0.010+1.2+0.250 ms clock, 0.020+0.3/0.5/0+0.50 ms cpu, 4->4->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 3 P
gc 3 @2.000s 1%: 0.010+1.2 ms clock, broken
time=2026-01-01T00:00:01Z level=INFO msg="configuration reloaded"
`
	got := parseGCTrace(log)
	if len(got) != 2 || got[0] != (gcTrace{1, 0.021}) || got[1] != (gcTrace{2, 0.25}) {
		t.Fatalf("got %+v", got)
	}
}

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string][]int{"0": {0}, "0-1": {0, 1}, " 0-2,5\n": {0, 1, 2, 5}, "": nil} {
		got := parseCPUList(in)
		if len(got) != len(want) {
			t.Errorf("parseCPUList(%q) = %v, want %v", in, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("parseCPUList(%q) = %v, want %v", in, got, want)
			}
		}
	}
}

func TestGapThresholds(t *testing.T) {
	got := gapThresholds(map[string]uint64{"10ms": 1, "50µs": 3}, map[string]uint64{"1ms": 0, "200µs": 2, "bad": 9}, nil)
	if want := "50µs 200µs 1ms 10ms"; strings.Join(got, " ") != want {
		t.Errorf("gapThresholds = %v, want %s", got, want)
	}
}
