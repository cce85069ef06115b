/*
 * fp_conn.h - the per-lcore connection table (IPVS's ip_vs_conn hash) for
 * one writer, millions of entries, in caller-provided hugepage memory.
 *
 * Memory: [ conns: capacity x 32 B ][ index: 4 * capacity x 8 B slots ],
 * 64 bytes per connection. One open-addressing index serves both
 * directions; a slot is (tag = high 32 bits of the key's hash, which also
 * fixes its home slot; ref = (conn index + 1) << 1 | direction). Lookups
 * probe linearly and follow a slot to its conn only when tag and direction
 * match. Deletion shifts backwards (no tombstones), so probe lengths depend
 * only on the current load. Conns come from a high-water mark and an
 * intrusive free list threaded through the expire field of free conns.
 *
 * A hit costs two dependent loads (index line, conn line); fp_conn_lookup_bulk
 * prefetches both for a whole burst so the misses of its keys overlap.
 */
#ifndef FP_CONN_H
#define FP_CONN_H

#include <stdint.h>

#include <rte_prefetch.h>

#include "fp_layout.h"

enum {
	FP_DIR_IN = 0,   /* client -> VIP */
	FP_DIR_OUT = 1,  /* real server -> client */
	FP_CONN_MAX_CAPACITY = 1 << 26, /* 32-bit tags must still filter slots */
};

struct fp_key {
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t proto;
	uint8_t dir;     /* FP_DIR_IN or FP_DIR_OUT */
	uint8_t _pad[2];
};

struct fp_slot {
	uint32_t tag;
	uint32_t ref;    /* 0 = empty */
};

struct fp_conn_table {
	struct fp_conn *conns;
	struct fp_slot *slots;
	uint64_t nslots;
	uint64_t seed;
	uint32_t capacity;
	uint32_t count;
	uint32_t hw;     /* conns[0:hw) have been handed out at least once */
	uint32_t free;   /* head of the free list as index + 1; 0 = empty */
	uint32_t cursor; /* where the next expiry scan starts */
	uint32_t _pad;
};

/* Bytes fp_conn_init needs for capacity conns (a multiple of 64); 0 if the
 * capacity is out of range. */
uint64_t fp_conn_footprint(uint32_t capacity);

/* Builds a table in mem (64-byte aligned, >= footprint bytes). 0 or -EINVAL. */
int fp_conn_init(struct fp_conn_table *t, void *mem, uint64_t size,
	uint32_t capacity, uint64_t seed);

struct fp_conn *fp_conn_lookup(const struct fp_conn_table *t, const struct fp_key *k);

/* out[i] = the conn of keys[i] or NULL, for n <= FP_MAX_BURST keys: the
 * three stages below in a row. */
void fp_conn_lookup_bulk(const struct fp_conn_table *t, const struct fp_key *keys,
	uint32_t n, struct fp_conn **out);

/*
 * A burst's lookups in three stages, so that the two dependent misses of
 * each key overlap with other work rather than with each other (a burst of
 * prefetches issued back to back would overflow the CPU's line-fill
 * buffers and stall):
 *   fp_conn_prefetch   as soon as a packet's key is known: its tag, and
 *                      its home slot's line on the way;
 *   fp_conn_candidates once the burst is classified: each key's first
 *                      slot of its tag and direction, its conn on the way;
 *   fp_conn_resolve    when the packet is finished: the candidate if its
 *                      key matches, else the rest of the probe.
 * Inserts between stages are harmless (slots never move on insert);
 * after a removal, look up again.
 */
void fp_conn_candidates(const struct fp_conn_table *t, const struct fp_key *keys,
	const uint32_t *tags, uint32_t n, struct fp_conn **cand, uint64_t *pos);
struct fp_conn *fp_conn_probe_from(const struct fp_conn_table *t, const struct fp_key *k,
	uint32_t tag, uint64_t pos);

/* Copies c in and indexes both keys (a template, FP_CONN_F_TEMPLATE: its
 * client key only). NULL when the table is full or a conn with either key
 * exists (then *dup points at it). */
struct fp_conn *fp_conn_insert(struct fp_conn_table *t, const struct fp_conn *c,
	struct fp_conn **dup);

/* Removes c, which this table returned. Foreign pointers are ignored. */
void fp_conn_remove(struct fp_conn_table *t, struct fp_conn *c);

typedef void (*fp_conn_expire_fn)(void *ctx, struct fp_conn *c);

/* Examines at most budget conns from a rolling cursor and removes those due
 * (int32(now - expire) >= 0), calling fn on each first. Returns how many. */
uint32_t fp_conn_expire(struct fp_conn_table *t, uint32_t now, uint32_t budget,
	fp_conn_expire_fn fn, void *ctx);

static inline void fp_conn_in_key(const struct fp_conn *c, struct fp_key *k)
{
	k->src_ip = c->client_ip;
	k->dst_ip = c->vip;
	k->src_port = c->client_port;
	k->dst_port = c->vport;
	k->proto = c->proto;
	k->dir = FP_DIR_IN;
	k->_pad[0] = k->_pad[1] = 0;
}

static inline void fp_conn_out_key(const struct fp_conn *c, struct fp_key *k)
{
	k->src_ip = c->rs_ip;
	k->dst_ip = c->client_ip;
	k->src_port = c->rs_port;
	k->dst_port = c->client_port;
	k->proto = c->proto;
	k->dir = FP_DIR_OUT;
	k->_pad[0] = k->_pad[1] = 0;
}

