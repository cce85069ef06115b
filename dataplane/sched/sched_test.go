package sched

import (
	"slices"
	"strings"
	"testing"
)

func pickN(t *testing.T, s Scheduler, n int) []int {
	t.Helper()
	var st uint64
	out := make([]int, n)
	for i := range out {
		out[i] = s.Pick(&st, &Input{})
	}
	return out
}

func mustNew(t *testing.T, name string, w []uint32) Scheduler {
	t.Helper()
	s, err := New(name, w)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != name {
		t.Fatalf("Name() = %q, want %q", s.Name(), name)
	}
	return s
}

func TestExactSequences(t *testing.T) {
	for _, tc := range []struct {
		name    string
		weights []uint32
		want    []int
	}{
		{"rr", []uint32{1, 1, 1}, []int{0, 1, 2, 0, 1, 2}},
		{"rr", []uint32{5, 0, 1}, []int{0, 2, 0, 2}}, // rr ignores weights but skips 0
		{"rr", []uint32{0, 0, 7}, []int{2, 2, 2}},
		{"rr", []uint32{0, 0}, []int{-1, -1}},
		{"rr", nil, []int{-1}},
		{"wrr", []uint32{1, 2, 3}, []int{2, 1, 2, 0, 1, 2, 2, 1, 2, 0, 1, 2}},
		{"wrr", []uint32{4, 3, 2}, []int{0, 0, 1, 0, 1, 2, 0, 1, 2}},
		{"wrr", []uint32{10, 20}, []int{1, 0, 1, 1, 0, 1}}, // gcd 10
		{"wrr", []uint32{3, 0, 1}, []int{0, 0, 0, 2, 0, 0, 0, 2}},
		{"wrr", []uint32{1}, []int{0, 0, 0}},
		{"wrr", []uint32{0, 0, 0}, []int{-1, -1}},
		{"wrr", nil, []int{-1}},
	} {
		got := pickN(t, mustNew(t, tc.name, tc.weights), len(tc.want))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %v: got %v, want %v", tc.name, tc.weights, got, tc.want)
		}
	}
}

// TestShares checks that every full cycle (sum of weights / gcd picks) gives
// each destination exactly its share, for precomputed and stepped wrr alike.
func TestShares(t *testing.T) {
	for _, tc := range []struct {
		weights []uint32
		step    bool // expect the pick-time stepping implementation
	}{
		{[]uint32{1, 2, 3}, false},
		{[]uint32{1, 1, 1, 1}, false},
		{[]uint32{100, 0, 50, 25}, false},
		{[]uint32{65535, 1}, false},
		{[]uint32{65536, 1}, true},
		{[]uint32{1_000_000, 3_000_000, 7}, true},
		{[]uint32{4_000_000_000, 4_000_000_000, 2_000_000_000}, false}, // gcd 2e9
		{[]uint32{4_294_967_295, 1, 0, 4_294_967_294}, true},
	} {
		s := mustNew(t, "wrr", tc.weights)
		if _, isStep := s.(*wrrStep); isStep != tc.step {
			t.Errorf("%v: stepping=%v, want %v", tc.weights, isStep, tc.step)
		}
		var g uint32
		var sum uint64
		for _, w := range tc.weights {
			g = gcd(g, w)
			sum += uint64(w)
		}
		cycle := sum / uint64(g)
		if cycle > 5_000_000 {
			continue // shares of huge cycles are covered by TestStepMatchesCycle
		}
		var st uint64
		for round := 0; round < 2; round++ {
			got := make([]uint64, len(tc.weights))
			for range cycle {
				got[s.Pick(&st, nil)]++
			}
			for i, w := range tc.weights {
				if got[i] != uint64(w/g) {
					t.Fatalf("%v round %d: dest %d got %d picks of %d, want %d", tc.weights, round, i, got[i], cycle, w/g)
				}
			}
		}
	}
}

