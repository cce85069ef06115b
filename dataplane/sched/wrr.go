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
// sequence.)
func newWRR(weights []uint32) Scheduler {
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
		return &seqSched{name: "wrr"}
	}
	norm := make([]uint32, len(weights))
	for i, w := range weights {
		norm[i] = w / g
	}
	if sum/uint64(g) <= maxSeqLen {
		return &seqSched{name: "wrr", seq: wrrCycle(norm, m/g, int(sum/uint64(g)))}
	}
	return &wrrStep{w: norm, max: m / g}
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
func wrrCycle(w []uint32, maxW uint32, length int) []int32 {
	order := make([]int, 0, len(w)) // destinations by falling weight
	for i, x := range w {
		if x > 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return w[order[a]] > w[order[b]] })
	set := make([]uint64, (len(w)+63)/64)
	seq := make([]int32, 0, length)
	for cw := maxW; cw >= 1; cw-- {
		for len(order) > 0 && w[order[0]] >= cw {
			set[order[0]/64] |= 1 << (order[0] % 64)
			order = order[1:]
		}
		for wi, word := range set {
			for word != 0 {
				seq = append(seq, int32(wi*64+bits.TrailingZeros64(word)))
				word &= word - 1
			}
		}
	}
	return seq
}

// wrrStep runs IPVS's algorithm at pick time for cycles too long to store.
// state packs the current weight (high 32 bits) and the index at which the
// next scan starts (low 32 bits); 0 is a fresh start.
type wrrStep struct {
	w   []uint32 // weights divided by their gcd
	max uint32   // largest of w, >= 1
}

func (s *wrrStep) Name() string { return "wrr" }

// Pick scans at most about two passes over the destinations: the heaviest
// one qualifies in every pass.
func (s *wrrStep) Pick(state *uint64, _ *Input) int {
	next, cw := uint32(*state), uint32(*state>>32)
	if cw == 0 || cw > s.max || next > uint32(len(s.w)) {
		next, cw = 0, s.max // fresh start, or state from another snapshot
	}
	for {
		for i := next; i < uint32(len(s.w)); i++ {
			if s.w[i] >= cw {
				*state = uint64(cw)<<32 | uint64(i+1)
				return int(i)
			}
		}
		next = 0
		if cw--; cw == 0 {
			cw = s.max
		}
	}
}
