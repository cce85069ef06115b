package sched

import (
	"encoding/binary"
	"hash/fnv"
	"strconv"
	"strings"
)

// HashBuckets is the size of sh's and dh's tables (IPVS's default,
// IP_VS_SH_TAB_BITS = 8).
const HashBuckets = 256

// DefaultMHTableSize is mh's table size unless configured (IPVS's
// default, 251: a prime well above the usual number of servers).
const DefaultMHTableSize = 251

// mhTableSizes are the sizes mh accepts: primes, as Maglev's permutations
// need, from IPVS's list (each about twice the last); at most
// fastpath's FP_SCHED_MH_MAX.
var mhTableSizes = []uint32{251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521}

// MHTableSizes returns the table sizes mh accepts.
func MHTableSizes() []uint32 { return append([]uint32(nil), mhTableSizes...) }

func joinSizes() string {
	s := make([]string, len(mhTableSizes))
	for i, n := range mhTableSizes {
		s[i] = strconv.FormatUint(uint64(n), 10)
	}
	return strings.Join(s, ", ")
}

// tableShares are the turns each destination gets when a hash table is
// filled: the weights divided by their gcd, halved while their sum exceeds
// size. A destination of weight 0 keeps the smallest share (1): draining
// it (weight 0, no new connections) then moves none of the other
// destinations' clients, as IPVS keeps a quiesced server's buckets.
func tableShares(dests []Dest, size int) []uint64 {
	var g uint32
	for _, d := range dests {
		g = gcd(g, d.Weight)
	}
	shares := make([]uint64, len(dests))
	var sum uint64
	for i, d := range dests {
		shares[i] = 1
		if d.Weight > 0 {
			shares[i] = uint64(d.Weight / g)
		}
		sum += shares[i]
	}
	for sum > uint64(size) && sum > uint64(len(dests)) {
		sum = 0
		for i := range shares {
			shares[i] = max(shares[i]/2, 1)
			sum += shares[i]
		}
	}
	return shares
}

// noDests is a table of size buckets that all lead nowhere.
func noDests(size int) []uint32 {
	t := make([]uint32, size)
	for i := range t {
		t[i] = NoDest
	}
	return t
}

// compileSH is IPVS's source hashing table: the destinations in order,
// each taking as many consecutive buckets as its share, round and round.
// (IPVS takes the raw weights; dividing by their gcd first keeps 100:200
// at 1:2 instead of giving the first server 100 of 256 buckets.)
func compileSH(dests []Dest, _ Options) Table {
	t := Table{Kind: SourceHash, Entries: noDests(HashBuckets)}
	if len(dests) == 0 {
		return t
	}
	shares := tableShares(dests, HashBuckets)
	d, used := 0, uint64(0)
	for b := range t.Entries {
		t.Entries[b] = uint32(d)
		if used++; used >= shares[d] {
			d, used = (d+1)%len(dests), 0
		}
	}
	return t
}

// compileDH is IPVS's destination hashing table: one bucket per
// destination in turn, weights aside (weight 0 only stops new connections).
func compileDH(dests []Dest, _ Options) Table {
	t := Table{Kind: DestHash, Entries: noDests(HashBuckets)}
	for b := range t.Entries {
		if len(dests) > 0 {
			t.Entries[b] = uint32(b % len(dests))
		}
	}
	return t
}

// mixed is a 64-bit finaliser (splitmix64's) over FNV-1a, so that servers
// whose addresses differ in one bit get unrelated permutations.
func mixed(salt byte, d Dest) uint64 {
	var b [7]byte
	b[0] = salt
	binary.BigEndian.PutUint32(b[1:], d.Addr)
	binary.BigEndian.PutUint16(b[5:], d.Port)
	h := fnv.New64a()
	h.Write(b[:])
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// compileMH is Maglev's lookup table (Eisenbud et al., NSDI 2016, 3.4),
// weighted as IPVS's mh: each destination's preference list is the
// permutation offset, offset+skip, ... (mod the prime size) from a hash
// of its address and port only, and the destinations take turns in order,
// each claiming as many next free entries of its list per turn as its
// share. Nothing but the destinations enters, so the same configuration
// gives the same table on every director, and removing one of n servers
// moves about 1/n of the clients.
func compileMH(dests []Dest, o Options) Table {
	size := int(o.MHTableSize)
	if size == 0 {
		size = DefaultMHTableSize
	}
	t := Table{Kind: Maglev, Entries: noDests(size)}
	if len(dests) == 0 {
		return t
	}
	shares := tableShares(dests, size)
	offset := make([]uint64, len(dests))
	skip := make([]uint64, len(dests))
	next := make([]uint64, len(dests))
	for i, d := range dests {
		offset[i] = mixed('o', d) % uint64(size)
		skip[i] = mixed('s', d)%uint64(size-1) + 1
	}
	for filled := 0; filled < size; {
		for i := range dests {
			for k := uint64(0); k < shares[i] && filled < size; k++ {
				for {
					e := (offset[i] + next[i]*skip[i]) % uint64(size)
					next[i]++
					if t.Entries[e] == NoDest {
						t.Entries[e] = uint32(i)
						filled++
						break
					}
				}
			}
		}
	}
	return t
}
