/*
 * fp_sched.c - picking a real server for a new connection, with IPVS's
 * schedulers. The control plane precomputes what can be (dataplane/sched:
 * rr/wrr cycles, sh/dh buckets, the Maglev table); the rest is decided
 * here from the dests' weights and this lcore's own connection counts.
 * The mutable part (IPVS's per-service mark, or twos's random state) is
 * one uint64 per service per lcore, so lcores never share scheduler state.
 * A weight of 0 gets no new connections from any scheduler.
 */
#include "fp_sched.h"
#include "fp_snapshot.h"

/* Replays a precomputed cycle (rr, and wrr whose cycle is short). */
static int pick_seq(const uint32_t *seq, uint32_t len, uint64_t *state)
{
	uint64_t pos = *state;

	if (len == 0)
		return -1;
	if (pos >= len) /* wrapped, or a state from another snapshot */
		pos = 0;
	*state = pos + 1;
	return (int)seq[pos];
}

/*
 * IPVS's interleaved wrr stepped at pick time, for cycles too long to
 * store: passes with a current weight cw = max..1, each visiting in order
 * the dests whose (gcd-normalised) weight is >= cw. state packs cw (high
 * 32 bits) and the index where the next scan starts (low 32 bits).
 * At most about two passes are scanned: the heaviest dest qualifies in all.
 */
static int pick_wrr_step(const uint32_t *w, uint32_t n, uint32_t max, uint64_t *state)
{
	uint32_t next = (uint32_t)*state, cw = (uint32_t)(*state >> 32), i;

	if (n == 0 || max == 0)
		return -1;
	if (cw == 0 || cw > max || next > n) {
		next = 0;
		cw = max;
	}
	for (;;) {
		for (i = next; i < n; i++) {
			if (w[i] >= cw) {
				*state = (uint64_t)cw << 32 | (i + 1);
				return (int)i;
			}
		}
		next = 0;
		if (--cw == 0)
			cw = max;
	}
}

/* ---- the least-connection family: this lcore's counts ---- */

/* IPVS's ip_vs_dest_conn_overhead: an active connection weighs 256 idle ones. */
static uint64_t conn_overhead(const struct fp_traffic *t)
{
	return t->active * 256 + t->inactive;
}

/* IPVS's sed and nq overhead: the connection to come counts. */
static uint64_t queue_overhead(const struct fp_traffic *t)
{
	return t->active + 1;
}

/* 1 when load a at weight aw is below load b at weight bw (a/aw < b/bw),
 * exactly: 128-bit products cannot overflow. */
static int lighter(uint64_t a, uint32_t aw, uint64_t b, uint32_t bw)
{
	return (unsigned __int128)a * bw < (unsigned __int128)b * aw;
}

enum load_kind { LOAD_COUNT, LOAD_WEIGHTED, LOAD_QUEUE };

/*
 * lc (LOAD_COUNT: least overhead), wlc (LOAD_WEIGHTED: least overhead per
 * weight) and sed (LOAD_QUEUE: least (active + 1) per weight); nq is sed
 * that takes the first idle dest at once. Ties go to the earlier dest, as
 * IPVS's strict comparisons.
 */
static int pick_least(const struct fp_dest *d, uint32_t n, const struct fp_traffic *rs,
		      enum load_kind kind, int idle_first)
{
	uint64_t loh = 0, doh;
	uint32_t lw = 1, j;
	int least = -1;

	for (j = 0; j < n; j++) {
		const struct fp_traffic *t = &rs[d[j].id];
		uint32_t dw = kind == LOAD_COUNT ? 1 : d[j].weight;

		if (d[j].weight == 0)
			continue;
		if (idle_first && t->active == 0)
			return (int)j;
		doh = kind == LOAD_QUEUE ? queue_overhead(t) : conn_overhead(t);
		if (least < 0 || lighter(doh, dw, loh, lw)) {
			least = (int)j;
			loh = doh;
			lw = dw;
		}
	}
	return least;
}

/* fo: the highest weight; ovf: the same among dests whose active count
 * is at most their weight (they overflow to the next heaviest). */
