package main

import (
	"math"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{10, 10, 1, 10, 100}, 10},
	} {
		in := append([]float64(nil), c.in...)
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
		for i := range in {
			if in[i] != c.in[i] {
				t.Fatalf("median reordered its input: %v", c.in)
			}
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is not NaN")
	}
	lo, hi := spread([]float64{3, 9, 1})
	if lo != 1 || hi != 9 {
		t.Errorf("spread = %v, %v", lo, hi)
	}
}

func TestRatioAndRate(t *testing.T) {
	if r := ratio(5, 10); r != 0.5 {
		t.Errorf("ratio = %v", r)
	}
	if !math.IsNaN(ratio(1, 0)) {
		t.Error("ratio by 0 is not NaN")
	}
	if r := rate(100, 300, 2); r != 100 {
		t.Errorf("rate = %v", r)
	}
	if r := rate(300, 100, 2); r != 0 {
		t.Errorf("rate of a counter that went back = %v", r)
	}
}

func TestCrossRate(t *testing.T) {
	ts := []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5}
	vs := []uint64{0, 50, 250, 450, 600, 600}
	// first >= 100 is at 0.2 (250), first >= 500 at 0.4 (600): 350 / 0.2 s
	r, ok := crossRate(ts, vs, 100, 500)
	if !ok || math.Abs(r-1750) > 1e-9 {
		t.Errorf("crossRate = %v, %v", r, ok)
	}
	if _, ok := crossRate(ts, vs, 100, 1000); ok {
		t.Error("crossRate ok although hi is never reached")
	}
	if _, ok := crossRate(ts, []uint64{0, 0, 1000, 1000, 1000, 1000}, 100, 900); ok {
		t.Error("crossRate ok with a single point in the range")
	}
}

func TestWouldBeDrops(t *testing.T) {
	if d := wouldBeDrops(100, 5e6, 1024); d != 0 {
		t.Errorf("100 µs at 5 Mpps: %v drops, want 0 (500 packets fit in 1024)", d)
	}
	if d := wouldBeDrops(1000, 5e6, 1024); d != 5000-1024 {
		t.Errorf("1 ms at 5 Mpps: %v drops, want %d", d, 5000-1024)
	}
	// the threshold: 1024 / 5e6 s = 204.8 µs
	if d := wouldBeDrops(204.8, 5e6, 1024); d > 1e-6 {
		t.Errorf("at the threshold: %v", d)
	}
}

func TestSearchLargest(t *testing.T) {
	for _, edge := range []int{1000, 1024, 5000, 16383, 16384, 20000} {
		calls := 0
		got := searchLargest(0, 1<<20, 1024, func(n int) bool { calls++; return n <= edge })
		if got > edge || edge-got >= 1024 || got%1024 != 0 {
			t.Errorf("edge %d: got %d", edge, got)
		}
		if calls > 12 {
			t.Errorf("edge %d: %d probes", edge, calls)
		}
	}
}

func TestRefPerRepeat(t *testing.T) {
	runs := []testpmdRun{
		{Rep: 1, Windows: []float64{10e6, 11e6}},
		{Rep: 1, Windows: []float64{30e6, 12e6}}, // after govsd: one noisy window
		{Rep: 2, Windows: []float64{20e6}},
	}
	got := refPerRepeat(runs)
	if len(got) != 2 || got[0] != 11.5 || got[1] != 20 {
		t.Fatalf("refPerRepeat = %v, want [11.5 20]", got)
	}
}
