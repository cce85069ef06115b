/*
 * fp_conn.c - the connection table; see fp_conn.h for the layout.
 */
#include <errno.h>
#include <string.h>

#include <rte_prefetch.h>

#include "fp_conn.h"

enum { SLOTS_PER_CONN = 4, ALIGN = 64 };

/* Odd 64-bit constants with well-spread bits (wyhash family). */
#define HASH_K1 0xa0761d6478bd642fULL
#define HASH_K2 0xe7037ed1a0b428dbULL
#define HASH_K3 0x8ebc6af09c88c6e3ULL

/*
 * One 64x64->128 multiply folds the two words of the key together, then a
 * multiply-xorshift spreads every input bit over the result. The seed is
 * random per table: keys are chosen by remote clients.
 */
static inline uint64_t key_hash(const struct fp_key *k, uint64_t seed)
{
	uint64_t a = (uint64_t)k->src_ip << 32 | k->dst_ip;
	uint64_t b = (uint64_t)k->src_port << 48 | (uint64_t)k->dst_port << 32 | k->proto;
	unsigned __int128 m = (unsigned __int128)(a ^ seed ^ HASH_K1) * (b ^ seed ^ HASH_K2);
	uint64_t x = (uint64_t)(m >> 64) ^ (uint64_t)m;

	x ^= x >> 32;
	x *= HASH_K3;
	x ^= x >> 29;
	return x;
}

static inline uint32_t key_tag(const struct fp_conn_table *t, const struct fp_key *k)
{
	return (uint32_t)(key_hash(k, t->seed) >> 32);
}

/* Multiply-shift range reduction: no power-of-two size needed, and the home
 * depends on the tag alone, so backward shifting never rehashes. */
static inline uint64_t home(const struct fp_conn_table *t, uint32_t tag)
{
	return ((uint64_t)tag * t->nslots) >> 32;
}

static inline uint64_t next(const struct fp_conn_table *t, uint64_t i)
{
	return ++i == t->nslots ? 0 : i;
}

static inline uint32_t make_ref(uint32_t idx, uint32_t dir)
{
	return (idx + 1) << 1 | dir;
}

static inline struct fp_conn *ref_conn(const struct fp_conn_table *t, uint32_t ref)
{
	return &t->conns[(ref >> 1) - 1];
}

static inline int conn_matches(const struct fp_conn *c, const struct fp_key *k)
{
	if (k->dir == FP_DIR_IN)
		return c->client_ip == k->src_ip && c->vip == k->dst_ip &&
			c->client_port == k->src_port && c->vport == k->dst_port &&
			c->proto == k->proto;
	return c->rs_ip == k->src_ip && c->client_ip == k->dst_ip &&
		c->rs_port == k->src_port && c->client_port == k->dst_port &&
		c->proto == k->proto;
}

static uint64_t align_up(uint64_t n) { return (n + ALIGN - 1) & ~(uint64_t)(ALIGN - 1); }

static uint64_t conn_bytes(uint32_t capacity)
{
	return align_up((uint64_t)capacity * sizeof(struct fp_conn));
}

uint64_t fp_conn_footprint(uint32_t capacity)
{
	if (capacity < 1 || capacity > FP_CONN_MAX_CAPACITY)
		return 0;
	return conn_bytes(capacity) +
		align_up((uint64_t)capacity * SLOTS_PER_CONN * sizeof(struct fp_slot));
}

int fp_conn_init(struct fp_conn_table *t, void *mem, uint64_t size,
	uint32_t capacity, uint64_t seed)
{
	uint64_t need = fp_conn_footprint(capacity);

	if (need == 0 || mem == NULL || (uintptr_t)mem % ALIGN != 0 || size < need)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->conns = mem;
	t->slots = (struct fp_slot *)((uint8_t *)mem + conn_bytes(capacity));
	t->nslots = (uint64_t)capacity * SLOTS_PER_CONN;
	t->capacity = capacity;
	t->seed = seed;
	memset(t->slots, 0, t->nslots * sizeof(struct fp_slot));
	return 0;
}