static int pick_heaviest(const struct fp_dest *d, uint32_t n, const struct fp_traffic *rs, int overflow)
{
	uint32_t hw = 0, j;
	int h = -1;

	for (j = 0; j < n; j++) {
		if (d[j].weight == 0 || (overflow && rs[d[j].id].active > d[j].weight))
			continue;
		if (h < 0 || d[j].weight > hw) {
			h = (int)j;
			hw = d[j].weight;
		}
	}
	return h;
}

/* A per-lcore xorshift64 generator in the service's state: no shared
 * random source, no lock. A zero state (new, or after rr) is seeded. */
static uint64_t next_random(uint64_t *state, const struct fp_pkt *p)
{
	uint64_t x = *state;

	if (x == 0)
		x = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)p->src << 32 | (uint64_t)p->sport << 16 | p->dport);
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* The dest that draw r (0..sum of weights, inclusive as IPVS) falls on. */
static int weighted_draw(const struct fp_dest *d, uint32_t n, uint64_t r)
{
	uint64_t sum = 0;
	uint32_t j;
	int last = -1;

	for (j = 0; j < n; j++) {
		if (d[j].weight == 0)
			continue;
		sum += d[j].weight;
		last = (int)j;
		if (r <= sum)
			return (int)j;
	}
	return last;
}

/* twos: two weighted random choices, the one with less overhead per
 * weight (the first on a tie). */
static int pick_twos(const struct fp_dest *d, uint32_t n, const struct fp_traffic *rs,
		     uint64_t *state, const struct fp_pkt *p)
{
	uint64_t total = 0;
	uint32_t j;
	int c1, c2;

	for (j = 0; j < n; j++)
		total += d[j].weight;
	if (total == 0)
		return -1;
	c1 = weighted_draw(d, n, next_random(state, p) % (total + 1));
	c2 = weighted_draw(d, n, next_random(state, p) % (total + 1));
	if (lighter(conn_overhead(&rs[d[c2].id]), d[c2].weight, conn_overhead(&rs[d[c1].id]), d[c1].weight))
		return c2;
	return c1;
}

/* ---- hashing: sh, dh, mh ---- */

/* IPVS's hash_32 for sh and dh: the golden-ratio multiply, top 8 bits. */
static uint32_t bucket_hash(uint32_t key)
{
	return (key * 0x61c88647u) >> 24;
}

/* A 64-bit finaliser (murmur3's): Maglev lookups of close addresses
 * spread over a prime-sized table. */
static uint32_t mh_hash(uint64_t key, uint32_t size)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	key *= 0xc4ceb9fe1a85ec53ULL;
	key ^= key >> 33;
	return (uint32_t)(key % size);
}

static int any_weight(const struct fp_dest *d, uint32_t n)
{
	uint32_t j;

	for (j = 0; j < n; j++)
		if (d[j].weight != 0)
			return 1;
	return 0;
}

/*
 * sh and mh: the client's bucket; with FP_SVC_F_SCHED_FALLBACK a bucket
 * whose dest has weight 0 gives way to the next bucket whose dest has
 * one (IPVS's sh-fallback, mh-fallback), probing at most the whole table.
 */
static int pick_hashed(const struct fp_service *svc, const uint32_t *table, const struct fp_dest *d,
		       const struct fp_pkt *p)
{
	uint32_t port = (svc->flags & FP_SVC_F_SCHED_PORT) ? p->sport : 0, b, e, off;

	if (svc->sched_kind == FP_SCHED_MH)
		b = mh_hash((uint64_t)p->src << 16 | port, svc->sched_len);
	else
		b = bucket_hash(p->src + port);
	for (off = 0; off < svc->sched_len; off++) {
		e = table[(b + off) % svc->sched_len];
		if (e == FP_SCHED_NO_DEST)
			return -1;
		if (d[e].weight != 0)
			return (int)e;
		if (!(svc->flags & FP_SVC_F_SCHED_FALLBACK) || (off == 0 && !any_weight(d, svc->n_dests)))
			return -1;
	}
	return -1;
}

/* dh: the bucket of the destination address, no fallback (as IPVS). */
static int pick_dh(const uint32_t *table, const struct fp_dest *d, const struct fp_pkt *p)
{
	uint32_t e = table[bucket_hash(p->dst)];

	return e != FP_SCHED_NO_DEST && d[e].weight != 0 ? (int)e : -1;
}

