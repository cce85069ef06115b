package sched

import (
	"slices"
	"testing"
)

func counts(entries []uint32, n int) []int {
	c := make([]int, n)
	for _, e := range entries {
		c[e]++
	}
	return c
}

// IPVS's sh: the servers in order, each taking its weight in consecutive
// buckets, round and round (weights divided by their gcd first).
func TestSourceHashTable(t *testing.T) {
	for _, tc := range []struct {
		weights []uint32
		head    []uint32 // the first buckets
		counts  []int
	}{
		{[]uint32{1, 1, 1}, []uint32{0, 1, 2, 0, 1, 2}, []int{86, 85, 85}},
		{[]uint32{1, 2}, []uint32{0, 1, 1, 0, 1, 1}, []int{86, 170}},
		{[]uint32{100, 200}, []uint32{0, 1, 1, 0}, []int{86, 170}},
		{[]uint32{2, 0, 1}, []uint32{0, 0, 1, 2, 0, 0, 1, 2}, []int{128, 64, 64}}, // weight 0 keeps one bucket a turn
		{[]uint32{300, 1}, nil, []int{255, 1}},                                    // shares halved to fit 256 buckets
	} {
		tb := mustCompile(t, "sh", tc.weights)
		if tb.Kind != SourceHash || len(tb.Entries) != HashBuckets {
			t.Fatalf("%v: kind %d, %d buckets", tc.weights, tb.Kind, len(tb.Entries))
		}
		if !slices.Equal(tb.Entries[:len(tc.head)], tc.head) {
			t.Errorf("%v: buckets start %v, want %v", tc.weights, tb.Entries[:len(tc.head)], tc.head)
		}
		if got := counts(tb.Entries, len(tc.weights)); !slices.Equal(got, tc.counts) {
			t.Errorf("%v: buckets per server %v, want %v", tc.weights, got, tc.counts)
		}
	}
	if tb := mustCompile(t, "sh", nil); len(tb.Entries) != HashBuckets || slices.ContainsFunc(tb.Entries, func(e uint32) bool { return e != NoDest }) {
		t.Errorf("no servers: %v", tb.Entries[:4])
	}
}

// IPVS's dh: one bucket per server in turn, whatever the weights.
func TestDestHashTable(t *testing.T) {
	tb := mustCompile(t, "dh", []uint32{5, 0, 1})
	if tb.Kind != DestHash || !slices.Equal(tb.Entries[:6], []uint32{0, 1, 2, 0, 1, 2}) {
		t.Errorf("kind %d buckets %v", tb.Kind, tb.Entries[:6])
	}
	if got := counts(tb.Entries, 3); !slices.Equal(got, []int{86, 85, 85}) {
		t.Errorf("buckets per server %v", got)
	}
}

func servers(n int, weight uint32) []Dest {
	d := make([]Dest, n)
	for i := range d {
		d[i] = Dest{Addr: 0x0a010000 | uint32(i+11), Port: 8080, Weight: weight}
	}
	return d
}

func mh(t *testing.T, d []Dest, size uint32) []uint32 {
	t.Helper()
	tb, err := Compile("mh", d, Options{MHTableSize: size})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Kind != Maglev {
		t.Fatalf("kind %d", tb.Kind)
	}
	return tb.Entries
}

// Maglev: every entry filled, each server's share within one of its
// weight's proportion (the turns round-robin), and the table a function
// of the configuration only.
func TestMaglevShares(t *testing.T) {
	for _, tc := range []struct {
		weights []uint32
		size    uint32
	}{
		{[]uint32{1, 1, 1, 1, 1}, 251},
		{[]uint32{1, 2, 3}, 251},
		{[]uint32{10, 10, 20}, 509},
		{[]uint32{1, 1}, 65521},
		{[]uint32{7}, 251},
	} {
		d := servers(len(tc.weights), 0)
		var sum uint32
		for i, w := range tc.weights {
			d[i].Weight = w
			sum += w
		}
		e := mh(t, d, tc.size)
		if len(e) != int(tc.size) {
			t.Fatalf("%v: %d entries, want %d", tc.weights, len(e), tc.size)
		}
		c := counts(e, len(d))
		for i, w := range tc.weights {
			want := float64(tc.size) * float64(w) / float64(sum)
			if diff := float64(c[i]) - want; diff > float64(w) || diff < -float64(w) {
				t.Errorf("%v size %d: server %d has %d entries, want %.1f", tc.weights, tc.size, i, c[i], want)
			}
		}
	}
	if e := mh(t, nil, 0); len(e) != DefaultMHTableSize || e[0] != NoDest {
		t.Errorf("no servers: %d entries, first %d", len(e), e[0])
	}
}

// The same configuration gives the same table on every director: built
// twice (as two processes would) it is equal, and it depends on the
// servers' addresses and ports, not on anything else.
func TestMaglevDeterministic(t *testing.T) {
	d := servers(5, 1)
	a, b := mh(t, d, 251), mh(t, servers(5, 1), 251)
	if !slices.Equal(a, b) {
		t.Fatal("two builds of one configuration differ")
	}
	// A pinned prefix: a change of the hash or of the fill would move it.
	if got, want := a[:12], []uint32{0, 0, 0, 3, 4, 2, 3, 0, 0, 3, 3, 1}; !slices.Equal(got, want) {
		t.Errorf("table starts %v, want %v", got, want)
	}
	d[2].Port = 8081
	if slices.Equal(a, mh(t, d, 251)) {
		t.Error("another port gave the same table")
	}
}

// Removing one of five servers moves its own clients and few others:
// Maglev's minimal disruption, counted over the table's entries.
func TestMaglevRemoval(t *testing.T) {
	for _, size := range []uint32{251, 4093} {
		d := servers(5, 1)
		before := mh(t, d, size)
		after := mh(t, append(append([]Dest(nil), d[:3]...), d[4]), size) // server 3 leaves
		index := []uint32{0, 1, 2, 4}
		moved := 0
		for i := range before {
			if before[i] != 3 && index[after[i]] != before[i] {
				moved++
			}
		}
		// Entries of the server that left must move (1/5); of the others
		// at most a few percent more may.
		if limit := int(size) * 4 / 100; moved > limit {
			t.Errorf("size %d: %d entries of staying servers moved, want <= %d", size, moved, limit)
		}
	}
}
