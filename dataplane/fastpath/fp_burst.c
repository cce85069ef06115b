/*
 * fp_burst.c - a burst in three passes: classify every packet (fp_classify:
 * the home slot of each key it needs is prefetched there), find every
 * key's candidate connection in one pass (its line prefetched), then
 * finish each packet in arrival order, so the table's cache misses overlap
 * with the work on other packets. Every mbuf ends in exactly one queue: tx per port, punt,
 * redirect per worker, or free.
 */
#include <errno.h>

#include <rte_prefetch.h>

#include "fp_internal.h"

/* Metadata rides in mbuf->hash.fdir: lo = reason | in_port << 8 |
 * out_port << 16 (and, in a punted ICMP error of ours, its enum fp_out
 * kind << 24), hi = hop. */
void fp_meta_set(struct rte_mbuf *m, uint8_t reason, uint8_t in_port, uint8_t out_port, uint32_t hop)
{
	m->hash.fdir.lo = (uint32_t)reason | (uint32_t)in_port << 8 | (uint32_t)out_port << 16;
	m->hash.fdir.hi = hop;
}

void fp_meta_get(const struct rte_mbuf *m, uint8_t *reason, uint8_t *in_port, uint8_t *out_port, uint32_t *hop)
{
	uint32_t lo = m->hash.fdir.lo;

	*reason = (uint8_t)lo;
	*in_port = (uint8_t)(lo >> 8);
	*out_port = (uint8_t)(lo >> 16);
	*hop = m->hash.fdir.hi;
}

uint64_t fp_worker_size(void)
{
	return sizeof(struct fp_worker);
}

int fp_worker_init(struct fp_worker *w, const struct fp_worker_params *prm)
{
	int r;

	if (prm->shared == NULL || prm->counters == NULL || prm->index >= FP_MAX_WORKERS ||
	    prm->burst == 0 || prm->burst > FP_MAX_BURST)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	r = fp_conn_init(&w->conns, prm->conn_mem, prm->conn_mem_size, prm->conn_capacity, prm->hash_seed);
	if (r != 0)
		return r;
	w->shared = prm->shared;
	w->cnt = prm->counters;
	w->punt_ring = prm->punt;
	w->inject_ring = prm->inject;
	if ((prm->sync_out != NULL && !fp_sync_ring_ok(prm->sync_out)) ||
	    (prm->sync_in != NULL && !fp_sync_ring_ok(prm->sync_in)))
		return -EINVAL;
	w->sync_out = prm->sync_out;
	w->sync_in = prm->sync_in;
	w->index = prm->index;
	w->queue = prm->queue;
	w->burst = prm->burst;
	w->idle_backoff = prm->idle_backoff;
	w->idle_sleep_max_us = prm->idle_sleep_max_us ? prm->idle_sleep_max_us : 1;
	w->punt_reserve = prm->punt_reserve;
	w->tsc_per_ms = prm->tsc_hz / 1000 ? prm->tsc_hz / 1000 : 1;
	w->min_gap_ticks = (uint64_t)50000 * w->tsc_per_ms / 1000000;
	return 0;
}

void fp_worker_begin(struct fp_worker *w)
{
	w->snap = __atomic_load_n(&w->shared->snap, __ATOMIC_ACQUIRE);
	w->neigh = __atomic_load_n(&w->shared->neigh, __ATOMIC_ACQUIRE);
	w->sync_on = w->sync_out != NULL && __atomic_load_n(&w->shared->sync_send, __ATOMIC_RELAXED);
}

static inline void enqueue(struct fp_worker *w, struct fp_queue *q, struct rte_mbuf *m)
{
	if (FP_LIKELY(q->n < FP_QUEUE_CAP)) {
		q->m[q->n++] = m;
		return;
	}
	/* Cannot happen while every queue is flushed after each burst; if it
	 * did, the packet is counted and freed, never lost. */
	w->cnt->drops[FP_DROP_TX_FULL]++;
	if (w->free_q.n < FP_QUEUE_CAP)
		w->free_q.m[w->free_q.n++] = m;
}

