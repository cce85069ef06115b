/*
 * fp_conn.c - the connection table; see fp_conn.h for the layout.
 */
#include <errno.h>
#include <string.h>

#include "fp_conn.h"

enum { SLOTS_PER_CONN = 4, ALIGN = 64 };

static inline uint32_t make_ref(uint32_t idx, uint32_t dir)
{
	return (idx + 1) << 1 | dir;
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
	for (;; i = fp_conn_next(t, i)) {
		struct fp_slot s = t->slots[i];

		if (s.ref == 0) {
			if (end)
				*end = i;
			return NULL;
		}
		if (s.tag == tag && (s.ref & 1) == k->dir) {
			struct fp_conn *c = fp_conn_ref(t, s.ref);

			if (fp_conn_matches(c, k)) {
				if (end)
					*end = i;
				return c;
			}
		}
	}
}

struct fp_conn *fp_conn_lookup(const struct fp_conn_table *t, const struct fp_key *k)
{
	uint32_t tag = fp_conn_tag(t, k);

	return probe(t, k, tag, fp_conn_home(t, tag), NULL);
}

void fp_conn_candidates(const struct fp_conn_table *t, const struct fp_key *keys,
	const uint32_t *tags, uint32_t n, struct fp_conn **cand, uint64_t *pos)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint64_t j;

		cand[i] = NULL;
		for (j = fp_conn_home(t, tags[i]);; j = fp_conn_next(t, j)) {
			struct fp_slot s = t->slots[j];

			if (s.ref == 0)
				break;
			if (s.tag == tags[i] && (s.ref & 1) == keys[i].dir) {
				cand[i] = fp_conn_ref(t, s.ref);
				rte_prefetch0(cand[i]);
				break;
			}
		}
		pos[i] = j;
	}
}

struct fp_conn *fp_conn_probe_from(const struct fp_conn_table *t, const struct fp_key *k,
	uint32_t tag, uint64_t pos)
{
	return probe(t, k, tag, pos, NULL);
}

void fp_conn_lookup_bulk(const struct fp_conn_table *t, const struct fp_key *keys,
	uint32_t n, struct fp_conn **out)
{
	uint32_t tags[FP_MAX_BURST] = { 0 };
	uint64_t pos[FP_MAX_BURST];
	uint32_t i;

	if (n > FP_MAX_BURST)
		n = FP_MAX_BURST;
	for (i = 0; i < n; i++)
		tags[i] = fp_conn_prefetch(t, &keys[i]);
	fp_conn_candidates(t, keys, tags, n, out, pos);
	for (i = 0; i < n; i++)
		out[i] = fp_conn_resolve(t, &keys[i], tags[i], out[i], pos[i]);
}

