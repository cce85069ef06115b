package main

import "fmt"

// benchCase is one govsd measurement: a forwarding method on a pcap.
type benchCase struct {
	Name   string // nat-in | nat-out | tun | dr | syn
	Method string // nat | dr | tun
	Pcap   pcapSpec
}

// refSchedule is the order of one repeat on a pcap: testpmd modes, and ""
// for govsd's cases. 5tswap is the reference of the RESULT lines (it
// rewrites addresses and ports as a NAT does) and runs before and after
// govsd; io, the ceiling (mbufs moved untouched), only on natin files.
func refSchedule(s pcapSpec) []string {
	if s.Kind == kindNATIn {
		return []string{"5tswap", "", "io", "5tswap"}
	}
	return []string{"5tswap", "", "5tswap"}
}

// plan is what a run measures, decided before anything starts.
type plan struct {
	Pcaps []pcapSpec
	Cases []benchCase
	Notes []string // why a pcap is smaller than asked, etc.
}

const (
	maxMbufs     = 1<<24 - 1 // dataplane.mbufs limit of govsd's config
	wantRounds   = 19        // 1 SYN + 19 ACKs per flow: SYNs are 5 % of the file
	minRounds    = 3
	hugeOverhead = 96 << 20 // EAL, rings, malloc headers: kept free per process
)

// pcapBytes is the hugepage memory one process needs for spec's file: an
// mbuf per frame plus slack, the ring net_pcap keeps them in (a power of
// two of pointers), and for govsd the connection table.
func pcapBytes(s pcapSpec, withTable bool) int64 {
	n := int64(s.Packets())
	ring := int64(8)
	for ring < n+1 {
		ring <<= 1
	}
	b := (n+mbufSlack)*mbufBytes + ring*8 + hugeOverhead
	if withTable {
		b += tableFootprint(tableFor(s.Flows))
	}
	return b
}

// fitRounds is the most rounds (at most wantRounds) for flows whose file
// fits in budget bytes of hugepages and in govsd's mbuf limit.
func fitRounds(kind trafficKind, flows int, budget int64) (int, bool) {
	for r := wantRounds; r >= minRounds; r-- {
		s := pcapSpec{Kind: kind, Flows: flows, Rounds: r}
		if s.Packets()+mbufSlack <= maxMbufs && pcapBytes(s, true) <= budget {
			return r, true
		}
	}
	return 0, false
}

// fitFlows halves want until a SYN-only file fits in budget.
func fitFlows(want int, budget int64) int {
	for n := want; n >= 1<<16; n /= 2 {
		if pcapBytes(pcapSpec{Kind: kindSYN, Flows: n}, true) <= budget && n+mbufSlack <= maxMbufs {
			return n
		}
	}
	return 0
}

// makePlan lays out the pcaps and cases for the flow counts, given budget
// bytes of free hugepages for one process.
func makePlan(flows []int, synFlows int, budget int64) plan {
	var p plan
	for _, n := range flows {
		for _, kind := range []trafficKind{kindNATIn, kindNATOut} {
			r, ok := fitRounds(kind, n, budget)
			if !ok {
				p.Notes = append(p.Notes, fmt.Sprintf("%s with %d flows skipped: even %d rounds do not fit in %d MiB of hugepages", kind, n, minRounds, budget>>20))
				continue
			}
			s := pcapSpec{Kind: kind, Flows: n, Rounds: r}
			if r < wantRounds {
				p.Notes = append(p.Notes, fmt.Sprintf("%s: %d rounds instead of %d (hugepages: %d MiB per process, %d mbufs at most), SYNs are %.1f %% of the file",
					s, r, wantRounds, budget>>20, maxMbufs, 100*s.SYNShare()))
			}
			p.Pcaps = append(p.Pcaps, s)
			if kind == kindNATIn {
				p.Cases = append(p.Cases, benchCase{"nat-in", "nat", s})
				// TUN and DR on the same file; only for the smallest flow
				// count (keeps the run short; the table lookups are common).
				if n == flows[0] {
					p.Cases = append(p.Cases, benchCase{"tun", "tun", s}, benchCase{"dr", "dr", s})
				}
			} else {
				p.Cases = append(p.Cases, benchCase{"nat-out", "nat", s})
			}
		}
	}
	if synFlows > 0 {
		n := fitFlows(synFlows, budget)
		if n == 0 {
			p.Notes = append(p.Notes, "syn skipped: no room in hugepages")
		} else {
			if n < synFlows {
				p.Notes = append(p.Notes, fmt.Sprintf("syn: %d distinct SYNs instead of %d (hugepages)", n, synFlows))
			}
			s := pcapSpec{Kind: kindSYN, Flows: n}
			p.Pcaps = append(p.Pcaps, s)
			p.Cases = append(p.Cases, benchCase{"syn", "nat", s})
		}
	}
	return p
}
