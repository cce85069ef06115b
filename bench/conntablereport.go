package main

import (
	"fmt"
	"strings"
)

// conntablePair is both tables at one size; ratios are rte_hash over govs
// (above 1: ours is faster or smaller).
type conntablePair struct {
	Govs, RteHash       conntableRun
	TimeRatio, MemRatio float64
}

// pairs are the sizes measured for both tables, in the order run.
func (r *conntableResult) pairs() []conntablePair {
	var out []conntablePair
	for _, g := range r.Runs {
		if g.Impl != implGovs {
			continue
		}
		if h, ok := r.run(implRteHash, g.Flows); ok {
			out = append(out, conntablePair{Govs: g, RteHash: h,
				TimeRatio: h.NsPerLookup / g.NsPerLookup, MemRatio: h.BytesPerConn / g.BytesPerConn})
		}
	}
	return out
}

// conntableVerdict is which table the measurements keep: the one that wins
// on rate and on bytes per connection at every size.
func conntableVerdict(ps []conntablePair) string {
	if len(ps) == 0 {
		return "no size was measured for both tables"
	}
	govs, rte := true, true
	for _, p := range ps {
		govs = govs && p.TimeRatio > 1 && p.MemRatio > 1
		rte = rte && p.TimeRatio < 1 && p.MemRatio < 1
	}
	switch {
	case govs:
		return "govs's table is faster and smaller at every size: keep it"
	case rte:
		return "rte_hash is faster and smaller at every size: switch to it"
	}
	return "neither table wins on both rate and memory at every size: see the ratios"
}

// conntableInfo is one INFO line per size.
func conntableInfo(r *conntableResult) []string {
	var out []string
	for _, p := range r.pairs() {
		out = append(out, fmt.Sprintf("INFO conntable flows=%d capacity=%d govs_ns_per_lookup=%.2f rte_hash_ns_per_lookup=%.2f time_ratio=%.2f govs_bytes_per_conn=%.1f rte_hash_bytes_per_conn=%.1f mem_ratio=%.2f",
			p.Govs.Flows, p.Govs.Capacity, p.Govs.NsPerLookup, p.RteHash.NsPerLookup, p.TimeRatio,
			p.Govs.BytesPerConn, p.RteHash.BytesPerConn, p.MemRatio))
	}
	return out
}

// writeConntable is the report's section on the comparison (nothing when
// it was not run).
func writeConntable(b *strings.Builder, r *conntableResult) {
	if r == nil {
		return
	}
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	ps := r.pairs()
	w("## Connection table: govs vs rte_hash\n\n")
	w("`%s` (built with `%s`, the table govsd runs) on one lcore, no traffic: the same random connections in both tables, sized as govsd sizes them (capacity = flows + 10 %%), then lookups of both keys of every connection in shuffled order (in- and out-keys mixed, as an lcore sees them), in bursts of 32, for %d s each. ", conntableSource, fpConnSource, conntableSecs)
	w("govs: `fp_conn_lookup_bulk`. rte_hash: one table of 2 x capacity 16-byte keys (5-tuple + direction, CRC hash, one writer, extendable buckets so that the capacity always fits), `rte_hash_lookup_bulk_data` returning the index of the connection in an array of the same 32-byte records, whose lines are then prefetched and read (the lcore needs the record). ")
	w("Bytes per connection of capacity: ours `fp_conn_footprint(capacity)`, rte_hash's the growth of the socket's rte_malloc heap while the hash and the records are created and filled. Ratios are rte_hash / govs: above 1, ours is faster or smaller.\n\n")
	w("| flows | capacity | govs ns/lookup | rte_hash ns/lookup | time ratio | govs B/conn | rte_hash B/conn | memory ratio |\n")
	w("|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range ps {
		w("| %d | %d | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f |\n", p.Govs.Flows, p.Govs.Capacity,
			p.Govs.NsPerLookup, p.RteHash.NsPerLookup, p.TimeRatio, p.Govs.BytesPerConn, p.RteHash.BytesPerConn, p.MemRatio)
	}
	w("\nVerdict: %s.\n\nINFO lines of this run:\n\n```\n", conntableVerdict(ps))
	for _, l := range conntableInfo(r) {
		w("%s\n", l)
	}
	w("```\n\n")
}