/* Probes for k from slot i on. Returns the conn, or NULL with *end at the
 * empty slot that ends k's sequence. The load is <= 1/2: one always exists. */
static struct fp_conn *probe(const struct fp_conn_table *t, const struct fp_key *k,
	uint32_t tag, uint64_t i, uint64_t *end)
{
	for (;; i = next(t, i)) {
		struct fp_slot s = t->slots[i];

		if (s.ref == 0) {
			if (end)
				*end = i;
			return NULL;
		}
		if (s.tag == tag && (s.ref & 1) == k->dir) {
			struct fp_conn *c = ref_conn(t, s.ref);

			if (conn_matches(c, k)) {
				if (end)
					*end = i;
				return c;
			}
		}
	}
}

struct fp_conn *fp_conn_lookup(const struct fp_conn_table *t, const struct fp_key *k)
{
	uint32_t tag = key_tag(t, k);

	return probe(t, k, tag, home(t, tag), NULL);
}

/*
 * Three passes over the burst: hash every key and prefetch its home slot;
 * find each key's first candidate slot and prefetch its conn; then compare
 * keys. The loads of one pass do not depend on each other, so the CPU
 * overlaps their misses instead of paying two memory latencies per key.
 */
void fp_conn_lookup_bulk(const struct fp_conn_table *t, const struct fp_key *keys,
	uint32_t n, struct fp_conn **out)
{
	uint32_t tags[FP_MAX_BURST];
	uint64_t pos[FP_MAX_BURST];
	uint32_t i;

	if (n > FP_MAX_BURST)
		n = FP_MAX_BURST;
	for (i = 0; i < n; i++) {
		tags[i] = key_tag(t, &keys[i]);
		pos[i] = home(t, tags[i]);
		rte_prefetch0(&t->slots[pos[i]]);
	}
	for (i = 0; i < n; i++) {
		uint64_t j;

		out[i] = NULL;
		for (j = pos[i];; j = next(t, j)) {
			struct fp_slot s = t->slots[j];

			if (s.ref == 0)
				break;
			if (s.tag == tags[i] && (s.ref & 1) == keys[i].dir) {
				out[i] = ref_conn(t, s.ref);
				rte_prefetch0(out[i]);
				break;
			}
		}
		pos[i] = j;
	}
	for (i = 0; i < n; i++) {
		if (out[i] != NULL && !conn_matches(out[i], &keys[i]))
			out[i] = probe(t, &keys[i], tags[i], next(t, pos[i]), NULL);
	}
}

static uint64_t next_empty(const struct fp_conn_table *t, uint64_t i)
{
	for (i = next(t, i); t->slots[i].ref != 0; i = next(t, i))
		;
	return i;
}

static uint32_t alloc_index(struct fp_conn_table *t)
{
	uint32_t idx;

	if (t->free != 0) {
		idx = t->free - 1;
		t->free = t->conns[idx].expire;
		return idx;
	}
	return t->hw++;
}

struct fp_conn *fp_conn_insert(struct fp_conn_table *t, const struct fp_conn *c,
	struct fp_conn **dup)
{
	struct fp_key in, out;
	uint32_t tag_in, tag_out, idx;
	uint64_t pos_in = 0, pos_out = 0;
	struct fp_conn *p;

	if (dup)
		*dup = NULL;
	fp_conn_in_key(c, &in);
	fp_conn_out_key(c, &out);
	tag_in = key_tag(t, &in);
	tag_out = key_tag(t, &out);
	p = probe(t, &in, tag_in, home(t, tag_in), &pos_in);
	if (p == NULL)
		p = probe(t, &out, tag_out, home(t, tag_out), &pos_out);
	if (p != NULL) {
		if (dup)
			*dup = p;
		return NULL;
	}
	if (t->count >= t->capacity)
		return NULL;
	idx = alloc_index(t);
	p = &t->conns[idx];
	*p = *c;
	p->used = 1;
	t->slots[pos_in] = (struct fp_slot){ .tag = tag_in, .ref = make_ref(idx, FP_DIR_IN) };
	if (pos_out == pos_in) /* both probes ended on the same empty slot */
		pos_out = next_empty(t, pos_out);
	t->slots[pos_out] = (struct fp_slot){ .tag = tag_out, .ref = make_ref(idx, FP_DIR_OUT) };
	t->count++;
	return p;
}

