package sched

// seqSched replays a precomputed cycle of destination indices; state is the
// position of the next pick. It serves rr and small wrr configurations, for
// which Pick is one load and one store.
type seqSched struct {
	name string
	seq  []int32
}

func (s *seqSched) Name() string { return s.name }

func (s *seqSched) Pick(state *uint64, _ *Input) int {
	if len(s.seq) == 0 {
		return -1
	}
	pos := *state
	if pos >= uint64(len(s.seq)) { // wrapped, or state from another snapshot
		pos = 0
	}
	*state = pos + 1
	return int(s.seq[pos])
}

// newRR builds IPVS's round robin: destinations with a weight > 0 in order.
func newRR(weights []uint32) Scheduler {
	s := &seqSched{name: "rr"}
	for i, w := range weights {
		if w > 0 {
			s.seq = append(s.seq, int32(i))
		}
	}
	return s
}