static inline void enqueue_tx(struct fp_worker *w, uint8_t port, struct rte_mbuf *m, enum fp_out kind)
{
	struct fp_txq *t = &w->txq[port];

	if (FP_LIKELY(t->q.n < FP_QUEUE_CAP)) {
		t->kind[t->q.n] = (uint8_t)kind;
		t->q.m[t->q.n++] = m;
		return;
	}
	if (kind == FP_OUT_INJECTED) {
		w->cnt->inject_failed++;
		if (w->free_q.n < FP_QUEUE_CAP)
			w->free_q.m[w->free_q.n++] = m;
		return;
	}
	enqueue(w, &t->q, m); /* counted tx_full and freed */
}

static void dispose(struct fp_worker *w, struct fp_bpkt *bp, enum fp_verdict v)
{
	switch (v) {
	case FP_V_TX:
		enqueue_tx(w, bp->out_port, bp->m, (enum fp_out)bp->out_kind);
		return;
	case FP_V_PUNT:
		fp_meta_set(bp->m, bp->punt, bp->in_port, bp->out_port, bp->hop);
		if (bp->out_kind >= FP_OUT_TIME_EXCEEDED) /* an ICMP error of ours, held for its neighbour */
			bp->m->hash.fdir.lo |= (uint32_t)bp->out_kind << 24;
		enqueue(w, bp->punt == FP_PUNT_KERNEL ? &w->kernel_q : &w->punt_q, bp->m);
		return;
	case FP_V_REDIRECT:
		fp_meta_set(bp->m, 0, bp->in_port, 0, 0);
		enqueue(w, &w->redir_q[bp->owner], bp->m);
		return;
	case FP_V_DROP:
	case FP_V_LOOKUP:
		break;
	}
	/* The reason rides along, for the test harness; the mbuf is freed. */
	fp_meta_set(bp->m, w->last_drop, bp->in_port, 0, 0);
	enqueue(w, &w->free_q, bp->m);
}

/* The connection of the packet waiting on key i: its candidate, checked.
 * Candidates are stale once a conn left the table during the burst (a
 * reused port), and a miss may since have been created by an earlier
 * packet of the burst (a retransmitted SYN; burst_created holds a bit per
 * tag created): look again in those cases. */
static struct fp_conn *conn_of(struct fp_worker *w, uint16_t i)
{
	const struct fp_key *k = &w->keys[i];
	struct fp_conn *c;

	if (FP_UNLIKELY(w->burst_removed))
		return fp_conn_lookup(&w->conns, k);
	c = fp_conn_resolve(&w->conns, k, w->tags[i], w->found[i], w->pos[i]);
	if (c == NULL && (w->burst_created & (1ULL << (w->tags[i] & 63))))
		return fp_conn_lookup(&w->conns, k);
	return c;
}

/*
 * 1 when the packet may open a connection (a client's SYN, or UDP) and
 * certainly has none: it is scheduled in arrival order before the burst is
 * finished. A candidate is not proof of a hit: the tag also picks the home
 * slot, so neighbouring slots share its high bits and, at a million slots,
 * about one candidate in four thousand is another key's.
 */
static int opens_conn(struct fp_worker *w, const struct fp_bpkt *bp)
{
	const struct fp_key *k = &w->keys[bp->key];
	const struct fp_conn *cand = w->found[bp->key];

	if (bp->kind != FP_K_IN)
		return 0;
	if (bp->p.proto == FP_PROTO_TCP && (bp->p.tcp_flags & (FP_TCP_SYN | FP_TCP_ACK | FP_TCP_RST)) != FP_TCP_SYN)
		return 0;
	if (cand == NULL)
		return 1;
	return !fp_conn_matches(cand, k) &&
		fp_conn_probe_from(&w->conns, k, w->tags[bp->key], fp_conn_next(&w->conns, w->pos[bp->key])) == NULL;
}

enum { FP_SCHED_AHEAD = 4 }; /* packets whose scheduling is prefetched ahead */