// TestStepMatchesCycle runs the stepping implementation on weights small
// enough to precompute and requires the identical sequence.
func TestStepMatchesCycle(t *testing.T) {
	for _, w := range [][]uint32{{1, 2, 3}, {5, 1, 0, 5, 2}, {7}, {1, 9, 4, 4, 0, 6, 3}} {
		var m, sum uint32
		for _, x := range w {
			m, sum = max(m, x), sum+x
		}
		step := &wrrStep{w: w, max: m}
		seq := &seqSched{name: "wrr", seq: wrrCycle(w, m, int(sum))}
		var a, b uint64
		for i := 0; i < 3*int(sum); i++ {
			if x, y := step.Pick(&a, nil), seq.Pick(&b, nil); x != y {
				t.Fatalf("%v pick %d: step %d, cycle %d", w, i, x, y)
			}
		}
	}
	// Interleaving in a huge stepped cycle: the light destination's picks
	// come once per pass at cw=1, i.e. at the end of the cycle.
	s := mustNew(t, "wrr", []uint32{200_000, 1})
	var st uint64
	for i := 0; i < 200_000; i++ {
		if s.Pick(&st, nil) != 0 {
			t.Fatalf("pick %d went to the light destination early", i)
		}
	}
	if got := s.Pick(&st, nil); got != 1 {
		t.Fatalf("last pick of the cycle = %d, want 1", got)
	}
}

func TestForeignState(t *testing.T) {
	// A state left by another snapshot's scheduler must not break Pick.
	for _, s := range []Scheduler{
		mustNew(t, "rr", []uint32{1, 1}),
		mustNew(t, "wrr", []uint32{1, 2}),
		mustNew(t, "wrr", []uint32{100_000, 1}),
	} {
		for _, st := range []uint64{^uint64(0), 1 << 40, 12345, 1<<32 | 99} {
			if got := s.Pick(&st, nil); got < 0 || got > 1 {
				t.Errorf("%s with state %#x picked %d", s.Name(), st, got)
			}
		}
	}
}

func TestNewErrors(t *testing.T) {
	for _, name := range []string{"lc", "wlc", "sh", "dh", "sed", "nq", "mh"} {
		_, err := New(name, []uint32{1})
		if err == nil || err.Error() != `scheduler "`+name+`" not implemented yet` {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	_, err := New("fastest", []uint32{1})
	if err == nil || !strings.Contains(err.Error(), `"fastest"`) || !strings.Contains(err.Error(), "rr, wrr") {
		t.Errorf("unknown: err = %v", err)
	}
	if got := Names(); !slices.Equal(got, []string{"rr", "wrr"}) {
		t.Errorf("Names() = %v", got)
	}
}

func TestWeightsCopied(t *testing.T) {
	w := []uint32{1, 2}
	s := mustNew(t, "wrr", w)
	w[0], w[1] = 0, 0
	if got := pickN(t, s, 3); !slices.Equal(got, []int{1, 0, 1}) {
		t.Errorf("scheduler changed with the caller's slice: %v", got)
	}
}

func TestZeroAllocs(t *testing.T) {
	in := &Input{ClientIP: 1, ClientPort: 2}
	for _, tc := range []struct {
		name string
		w    []uint32
	}{{"rr", []uint32{1, 0, 1}}, {"wrr", []uint32{1, 2, 3}}, {"wrr", []uint32{1 << 20, 3, 1}}} {
		s := mustNew(t, tc.name, tc.w)
		var st uint64
		if a := testing.AllocsPerRun(1000, func() { s.Pick(&st, in) }); a != 0 {
			t.Errorf("%s %v: %v allocs per Pick", tc.name, tc.w, a)
		}
	}
}

func BenchmarkPick(b *testing.B) {
	for _, tc := range []struct {
		name, sched string
		w           []uint32
	}{
		{"rr", "rr", []uint32{1, 1, 1, 1}},
		{"wrr-cycle", "wrr", []uint32{1, 2, 3, 4}},
		{"wrr-step", "wrr", []uint32{1 << 20, 3 << 20, 5, 7}},
	} {
		s, _ := New(tc.sched, tc.w)
		in := &Input{}
		b.Run(tc.name, func(b *testing.B) {
			var st uint64
			for i := 0; i < b.N; i++ {
				s.Pick(&st, in)
			}
		})
	}
}
