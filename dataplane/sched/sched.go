package sched

import (
	"fmt"
	"strings"
)

// Input describes the connection being scheduled.
type Input struct {
	ClientIP   uint32
	ClientPort uint16
	Conns      []uint32 // per-destination connection counts on this lcore; may be nil
}

// Scheduler picks a destination for a new connection. Implementations are
// immutable and safe for concurrent use; all mutable state is *state.
type Scheduler interface {
	Name() string
	// Pick returns the index of the chosen destination, or -1 when none is
	// available (no destination has a weight > 0). It does not allocate.
	Pick(state *uint64, in *Input) int
}

// implemented maps names to constructors, in the order Names reports.
var implemented = []struct {
	name string
	make func(weights []uint32) Scheduler
}{
	{"rr", newRR},
	{"wrr", newWRR},
}

// planned are IPVS schedulers govs accepts by name but does not provide yet.
var planned = []string{"lc", "wlc", "sh", "dh", "sed", "nq", "mh"}

// New builds the named scheduler for destinations with the given weights.
// weights is copied.
func New(name string, weights []uint32) (Scheduler, error) {
	for _, s := range implemented {
		if s.name == name {
			return s.make(weights), nil
		}
	}
	for _, p := range planned {
		if p == name {
			return nil, fmt.Errorf("scheduler %q not implemented yet", name)
		}
	}
	return nil, fmt.Errorf("unknown scheduler %q (implemented: %s; planned: %s)",
		name, strings.Join(Names(), ", "), strings.Join(planned, ", "))
}

// Names returns the names of the implemented schedulers.
func Names() []string {
	names := make([]string, len(implemented))
	for i, s := range implemented {
		names[i] = s.name
	}
	return names
}
