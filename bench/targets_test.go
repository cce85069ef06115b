package main

import (
	"os"
	"strings"
	"testing"
)

func line(name string, flows int, ratio, mpps float64) caseLine {
	return caseLine{Case: benchCase{Name: name, Pcap: pcapSpec{Kind: kindNATIn, Flows: flows}}, Ratio: ratio, Mpps: mpps, RefMpps: mpps / ratio}
}

// A run that meets some targets and misses others; dr was not measured.
// The expected TARGET lines are in testdata/targets.txt.
func TestIssue7Targets(t *testing.T) {
	lines := []caseLine{
		line("nat-in", 1<<16, 0.65, 16.9),
		line("nat-out", 1<<16, 0.5, 13),
		line("tun", 1<<16, 0.55, 14.3),
		line("nat-in", 1<<20, 0.4449, 11.6),
		line("syn", 2<<20, 0.2, 5.2),
	}
	capa := &capacityResult{BytesPerConn: 64}
	stall := &stallResult{QuietGapUs: 900, BusyGapUs: 900, BusySecs: 20,
		QuietGaps: map[string]uint64{"50µs": 40, "200µs": 3, "1ms": 0, "10ms": 0},
		BusyGaps:  map[string]uint64{"50µs": 10, "200µs": 2, "1ms": 0, "10ms": 0}}
	ref := &refloopResult{Busy: refloopPhase{MaxGapUs: 500, GapsOver: map[string]uint64{"50µs": 30, "200µs": 2, "1ms": 0, "10ms": 0}}}
	var got strings.Builder
	for _, tg := range issue7Targets(lines, capa, stall, ref) {
		got.WriteString(tg.line() + "\n")
	}
	want, err := os.ReadFile("testdata/targets.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("TARGET lines:\n%s\nwant:\n%s", got.String(), want)
	}
}

func TestIssue7TargetsNothingMeasured(t *testing.T) {
	ts := issue7Targets(nil, nil, nil, nil)
	if len(ts) != 11 {
		t.Fatalf("%d targets, want 11", len(ts))
	}
	for _, tg := range ts {
		if tg.Known || tg.met() || tg.verdict() != "not measured" || !strings.Contains(tg.line(), " measured=none ") {
			t.Errorf("%s: %s (%s)", tg.Name, tg.line(), tg.verdict())
		}
	}
}

func TestBusyLongest(t *testing.T) {
	gaps := map[string]uint64{"50µs": 5, "200µs": 0, "1ms": 0}
	for _, c := range []struct {
		quiet, busy uint64
		gaps        map[string]uint64
		want        uint64
		exact       bool
	}{
		{900, 1500, gaps, 1500, true}, // the busy phase raised the maximum
		{900, 900, gaps, 200, false},  // no busy gap over 200 µs
		{150, 150, gaps, 150, false},  // the earlier maximum is the tighter bound
		{900, 900, nil, 900, false},
	} {
		s := &stallResult{QuietGapUs: c.quiet, BusyGapUs: c.busy, BusyGaps: c.gaps}
		if us, exact := s.busyLongest(); us != c.want || exact != c.exact {
			t.Errorf("quiet %d busy %d: %d %v, want %d %v", c.quiet, c.busy, us, exact, c.want, c.exact)
		}
	}
}
