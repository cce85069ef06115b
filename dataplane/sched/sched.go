package sched

import (
	"fmt"
	"strings"
)

// Kind is how the lcores read a Table.
type Kind uint8

const (
	// Seq: Entries is a precomputed cycle of destination indices, replayed.
	Seq Kind = iota
	// WRRStep: Entries are the gcd-normalised weights, one per destination,
	// and IPVS's wrr is stepped at pick time; Max is the largest of them.
	WRRStep
)

// Table is a compiled scheduler.
type Table struct {
	Name    string
	Kind    Kind
	Entries []uint32
	Max     uint32
}

// implemented maps names to compilers, in the order Names reports.
var implemented = []struct {
	name    string
	compile func(weights []uint32) Table
}{
	{"rr", compileRR},
	{"wrr", compileWRR},
}

// Compile builds the named scheduler for destinations with these weights.
func Compile(name string, weights []uint32) (Table, error) {
	for _, s := range implemented {
		if s.name == name {
			t := s.compile(weights)
			t.Name = name
			return t, nil
		}
	}
	return Table{}, fmt.Errorf("unknown scheduler %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Names returns the names of the implemented schedulers: the one list the
// configuration validates against.
func Names() []string {
	names := make([]string, len(implemented))
	for i, s := range implemented {
		names[i] = s.name
	}
	return names
}

// compileRR is IPVS's round robin: destinations with a weight > 0 in order.
func compileRR(weights []uint32) Table {
	t := Table{Kind: Seq}
	for i, w := range weights {
		if w > 0 {
			t.Entries = append(t.Entries, uint32(i))
		}
	}
	return t
}