/* ---- locality: lblc, lblcr ---- */

/* IPVS's lblc/lblcr overload: more active connections than its weight
 * while some server has fewer than half its weight. */
static int overloaded(const struct fp_dest *d, uint32_t n, const struct fp_traffic *rs, uint32_t i)
{
	uint32_t j;

	if (rs[d[i].id].active <= d[i].weight)
		return 0;
	for (j = 0; j < n; j++)
		if (rs[d[j].id].active * 2 < d[j].weight)
			return 1;
	return 0;
}

static int expired(const struct fp_lblc_entry *e, uint32_t now)
{
	return (uint32_t)(now - e->used) >= FP_LBLC_EXPIRE_MS;
}

/* The entry of (svc, dst): its own if live, else a free or expired way,
 * else the least recently used (its servers forgotten). *found says which. */
static struct fp_lblc_entry *lblc_slot(struct fp_sched_lcore *l, uint16_t svc_id, uint32_t dst,
				       uint32_t now, int *found)
{
	uint32_t set = (uint32_t)(((uint64_t)dst << 16 | svc_id) * 0x9e3779b97f4a7c15ULL >> 40) %
		       (FP_LBLC_ENTRIES / FP_LBLC_WAYS);
	struct fp_lblc_entry *e = &l->lblc[set * FP_LBLC_WAYS], *victim = e;
	uint32_t k;

	for (k = 0; k < FP_LBLC_WAYS; k++) {
		if (e[k].n != 0 && e[k].dst == dst && e[k].svc_id == svc_id && !expired(&e[k], now)) {
			*found = 1;
			return &e[k];
		}
		if (e[k].n == 0 || expired(&e[k], now))
			victim = &e[k];
		else if (victim->n != 0 && !expired(victim, now) && (int32_t)(e[k].used - victim->used) < 0)
			victim = &e[k];
	}
	*found = 0;
	victim->dst = dst;
	victim->svc_id = svc_id;
	victim->n = 0;
	victim->modified = now;
	return victim;
}

/* The index of real server id among d, or -1 (it left the service). */
static int index_of(const struct fp_dest *d, uint32_t n, uint16_t id)
{
	uint32_t j;

	for (j = 0; j < n; j++)
		if (d[j].id == id)
			return (int)j;
	return -1;
}

/* The least (most: most = 1) loaded per weight of e's servers still in
 * the service; for the least, weight 0 does not count (drained), for the
 * most it is the most loaded. Sets *slot to its place in e->rs. */
static int set_pick(const struct fp_lblc_entry *e, const struct fp_dest *d, uint32_t n,
		    const struct fp_traffic *rs, int most, uint32_t *slot)
{
	int best = -1;
	uint32_t k;

	for (k = 0; k < e->n; k++) {
		int i = index_of(d, n, e->rs[k]);
		int better;

		if (i < 0 || (!most && d[i].weight == 0))
			continue;
		if (best < 0)
			better = 1;
		else if (most)
			better = d[i].weight == 0 ||
				 (d[best].weight != 0 && lighter(conn_overhead(&rs[d[best].id]), d[best].weight,
								 conn_overhead(&rs[d[i].id]), d[i].weight));
		else
			better = lighter(conn_overhead(&rs[d[i].id]), d[i].weight,
					 conn_overhead(&rs[d[best].id]), d[best].weight);
		if (better) {
			best = i;
			*slot = k;
		}
	}
	return best;
}

static int in_set(const struct fp_lblc_entry *e, uint16_t id)
{
	uint32_t k;

	for (k = 0; k < e->n; k++)
		if (e->rs[k] == id)
			return 1;
	return 0;
}

/* Drops from e the servers that left the service. */
static void set_prune(struct fp_lblc_entry *e, const struct fp_dest *d, uint32_t n)
{
	uint32_t k, m = 0;

	for (k = 0; k < e->n; k++)
		if (index_of(d, n, e->rs[k]) >= 0)
			e->rs[m++] = e->rs[k];
	e->n = (uint8_t)m;
}