static uint64_t next_empty(const struct fp_conn_table *t, uint64_t i)
{
	for (i = fp_conn_next(t, i); t->slots[i].ref != 0; i = fp_conn_next(t, i))
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

/* A template (FP_CONN_F_TEMPLATE) is found by its client key alone: no
 * packet is its reply, so it takes one slot. */
struct fp_conn *fp_conn_insert(struct fp_conn_table *t, const struct fp_conn *c,
	struct fp_conn **dup)
{
	int reply = !(c->flags & FP_CONN_F_TEMPLATE);
	struct fp_key in, out;
	uint32_t tag_in, tag_out = 0, idx;
	uint64_t pos_in = 0, pos_out = 0;
	struct fp_conn *p;

	if (dup)
		*dup = NULL;
	fp_conn_in_key(c, &in);
	tag_in = fp_conn_tag(t, &in);
	p = probe(t, &in, tag_in, fp_conn_home(t, tag_in), &pos_in);
	if (reply) {
		fp_conn_out_key(c, &out);
		tag_out = fp_conn_tag(t, &out);
		if (p == NULL)
			p = probe(t, &out, tag_out, fp_conn_home(t, tag_out), &pos_out);
	}
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
	p->flags |= FP_CONN_F_USED;
	t->slots[pos_in] = (struct fp_slot){ .tag = tag_in, .ref = make_ref(idx, FP_DIR_IN) };
	if (reply) {
		if (pos_out == pos_in) /* both probes ended on the same empty slot */
			pos_out = next_empty(t, pos_out);
		t->slots[pos_out] = (struct fp_slot){ .tag = tag_out, .ref = make_ref(idx, FP_DIR_OUT) };
	}
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
static void unindex(struct fp_conn_table *t, uint32_t tag, uint32_t ref)
{
	uint64_t i = fp_conn_home(t, tag), hole, j;

	while (t->slots[i].ref != ref) {
		if (t->slots[i].ref == 0)
			return; /* not indexed: key fields changed; nothing safe to do */
		i = fp_conn_next(t, i);
	}
	hole = i;
	for (j = fp_conn_next(t, hole); t->slots[j].ref != 0; j = fp_conn_next(t, j)) {
		struct fp_slot s = t->slots[j];

		if (dist(t, fp_conn_home(t, s.tag), j) >= dist(t, hole, j)) {
			t->slots[hole] = s;
			hole = j;
		}
	}
	t->slots[hole] = (struct fp_slot){ 0, 0 };
}

/* Removes c, whose keys' tags are tag_in and tag_out. */
static void remove_tagged(struct fp_conn_table *t, struct fp_conn *c, uint32_t idx,
	uint32_t tag_in, uint32_t tag_out)
{
	unindex(t, tag_in, make_ref(idx, FP_DIR_IN));
	if (!(c->flags & FP_CONN_F_TEMPLATE))
		unindex(t, tag_out, make_ref(idx, FP_DIR_OUT));
	c->flags &= (uint8_t)~FP_CONN_F_USED;
	c->expire = t->free;
	t->free = idx + 1;
	t->count--;
}

static void remove_at(struct fp_conn_table *t, struct fp_conn *c, uint32_t idx)
{
	struct fp_key in, out;

	fp_conn_in_key(c, &in);
	fp_conn_out_key(c, &out);
	remove_tagged(t, c, idx, fp_conn_tag(t, &in), fp_conn_tag(t, &out));
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
	if (t->conns[idx].flags & FP_CONN_F_USED)
		remove_at(t, c, idx);
}

enum { EXPIRE_BATCH = 64 };

/*
 * Two passes per batch: find the conns that are due and prefetch the home
 * slots of both their keys, then remove them; a flood of expiries (every
 * one two random index lines) then costs overlapped misses, not serial
 * ones.
 */
uint32_t fp_conn_expire(struct fp_conn_table *t, uint32_t now, uint32_t budget,
	fp_conn_expire_fn fn, void *ctx)
{
	uint32_t hw = t->hw, i = t->cursor, expired = 0;
	uint32_t due[EXPIRE_BATCH], tag_in[EXPIRE_BATCH], tag_out[EXPIRE_BATCH];

	if (hw == 0)
		return 0;
	if (budget > hw)
		budget = hw; /* one sweep at most per call */
	while (budget > 0) {
		uint32_t n = 0, k;

		for (; budget > 0 && n < EXPIRE_BATCH; budget--, i++) {
			struct fp_conn *c;
			struct fp_key key;

			if (i >= hw)
				i = 0;
			c = &t->conns[i];
			if (!(c->flags & FP_CONN_F_USED) || (int32_t)(now - c->expire) < 0)
				continue;
			fp_conn_in_key(c, &key);
			tag_in[n] = fp_conn_prefetch(t, &key);
			fp_conn_out_key(c, &key);
			tag_out[n] = fp_conn_prefetch(t, &key);
			due[n++] = i;
		}
		for (k = 0; k < n; k++) {
			struct fp_conn *c = &t->conns[due[k]];

			if (!(c->flags & FP_CONN_F_USED)) /* an earlier callback removed it */
				continue;
			if (fn)
				fn(ctx, c);
			if (c->flags & FP_CONN_F_USED)
				remove_tagged(t, c, due[k], tag_in[k], tag_out[k]);
			expired++;
		}
	}
	t->cursor = i;
	return expired;
}

/* ---- test support (fp_conn.h) ---- */

uint32_t fp_conn_tag_of(const struct fp_conn_table *t, const struct fp_key *k)
{
	return fp_conn_tag(t, k);
}

uint64_t fp_conn_home_of_tag(const struct fp_conn_table *t, uint32_t tag)
{
	return fp_conn_home(t, tag);
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
	if (!(c->flags & FP_CONN_F_USED))
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
