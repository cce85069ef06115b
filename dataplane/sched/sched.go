package sched

import (
	"fmt"
	"slices"
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
	// The kinds without Entries: the lcore picks from the weights and its
	// own active and inactive connection counts of each destination.
	LeastConn         // lc
	WeightedLeastConn // wlc
	ShortestDelay     // sed
	NeverQueue        // nq
	Failover          // fo
	Overflow          // ovf
	TwoChoices        // twos
	// The hash kinds: Entries are buckets of destination indices (NoDest:
	// none) that the lcore indexes by a hash of the packet's tuple.
	SourceHash // sh: HashBuckets buckets, the client's address
	DestHash   // dh: HashBuckets buckets, the destination address
	Maglev     // mh: a prime number of entries, the client's address
	// The locality kinds, without Entries: each lcore caches the server
	// (lblc) or servers (lblcr) of a destination address until overloaded.
	Locality           // lblc
	LocalityReplicated // lblcr
)

// NoDest marks a bucket without a destination (no destination at all).
const NoDest = ^uint32(0)

// Table is a compiled scheduler.
type Table struct {
	Name    string
	Kind    Kind
	Entries []uint32
	Max     uint32
	// Fallback and Port are the hash kinds' flags: a bucket whose
	// destination has weight 0 gives way to the next (sh-fallback,
	// mh-fallback); the client's port is hashed too (sh-port, mh-port).
	Fallback, Port bool
}

// Dest is what a scheduler knows of a destination: its address and port
// (IPv4, host byte order; mh hashes them) and its weight.
type Dest struct {
	Addr   uint32
	Port   uint16
	Weight uint32
}

// Options are a service's scheduler flags (IPVS's names, as ipvsadm -b)
// and, for mh, its table size (0: DefaultMHTableSize).
type Options struct {
	Flags       []string
	MHTableSize uint32
}

// scheduler is one implemented scheduler: its compiler and the flags it
// takes, as (fallback, port).
type scheduler struct {
	name     string
	compile  func(dests []Dest, o Options) Table
	fallback string
	port     string
}

func dynamic(k Kind) func([]Dest, Options) Table {
	return func([]Dest, Options) Table { return Table{Kind: k} }
}

// implemented maps names to compilers, in the order Names reports.
var implemented = []scheduler{
	{name: "rr", compile: compileRR},
	{name: "wrr", compile: compileWRR},
	{name: "lc", compile: dynamic(LeastConn)},
	{name: "wlc", compile: dynamic(WeightedLeastConn)},
	{name: "sed", compile: dynamic(ShortestDelay)},
	{name: "nq", compile: dynamic(NeverQueue)},
	{name: "fo", compile: dynamic(Failover)},
	{name: "ovf", compile: dynamic(Overflow)},
	{name: "twos", compile: dynamic(TwoChoices)},
	{name: "sh", compile: compileSH, fallback: "sh-fallback", port: "sh-port"},
	{name: "dh", compile: compileDH},
	{name: "mh", compile: compileMH, fallback: "mh-fallback", port: "mh-port"},
	{name: "lblc", compile: dynamic(Locality)},
	{name: "lblcr", compile: dynamic(LocalityReplicated)},
}

func lookup(name string) (*scheduler, error) {
	for i := range implemented {
		if implemented[i].name == name {
			return &implemented[i], nil
		}
	}
	return nil, fmt.Errorf("unknown scheduler %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Compile builds the named scheduler for these destinations. The
// options must be ones CheckOptions accepts for it.
func Compile(name string, dests []Dest, o Options) (Table, error) {
	s, err := lookup(name)
	if err != nil {
		return Table{}, err
	}
	if err := s.check(o); err != nil {
		return Table{}, err
	}
	t := s.compile(dests, o)
	t.Name = name
	t.Fallback = s.fallback != "" && slices.Contains(o.Flags, s.fallback)
	t.Port = s.port != "" && slices.Contains(o.Flags, s.port)
	return t, nil
}

// CheckOptions reports the first of o that the named scheduler does not
// take: a flag of another scheduler, or a table size for one but mh.
func CheckOptions(name string, o Options) error {
	s, err := lookup(name)
	if err != nil {
		return err
	}
	return s.check(o)
}

func (s *scheduler) check(o Options) error {
	for _, f := range o.Flags {
		if f == "" || (f != s.fallback && f != s.port) {
			if known := Flags(s.name); len(known) > 0 {
				return fmt.Errorf("flag %q is not one of scheduler %s's (%s)", f, s.name, strings.Join(known, ", "))
			}
			return fmt.Errorf("flag %q: scheduler %s takes no flags", f, s.name)
		}
	}
	if o.MHTableSize != 0 {
		if s.name != "mh" {
			return fmt.Errorf("a table size is for scheduler mh only, not %s", s.name)
		}
		if !slices.Contains(mhTableSizes, o.MHTableSize) {
			return fmt.Errorf("mh table size %d is none of %s", o.MHTableSize, joinSizes())
		}
	}
	return nil
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

// Flags returns the flags the named scheduler takes (none: nil).
func Flags(name string) []string {
	s, err := lookup(name)
	if err != nil || s.fallback == "" {
		return nil
	}
	return []string{s.fallback, s.port}
}

// compileRR is IPVS's round robin: destinations with a weight > 0 in order.
func compileRR(dests []Dest, _ Options) Table {
	t := Table{Kind: Seq}
	for i, d := range dests {
		if d.Weight > 0 {
			t.Entries = append(t.Entries, uint32(i))
		}
	}
	return t
}

func weightsOf(dests []Dest) []uint32 {
	w := make([]uint32, len(dests))
	for i, d := range dests {
		w[i] = d.Weight
	}
	return w
}