static uint64_t dist(const struct fp_conn_table *t, uint64_t a, uint64_t b)
{
	return b >= a ? b - a : b + t->nslots - a;
}

/* Removes the slot holding ref from k's sequence and closes the gap: each
 * later slot of the cluster moves into the hole if the hole lies between
 * its home and its position. */
static void unindex(struct fp_conn_table *t, const struct fp_key *k, uint32_t ref)
{
	uint64_t i = home(t, key_tag(t, k)), hole, j;

	while (t->slots[i].ref != ref) {
		if (t->slots[i].ref == 0)
			return; /* not indexed: key fields changed; nothing safe to do */
		i = next(t, i);
	}
	hole = i;
	for (j = next(t, hole); t->slots[j].ref != 0; j = next(t, j)) {
		struct fp_slot s = t->slots[j];

		if (dist(t, home(t, s.tag), j) >= dist(t, hole, j)) {
			t->slots[hole] = s;
			hole = j;
		}
	}
	t->slots[hole] = (struct fp_slot){ 0, 0 };
}

static void remove_at(struct fp_conn_table *t, struct fp_conn *c, uint32_t idx)
{
	struct fp_key k;

	fp_conn_in_key(c, &k);
	unindex(t, &k, make_ref(idx, FP_DIR_IN));
	fp_conn_out_key(c, &k);
	unindex(t, &k, make_ref(idx, FP_DIR_OUT));
	c->used = 0;
	c->expire = t->free;
	t->free = idx + 1;
	t->count--;
}

void fp_conn_remove(struct fp_conn_table *t, struct fp_conn *c)
{
	uintptr_t off;
	uint32_t idx;

	if (c == NULL || t->hw == 0 || (uintptr_t)c < (uintptr_t)t->conns)
		return;
	off = (uintptr_t)c - (uintptr_t)t->conns;
	if (off % sizeof(struct fp_conn) != 0 || off / sizeof(struct fp_conn) >= t->hw)
		return;
	idx = (uint32_t)(off / sizeof(struct fp_conn));
	if (t->conns[idx].used)
		remove_at(t, c, idx);
}

uint32_t fp_conn_expire(struct fp_conn_table *t, uint32_t now, uint32_t budget,
	fp_conn_expire_fn fn, void *ctx)
{
	uint32_t hw = t->hw, i = t->cursor, expired = 0;

	if (hw == 0)
		return 0;
	if (budget > hw)
		budget = hw; /* one sweep at most per call */
	for (; budget > 0; budget--, i++) {
		struct fp_conn *c;

		if (i >= hw)
			i = 0;
		c = &t->conns[i];
		if (c->used && (int32_t)(now - c->expire) >= 0) {
			if (fn)
				fn(ctx, c);
			if (c->used)
				remove_at(t, c, i);
			expired++;
		}
	}
	t->cursor = i;
	return expired;
}

/* ---- test support (fp_conn.h) ---- */

uint32_t fp_conn_tag_of(const struct fp_conn_table *t, const struct fp_key *k)
{
	return key_tag(t, k);
}

uint64_t fp_conn_home_of_tag(const struct fp_conn_table *t, uint32_t tag)
{
	return home(t, tag);
}

struct expire_log_ctx {
	struct fp_conn_table *t;
	struct fp_conn_expire_log *log;
};

static void log_expired(void *ctx, struct fp_conn *c)
{
	struct expire_log_ctx *x = ctx;
	struct fp_conn_expire_log *log = x->log;

	if (log->n < log->cap)
		log->seen[log->n] = *c;
	log->n++;
	if (!c->used)
		log->not_in_table++;
	if (log->remove)
		fp_conn_remove(x->t, c);
}

uint32_t fp_conn_expire_logged(struct fp_conn_table *t, uint32_t now, uint32_t budget,
	struct fp_conn_expire_log *log)
{
	struct expire_log_ctx x = { t, log };

	return fp_conn_expire(t, now, budget, log_expired, &x);
}
