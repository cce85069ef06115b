package sched

import (
	"slices"
	"strings"
	"testing"
)

func weighted(w []uint32) []Dest {
	d := make([]Dest, len(w))
	for i, x := range w {
		d[i] = Dest{Addr: 0x0a010000 + uint32(i), Port: 80, Weight: x}
	}
	return d
}

func mustCompile(t *testing.T, name string, w []uint32) Table {
	t.Helper()
	tb, err := Compile(name, weighted(w), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Name != name {
		t.Fatalf("Name = %q, want %q", tb.Name, name)
	}
	return tb
}

// The lcores replay Seq tables as they are, so a table is its pick sequence.
func TestSeqTables(t *testing.T) {
	for _, tc := range []struct {
		name    string
		weights []uint32
		want    []uint32
	}{
		{"rr", []uint32{1, 1, 1}, []uint32{0, 1, 2}},
		{"rr", []uint32{5, 0, 1}, []uint32{0, 2}}, // rr ignores weights but skips 0
		{"rr", []uint32{0, 0, 7}, []uint32{2}},
		{"rr", []uint32{0, 0}, nil},
		{"rr", nil, nil},
		{"wrr", []uint32{1, 2, 3}, []uint32{2, 1, 2, 0, 1, 2}},
		{"wrr", []uint32{4, 3, 2}, []uint32{0, 0, 1, 0, 1, 2, 0, 1, 2}},
		{"wrr", []uint32{10, 20}, []uint32{1, 0, 1}}, // gcd 10
		{"wrr", []uint32{3, 0, 1}, []uint32{0, 0, 0, 2}},
		{"wrr", []uint32{1}, []uint32{0}},
		{"wrr", []uint32{0, 0, 0}, nil},
		{"wrr", nil, nil},
	} {
		tb := mustCompile(t, tc.name, tc.weights)
		if tb.Kind != Seq || !slices.Equal(tb.Entries, tc.want) {
			t.Errorf("%s %v: kind %d entries %v, want seq %v", tc.name, tc.weights, tb.Kind, tb.Entries, tc.want)
		}
	}
}

// TestShares checks that a full cycle gives each destination exactly its
// share, and that long cycles are left to the lcores to step.
func TestShares(t *testing.T) {
	for _, tc := range []struct {
		weights []uint32
		step    bool
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
		tb := mustCompile(t, "wrr", tc.weights)
		var g, m uint32
		for _, w := range tc.weights {
			g = gcd(g, w)
			m = max(m, w)
		}
		if tc.step {
			want := make([]uint32, len(tc.weights))
			for i, w := range tc.weights {
				want[i] = w / g
			}
			if tb.Kind != WRRStep || !slices.Equal(tb.Entries, want) || tb.Max != m/g {
				t.Errorf("%v: got kind %d entries %v max %d, want stepped %v max %d", tc.weights, tb.Kind, tb.Entries, tb.Max, want, m/g)
			}
			continue
		}
		if tb.Kind != Seq {
			t.Fatalf("%v: stepped, want a precomputed cycle", tc.weights)
		}
		got := make([]uint32, len(tc.weights))
		for _, d := range tb.Entries {
			got[d]++
		}
		for i, w := range tc.weights {
			if got[i] != w/g {
				t.Fatalf("%v: dest %d got %d picks of %d, want %d", tc.weights, i, got[i], len(tb.Entries), w/g)
			}
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, name := range []string{"lblcx", "fifo", "fastest", ""} {
		_, err := Compile(name, weighted([]uint32{1}), Options{})
		if err == nil || !strings.Contains(err.Error(), `"`+name+`"`) || !strings.Contains(err.Error(), "known: rr, wrr, lc") {
			t.Errorf("%q: err = %v", name, err)
		}
	}
	want := []string{"rr", "wrr", "lc", "wlc", "sed", "nq", "fo", "ovf", "twos", "sh", "dh", "mh", "lblc", "lblcr"}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v", got)
	}
}

func TestWeightsCopied(t *testing.T) {
	d := weighted([]uint32{65536, 1})
	tb, err := Compile("wrr", d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d[0].Weight, d[1].Weight = 0, 0
	if !slices.Equal(tb.Entries, []uint32{65536, 1}) {
		t.Errorf("table changed with the caller's slice: %v", tb.Entries)
	}
}