/*
 * lblc (set_max 1): the destination's server while it has weight and is
 * not overloaded, else a new one by wlc that replaces it. lblcr: the least
 * loaded of the destination's set likewise, else a new one by wlc joins
 * the set (replacing its most loaded when full), and a set unchanged for
 * FP_LBLC_EXPIRE_MS loses its most loaded. Entries unused that long are
 * forgotten.
 */
static int pick_locality(struct fp_sched_lcore *l, const struct fp_service *svc, const struct fp_dest *d,
			 const struct fp_traffic *rs, uint32_t dst, uint32_t now, uint32_t set_max)
{
	uint32_t n = svc->n_dests, slot = 0;
	int found, i = -1;
	struct fp_lblc_entry *e = lblc_slot(l, svc->id, dst, now, &found);

	if (found) {
		set_prune(e, d, n);
		i = set_pick(e, d, n, rs, 0, &slot);
		if (e->n > 1 && (uint32_t)(now - e->modified) >= FP_LBLC_EXPIRE_MS &&
		    set_pick(e, d, n, rs, 1, &slot) >= 0) {
			e->rs[slot] = e->rs[--e->n];
			e->modified = now;
			i = set_pick(e, d, n, rs, 0, &slot);
		}
	}
	e->used = now;
	if (i >= 0 && !overloaded(d, n, rs, (uint32_t)i))
		return i;
	i = pick_least(d, n, rs, LOAD_WEIGHTED, 0);
	if (i < 0 || in_set(e, d[i].id))
		return i; /* (an entry left empty is free) */
	if (e->n >= set_max) {
		set_pick(e, d, n, rs, 1, &slot);
		e->rs[slot] = d[i].id;
	} else {
		e->rs[e->n++] = d[i].id;
	}
	e->modified = now;
	return i;
}

/* The pick over dests d (the snapshot's, or a masked copy of them). */
static int pick_from(struct fp_sched_lcore *l, const struct fp_snapshot *s, const struct fp_service *svc,
		     const struct fp_dest *d, const struct fp_traffic *rs, const struct fp_pkt *p, uint32_t now)
{
	const uint32_t *table = fp_snap_sched(s) + svc->sched_off;
	uint64_t *state = &l->state[svc->id & (FP_MAX_SERVICES - 1)];
	uint32_t n = svc->n_dests;

	switch (svc->sched_kind) {
	case FP_SCHED_SEQ:
		return pick_seq(table, svc->sched_len, state);
	case FP_SCHED_WRR_STEP:
		return pick_wrr_step(table, svc->sched_len, svc->wrr_max, state);
	case FP_SCHED_LC:
		return pick_least(d, n, rs, LOAD_COUNT, 0);
	case FP_SCHED_WLC:
		return pick_least(d, n, rs, LOAD_WEIGHTED, 0);
	case FP_SCHED_SED:
		return pick_least(d, n, rs, LOAD_QUEUE, 0);
	case FP_SCHED_NQ:
		return pick_least(d, n, rs, LOAD_QUEUE, 1);
	case FP_SCHED_FO:
		return pick_heaviest(d, n, rs, 0);
	case FP_SCHED_OVF:
		return pick_heaviest(d, n, rs, 1);
	case FP_SCHED_TWOS:
		return pick_twos(d, n, rs, state, p);
	case FP_SCHED_SH:
	case FP_SCHED_MH:
		return pick_hashed(svc, table, d, p);
	case FP_SCHED_DH:
		return pick_dh(table, d, p);
	case FP_SCHED_LBLC:
		return pick_locality(l, svc, d, rs, p->dst, now, 1);
	case FP_SCHED_LBLCR:
		return pick_locality(l, svc, d, rs, p->dst, now, FP_LBLCR_SET);
	}
	return -1;
}

int fp_sched_pick(struct fp_sched_lcore *l, const struct fp_snapshot *s, const struct fp_service *svc,
		  const struct fp_traffic *rs, const struct fp_pkt *p, uint32_t now)
{
	return pick_from(l, s, svc, fp_snap_dests(s) + svc->first_dest, rs, p, now);
}

static int is_set(const uint64_t *bits, uint16_t id)
{
	return (int)(bits[id >> 6] >> (id & 63)) & 1;
}

