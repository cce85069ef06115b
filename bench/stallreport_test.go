package main

import (
	"strings"
	"testing"
)

func TestStallRowsWithoutReference(t *testing.T) {
	s := &stallResult{QuietGapUs: 80, BusyGapUs: 120, QuietMpps: 8.6, BusyMpps: 8,
		loadCounts: loadCounts{Reloads: 97, StatsCalls: 30}, GCs: 5, MaxSTWMs: 0.25,
		QuietGaps: map[string]uint64{"50µs": 3, "200µs": 0}, BusyGaps: map[string]uint64{"50µs": 7, "200µs": 1}}
	got := map[string]string{}
	for _, r := range stallRows(s, nil) {
		if len(r) != 5 {
			t.Fatalf("row %v: %d cells, want 5", r, len(r))
		}
		got[r[0]] = strings.Join(r[1:], " ")
	}
	for label, want := range map[string]string{
		"longest gap between two polls, µs (govsd: max_poll_gap_us since start)": "80 120 – –",
		"reloads (failed)":                            "– 97 (0) – –",
		"GC cycles / longest stop-the-world phase":    "– 5 / 0.250 ms – –",
		"poll gaps over 200µs":                        "0 1 – –",
		"worker thread: involuntary context switches": "– – – –",
	} {
		if got[label] != want {
			t.Errorf("%s: %q, want %q", label, got[label], want)
		}
	}
}

func TestRefloopInfo(t *testing.T) {
	p := refloopPhase{Name: "busy", Secs: 20.001, MaxGapUs: 41, Mpps: 31.25,
		GapsOver: map[string]uint64{"10ms": 0, "50µs": 4, "1ms": 0, "200µs": 1}}
	want := "INFO reference_loop phase=busy secs=20.001 max_gap_us=41 gaps_over_50us=4 gaps_over_200us=1 gaps_over_1ms=0 gaps_over_10ms=0 mpps=31.250"
	if got := refloopInfo(p); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
