package main

import (
	"math"
	"slices"
)

// median of xs (mean of the two middle values for an even count); NaN for
// none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// spread is min and max of xs.
func spread(xs []float64) (lo, hi float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	return slices.Min(xs), slices.Max(xs)
}

// ratio is x/y, NaN when y is not positive.
func ratio(x, y float64) float64 {
	if !(y > 0) {
		return math.NaN()
	}
	return x / y
}

// rate is a counter delta per second between two samples.
func rate(c0, c1 uint64, seconds float64) float64 {
	if seconds <= 0 || c1 < c0 {
		return 0
	}
	return float64(c1-c0) / seconds
}

// crossRate is the slope of a monotonic counter between the first samples
// at or above lo and at or above hi: the rate over the middle of a burst of
// work whose start and end fall between samples. ok is false when the
// samples do not bracket the range with at least two distinct points.
func crossRate(ts []float64, vs []uint64, lo, hi uint64) (perSec float64, ok bool) {
	i, j := -1, -1
	for k := range vs {
		if i < 0 && vs[k] >= lo {
			i = k
		}
		if vs[k] >= hi {
			j = k
			break
		}
	}
	if i < 0 || j <= i || ts[j] <= ts[i] {
		return 0, false
	}
	return float64(vs[j]-vs[i]) / (ts[j] - ts[i]), true
}

// wouldBeDrops is how many packets a stall of gapUs microseconds loses at
// pps packets per second with an rx ring of ring descriptors.
func wouldBeDrops(gapUs float64, pps float64, ring int) float64 {
	return math.Max(0, gapUs*1e-6*pps-float64(ring))
}