/*
 * Every scheduler reads weights from the copy, where an overloaded dest
 * has weight 0. The precomputed cycles hold indices, not weights: rr's is
 * stepped past overloaded dests (a whole cycle at most, which visits
 * every dest of weight > 0), wrr's stepped form runs on masked weights.
 */
int fp_sched_pick_masked(struct fp_sched_lcore *l, const struct fp_snapshot *s, const struct fp_service *svc,
			 const struct fp_traffic *rs, const struct fp_pkt *p, uint32_t now,
			 const uint64_t *overloaded, struct fp_pick_scratch *scratch)
{
	const struct fp_dest *d = fp_snap_dests(s) + svc->first_dest;
	const uint32_t *table = fp_snap_sched(s) + svc->sched_off;
	uint64_t *state = &l->state[svc->id & (FP_MAX_SERVICES - 1)];
	struct fp_dest *m = scratch->dests;
	uint32_t n = svc->n_dests, j, usable = 0;
	int i;

	if (n > FP_MAX_REAL_SERVERS)
		return -1;
	for (j = 0; j < n; j++) {
		m[j] = d[j];
		if (is_set(overloaded, d[j].id))
			m[j].weight = 0;
		usable += m[j].weight != 0;
	}
	if (usable == 0)
		return -1;
	switch (svc->sched_kind) {
	case FP_SCHED_SEQ:
		for (j = 0; j < svc->sched_len; j++) {
			i = pick_seq(table, svc->sched_len, state);
			if (i >= 0 && (uint32_t)i < n && m[i].weight != 0)
				return i;
		}
		return -1;
	case FP_SCHED_WRR_STEP:
		for (j = 0; j < svc->sched_len && j < n; j++)
			scratch->weights[j] = m[j].weight != 0 ? table[j] : 0;
		for (j = 0; j < svc->sched_len && j < n; j++)
			if (scratch->weights[j] != 0)
				return pick_wrr_step(scratch->weights, svc->sched_len, svc->wrr_max, state);
		return -1;
	}
	return pick_from(l, s, svc, m, rs, p, now);
}

/* ---- snapshot checks ---- */

/* A stepped wrr table must hold one weight per dest and its maximum, or a
 * pick would never find a dest. */
static int wrr_table_ok(const uint32_t *w, const struct fp_service *sv)
{
	uint32_t max = 0, j;

	if (sv->sched_len != sv->n_dests)
		return 0;
	for (j = 0; j < sv->sched_len; j++)
		if (w[j] > max)
			max = w[j];
	return max == sv->wrr_max;
}

/* Every entry a dest index, or FP_SCHED_NO_DEST where none_ok. */
static int entries_ok(const uint32_t *t, const struct fp_service *sv, int none_ok)
{
	uint32_t j;

	for (j = 0; j < sv->sched_len; j++)
		if (t[j] >= sv->n_dests && !(none_ok && t[j] == FP_SCHED_NO_DEST))
			return 0;
	return 1;
}

int fp_sched_layout_ok(const struct fp_snapshot *s, const struct fp_service *sv)
{
	const uint32_t *t = fp_snap_sched(s) + sv->sched_off;

	switch (sv->sched_kind) {
	case FP_SCHED_SEQ:
		return entries_ok(t, sv, 0);
	case FP_SCHED_WRR_STEP:
		return wrr_table_ok(t, sv);
	case FP_SCHED_LC:
	case FP_SCHED_WLC:
	case FP_SCHED_SED:
	case FP_SCHED_NQ:
	case FP_SCHED_FO:
	case FP_SCHED_OVF:
	case FP_SCHED_TWOS:
	case FP_SCHED_LBLC:
	case FP_SCHED_LBLCR:
		return sv->sched_len == 0;
	case FP_SCHED_SH:
	case FP_SCHED_DH:
		return sv->sched_len == FP_SCHED_HASH_BUCKETS && entries_ok(t, sv, 1);
	case FP_SCHED_MH:
		return sv->sched_len >= 1 && sv->sched_len <= FP_SCHED_MH_MAX && entries_ok(t, sv, 1);
	}
	return 0;
}