void fp_handle_burst(struct fp_worker *w, struct rte_mbuf **pkts, uint16_t n, int in_port)
{
	uint32_t i, nkeys = 0, fresh;
	uint16_t opening[FP_MAX_BURST];

	if (n > FP_MAX_BURST)
		n = FP_MAX_BURST;
	if (in_port >= 0)
		w->cnt->rx_pkts += n;
	w->burst_removed = 0;
	w->burst_created = 0;
	for (i = 0; i < n; i++) {
		struct fp_bpkt *bp = &w->bp[i];
		enum fp_verdict v;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		bp->m = pkts[i];
		bp->kind = FP_K_NONE;
		bp->key = (uint16_t)nkeys;
		bp->svc = NULL;
		bp->pick = -1;
		bp->sched_err = FP_DROP_NONE;
		bp->out_kind = FP_OUT_FORWARDED;
		if (in_port >= 0) {
			bp->in_port = (uint8_t)in_port;
		} else {
			w->cnt->inbox_pkts++;
			uint8_t reason, out;
			uint32_t hop;

			fp_meta_get(bp->m, &reason, &bp->in_port, &out, &hop);
		}
		if (FP_UNLIKELY(bp->in_port >= w->snap->n_ports)) {
			v = fp_drop(w, FP_DROP_NOT_LOCAL);
		} else {
			v = fp_classify(w, bp);
		}
		if (v == FP_V_LOOKUP)
			nkeys++;
		else
			dispose(w, bp, v);
	}
	if (nkeys == 0)
		return;
	fp_conn_candidates(&w->conns, w->keys, w->tags, nkeys, w->found, w->pos);
	for (i = 0, fresh = 0; i < n; i++)
		if (opens_conn(w, &w->bp[i]))
			opening[fresh++] = (uint16_t)i;
	/* what scheduling a few packets ahead will look up is on its way */
	for (i = 0; i < fresh && i < FP_SCHED_AHEAD; i++)
		fp_prefetch_sched(w, &w->bp[opening[i]]);
	for (i = 0; i < fresh; i++) {
		if (i + FP_SCHED_AHEAD < fresh)
			fp_prefetch_sched(w, &w->bp[opening[i + FP_SCHED_AHEAD]]);
		fp_prepare_new(w, &w->bp[opening[i]], i);
	}
	for (i = 0; i < n; i++) {
		struct fp_bpkt *bp = &w->bp[i];

		if (bp->kind != FP_K_NONE)
			dispose(w, bp, fp_finish(w, bp, conn_of(w, bp->key)));
	}
}

void fp_queue_injected(struct fp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		uint8_t reason, in, port;
		uint32_t hop;

		fp_meta_get(pkts[i], &reason, &in, &port, &hop);
		/* not a received packet: its failure is no drop of the rx identity */
		if (port >= w->snap->n_ports || pkts[i]->nb_segs != 1) {
			w->cnt->inject_failed++;
			fp_meta_set(pkts[i], FP_DROP_NO_ROUTE, 0, 0, 0);
			enqueue(w, &w->free_q, pkts[i]);
			continue;
		}
		enqueue_tx(w, port, pkts[i], FP_OUT_INJECTED);
	}
}

/*
 * Transmits one port's queue and counts each mbuf's outcome by its kind:
 * sent as forwarded, answered or injected, or refused by the tx queue (a
 * drop for a received packet, inject_failed for a frame of the slow path).
 */
static void flush_tx(struct fp_worker *w, const struct fp_io *io, uint16_t port)
{
	struct fp_txq *t = &w->txq[port];
	struct fp_lcore_counters *cnt = w->cnt;
	uint32_t i, done, n = t->q.n, by_kind[FP_OUT_KINDS] = {0};

	done = io->tx(io->ctx, port, t->q.m, (uint16_t)n);
	cnt->tx_pkts += done;
	for (i = 0; i < done; i++)
		by_kind[t->kind[i] & (FP_OUT_KINDS - 1)]++;
	cnt->forwarded += by_kind[FP_OUT_FORWARDED];
	cnt->answered += by_kind[FP_OUT_ANSWERED] + by_kind[FP_OUT_TIME_EXCEEDED] + by_kind[FP_OUT_FRAG_NEEDED];
	cnt->time_exceeded_sent += by_kind[FP_OUT_TIME_EXCEEDED];
	cnt->frag_needed_sent += by_kind[FP_OUT_FRAG_NEEDED];
	cnt->injected += by_kind[FP_OUT_INJECTED];
	for (i = done; i < n; i++) {
		if (t->kind[i] == FP_OUT_INJECTED) {
			cnt->inject_failed++;
		} else {
			cnt->drops[FP_DROP_TX_FULL]++;
			fp_meta_set(t->q.m[i], FP_DROP_TX_FULL, 0, 0, 0);
		}
	}
	if (done < n)
		io->free(io->ctx, t->q.m + done, n - done);
	t->q.n = 0;
}

