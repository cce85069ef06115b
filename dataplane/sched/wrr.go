package sched

import (
	"math/bits"
	"sort"
)

// maxSeqLen bounds a precomputed wrr cycle (sum of weights / gcd); beyond
// it the cycle would cost more memory than stepping IPVS's algorithm.
const maxSeqLen = 1 << 16

// IPVS's interleaved weighted round robin (ip_vs_wrr.c). With weights
// divided by their gcd and m the largest of them, the schedule runs passes
// with a current weight cw = m, m-1, ..., 1; each pass visits, in order,
// every destination whose weight is >= cw. One cycle gives destination i
// exactly w[i] picks, interleaved rather than in runs. (IPVS steps cw by
// the gcd over the raw weights, starting at max-gcd+1; that is the same
// sequence.) Short cycles are laid out whole; long ones are stepped by the
// lcores over the normalised weights.
func compileWRR(dests []Dest, _ Options) Table {
	weights := weightsOf(dests)
	var g, m uint32
	var sum uint64
	for _, w := range weights {
		if w > 0 {
			g = gcd(g, w)
			m = max(m, w)
			sum += uint64(w)
		}
	}
	if sum == 0 {
		return Table{Kind: Seq}
	}
	norm := make([]uint32, len(weights))
	for i, w := range weights {
		norm[i] = w / g
	}
	if sum/uint64(g) <= maxSeqLen {
		return Table{Kind: Seq, Entries: wrrCycle(norm, m/g, int(sum/uint64(g)))}
	}
	return Table{Kind: WRRStep, Entries: norm, Max: m / g}
}

func gcd(a, b uint32) uint32 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// wrrCycle lays out one full cycle. Destinations join a bitset as cw falls
// to their weight, and each pass emits the set in index order, so building
// costs O(cycle + passes × n/64) instead of O(passes × n).
func wrrCycle(w []uint32, maxW uint32, length int) []uint32 {
	order := make([]int, 0, len(w)) // destinations by falling weight
	for i, x := range w {
		if x > 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return w[order[a]] > w[order[b]] })
	set := make([]uint64, (len(w)+63)/64)
	seq := make([]uint32, 0, length)
	for cw := maxW; cw >= 1; cw-- {
		for len(order) > 0 && w[order[0]] >= cw {
			set[order[0]/64] |= 1 << (order[0] % 64)
			order = order[1:]
		}
		for wi, word := range set {
			for word != 0 {
				seq = append(seq, uint32(wi*64+bits.TrailingZeros64(word)))
				word &= word - 1
			}
		}
	}
	return seq
}
