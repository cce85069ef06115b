// Package conntrack is the per-lcore connection table of the dataplane: the
// equivalent of IPVS's ip_vs_conn hash, built for one writer (the lcore that
// owns it), millions of entries, and no work for the garbage collector.
//
// # Memory
//
// The table lives in one block the caller provides (DPDK hugepage memory in
// production, a []byte in tests). Both arrays in it are pointer-free, so the
// GC never scans them even when they are in the Go heap:
//
//	[ conns: capacity × 32 B Conn ][ index: 4·capacity × 8 B slot ]
//
// That is 64 bytes per connection in total: one 32-byte Conn plus four
// 8-byte index slots (two keys per connection at a load factor of at most
// 0.5). Footprint reports the exact size. Conns are 32 bytes and the block
// is 64-byte aligned, so a Conn never straddles a cache line.
//
// # Index
//
// One open-addressing index serves both directions. A slot holds
//
//	tag: the high 32 bits of Hash(key); it also fixes the slot's home
//	ref: (conn index + 1) << 1 | direction, 0 meaning empty
//
// The slot count is 4·capacity, not a power of two, so the home slot is
// derived by the multiply-shift range reduction (tag × nslots) >> 32. As the
// home is a function of the stored tag alone, backward-shift deletion can
// move slots without rehashing keys or touching their conns. Lookups probe
// linearly; a slot is only followed to its Conn when tag and direction match,
// and the key is then compared in full, so a hit touches the index line(s)
// of the probe (8 slots per line) and one Conn line.
//
// Those two loads depend on each other, so on a table far larger than the
// caches a lookup costs two memory latencies. LookupInBatch/LookupOutBatch
// resolve a burst in two passes so that the misses of different keys
// overlap; the poll loop should prefer them.
//
// Deletion uses backward shifting rather than tombstones, so probe lengths
// depend only on the current load and never degrade with churn.
//
// # Allocation of conns
//
// Conns are handed out from a high-water mark and recycled through an
// intrusive LIFO free list threaded through the Expire field of free conns,
// so New is O(index size), the free list costs no memory, and a recycled
// Conn is likely still in cache.
//
// # Expiry
//
// Expire walks the conns below the high-water mark from a rolling cursor,
// examining at most a given budget per call, so the cost per poll-loop
// iteration is bounded; a full sweep takes highWater/budget calls. Times are
// a wrapping uint32 millisecond clock compared as int32(a-b), so a deadline
// is correct as long as it is less than ~24.8 days away.
//
// # TCP state
//
// NextTCPState and NextTCPStateInputOnly implement IPVS's TCP state table
// (net/netfilter/ipvs/ip_vs_proto_tcp.c): the first for connections whose
// replies cross the director (NAT), the second for DR/TUN, where only
// client packets are seen. DefaultTimeouts are IPVS's defaults.
//
// # Concurrency
//
// None: a Table and the Conns it returns belong to one goroutine (lcore).
// Other goroutines must not read it without their own synchronisation.
package conntrack