/* Frees and counts what a queue's consumer did not take (q->m[done:]). */
static void refuse(struct fp_worker *w, const struct fp_io *io, struct fp_queue *q,
	uint32_t done, enum fp_drop why)
{
	uint32_t i;

	if (done < q->n) {
		w->cnt->drops[why] += q->n - done;
		for (i = done; i < q->n; i++)
			fp_meta_set(q->m[i], (uint8_t)why, 0, 0, 0);
		io->free(io->ctx, q->m + done, q->n - done);
	}
	q->n = 0;
}

_Static_assert((FP_MAX_PORTS & (FP_MAX_PORTS - 1)) == 0, "port indexes are masked into kernel_full");

/*
 * Hands a punt queue to the slow path's ring, leaving reserve slots free,
 * and counts each packet as punted or, refused, as what a full ring costs
 * it: a packet waiting for a MAC is what an unresolved neighbour costs,
 * one for the kernel is kernel_full (by port), anything else punt_full.
 */
static void flush_punts(struct fp_worker *w, const struct fp_io *io, struct fp_queue *q, uint32_t reserve)
{
	struct fp_lcore_counters *cnt = w->cnt;
	uint32_t i, done = io->punt(io->ctx, q->m, q->n, reserve);

	for (i = 0; i < q->n; i++) {
		uint8_t reason, in, out;
		uint32_t hop;

		fp_meta_get(q->m[i], &reason, &in, &out, &hop);
		if (i < done) {
			uint8_t kind = (uint8_t)(q->m[i]->hash.fdir.lo >> 24);

			cnt->punted[reason < FP_NUM_PUNTS ? reason : 0]++;
			cnt->time_exceeded_sent += kind == FP_OUT_TIME_EXCEEDED;
			cnt->frag_needed_sent += kind == FP_OUT_FRAG_NEEDED;
			continue;
		}
		switch (reason) {
		case FP_PUNT_NEIGH:
			reason = FP_DROP_NEIGH_UNRESOLVED;
			break;
		case FP_PUNT_KERNEL:
			reason = FP_DROP_KERNEL_FULL;
			cnt->kernel_full[in & (FP_MAX_PORTS - 1)]++;
			break;
		default:
			reason = FP_DROP_PUNT_FULL;
		}
		cnt->drops[reason]++;
		fp_meta_set(q->m[i], reason, in, 0, 0);
	}
	if (done < q->n)
		io->free(io->ctx, q->m + done, q->n - done);
	q->n = 0;
}

void fp_worker_flush(struct fp_worker *w, const struct fp_io *io)
{
	struct fp_lcore_counters *cnt = w->cnt;
	uint32_t done;
	uint16_t p;

	for (p = 0; p < FP_MAX_PORTS; p++)
		if (w->txq[p].q.n != 0)
			flush_tx(w, io, p);
	/* ARP and held packets first: kernel-bound ones may only take the
	 * ring down to its reserve, so a flood towards the kernel never
	 * starves neighbour resolution. */
	if (w->punt_q.n > 0)
		flush_punts(w, io, &w->punt_q, 0);
	if (w->kernel_q.n > 0)
		flush_punts(w, io, &w->kernel_q, w->punt_reserve);
	for (p = 0; p < FP_MAX_WORKERS; p++) {
		struct fp_queue *q = &w->redir_q[p];

		if (q->n == 0)
			continue;
		done = io->redirect(io->ctx, p, q->m, q->n);
		cnt->redirected += done;
		refuse(w, io, q, done, FP_DROP_REDIRECT_FULL);
	}
	if (w->free_q.n > 0) {
		io->free(io->ctx, w->free_q.m, w->free_q.n);
		w->free_q.n = 0;
	}
}