/* ---- hashing and the index, inline for the per-packet stages ---- */

/* Odd 64-bit constants with well-spread bits (wyhash family). */
#define FP_HASH_K1 0xa0761d6478bd642fULL
#define FP_HASH_K2 0xe7037ed1a0b428dbULL
#define FP_HASH_K3 0x8ebc6af09c88c6e3ULL

/*
 * One 64x64->128 multiply folds the two words of the key together, then a
 * multiply-xorshift spreads every input bit over the result. The seed is
 * random per table: keys are chosen by remote clients.
 */
static inline uint64_t fp_conn_hash(const struct fp_key *k, uint64_t seed)
{
	uint64_t a = (uint64_t)k->src_ip << 32 | k->dst_ip;
	uint64_t b = (uint64_t)k->src_port << 48 | (uint64_t)k->dst_port << 32 | k->proto;
	unsigned __int128 m = (unsigned __int128)(a ^ seed ^ FP_HASH_K1) * (b ^ seed ^ FP_HASH_K2);
	uint64_t x = (uint64_t)(m >> 64) ^ (uint64_t)m;

	x ^= x >> 32;
	x *= FP_HASH_K3;
	x ^= x >> 29;
	return x;
}

static inline uint32_t fp_conn_tag(const struct fp_conn_table *t, const struct fp_key *k)
{
	return (uint32_t)(fp_conn_hash(k, t->seed) >> 32);
}

/* Multiply-shift range reduction: no power-of-two size needed, and the home
 * depends on the tag alone, so backward shifting never rehashes. */
static inline uint64_t fp_conn_home(const struct fp_conn_table *t, uint32_t tag)
{
	return ((uint64_t)tag * t->nslots) >> 32;
}

static inline uint64_t fp_conn_next(const struct fp_conn_table *t, uint64_t i)
{
	return ++i == t->nslots ? 0 : i;
}

static inline struct fp_conn *fp_conn_ref(const struct fp_conn_table *t, uint32_t ref)
{
	return &t->conns[(ref >> 1) - 1];
}

static inline int fp_conn_matches(const struct fp_conn *c, const struct fp_key *k)
{
	if (k->dir == FP_DIR_IN)
		return c->client_ip == k->src_ip && c->vip == k->dst_ip &&
			c->client_port == k->src_port && c->vport == k->dst_port &&
			c->proto == k->proto;
	return c->rs_ip == k->src_ip && c->client_ip == k->dst_ip &&
		c->rs_port == k->src_port && c->client_port == k->dst_port &&
		c->proto == k->proto;
}

static inline uint32_t fp_conn_prefetch(const struct fp_conn_table *t, const struct fp_key *k)
{
	uint32_t tag = fp_conn_tag(t, k);
	uint64_t h = fp_conn_home(t, tag);

	rte_prefetch0(&t->slots[h]);
	/* a probe from the end of a line likely continues on the next one */
	if ((h & 7) == 7 && h + 1 < t->nslots)
		rte_prefetch0(&t->slots[h + 1]);
	return tag;
}

static inline struct fp_conn *fp_conn_resolve(const struct fp_conn_table *t, const struct fp_key *k,
	uint32_t tag, struct fp_conn *cand, uint64_t pos)
{
	if (cand == NULL || fp_conn_matches(cand, k))
		return cand;
	return fp_conn_probe_from(t, k, tag, fp_conn_next(t, pos));
}

/* ---- IPVS's TCP state tables (ip_vs_proto_tcp.c) ---- */
enum fp_tcp_table {
	FP_TCP_INPUT = 0,      /* client -> server, replies also cross us (NAT) */
	FP_TCP_OUTPUT = 1,     /* server -> client (NAT replies) */
	FP_TCP_INPUT_ONLY = 2, /* client -> server, replies bypass us (DR, TUN) */
};

/* The state after a packet with these TCP flags; non-TCP states stay. */
uint8_t fp_tcp_next(uint8_t cur, enum fp_tcp_table table, uint8_t flags);

static inline int fp_state_active(uint8_t s) { return s == FP_STATE_ESTABLISHED; }

/* The transmit function a conn was bound to (enum fp_method). */
static inline uint8_t fp_conn_method(const struct fp_conn *c) { return c->flags >> FP_CONN_METHOD_SHIFT; }
static inline void fp_conn_set_method(struct fp_conn *c, uint8_t m)
{
	c->flags = (uint8_t)((c->flags & FP_CONN_F_MASK) | m << FP_CONN_METHOD_SHIFT);
}

/* ---- test support: not called by the fast path ---- */

/* The tag of k's slots, and the home slot of a tag (for index checks). */
uint32_t fp_conn_tag_of(const struct fp_conn_table *t, const struct fp_key *k);
uint64_t fp_conn_home_of_tag(const struct fp_conn_table *t, uint32_t tag);

/* What fp_conn_expire_logged's callback saw. */
struct fp_conn_expire_log {
	struct fp_conn *seen;   /* caller's array of cap conns: copies as passed */
	uint32_t cap;
	uint32_t n;             /* callbacks; seen[0:min(n, cap)) are filled */
	uint32_t not_in_table;  /* callbacks on a conn the table had freed */
	uint8_t remove;         /* the callback removes each conn itself */
	uint8_t _pad[3];
};

/* fp_conn_expire with a callback that fills log. */
uint32_t fp_conn_expire_logged(struct fp_conn_table *t, uint32_t now, uint32_t budget,
	struct fp_conn_expire_log *log);

#endif /* FP_CONN_H */
