/*
 * fp_control.c - the control plane's entry points (fp_control.h).
 */
#include <errno.h>

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "fp_control.h"

#define FP_NAME(id, name) name,
static const char *const drop_names[FP_NUM_DROPS] = { FP_DROPS(FP_NAME) };
static const char *const punt_names[FP_NUM_PUNTS] = { FP_PUNTS(FP_NAME) };
static const char *const state_names[FP_NUM_STATES] = { FP_STATES(FP_NAME) };
static const char *const method_names[FP_NUM_METHODS] = { FP_METHODS(FP_NAME) };
static const char *const sync_reject_names[FP_NUM_SYNC_REJECTS] = { FP_SYNC_REJECTS(FP_NAME) };
#undef FP_NAME

#define FP_GAP_ELEM(x) x,
static const uint64_t gap_thresholds[FP_NUM_GAP_THRESHOLDS] = { FP_GAP_THRESHOLDS_NS(FP_GAP_ELEM) };
#undef FP_GAP_ELEM

const char *fp_drop_name(unsigned i) { return i < FP_NUM_DROPS ? drop_names[i] : "unknown"; }
const char *fp_sync_reject_name(unsigned i) { return i < FP_NUM_SYNC_REJECTS ? sync_reject_names[i] : "unknown"; }
const char *fp_punt_name(unsigned i) { return i < FP_NUM_PUNTS ? punt_names[i] : "unknown"; }
const char *fp_state_name(unsigned i) { return i < FP_NUM_STATES ? state_names[i] : "ERR!"; }
const char *fp_method_name(unsigned i) { return i < FP_NUM_METHODS ? method_names[i] : "unknown"; }
uint64_t fp_gap_threshold_ns(unsigned i) { return i < FP_NUM_GAP_THRESHOLDS ? gap_thresholds[i] : 0; }

struct fp_snapshot *fp_publish_snapshot(struct fp_shared *sh, struct fp_snapshot *s)
{
	return __atomic_exchange_n(&sh->snap, s, __ATOMIC_ACQ_REL);
}

struct fp_neigh_table *fp_publish_neigh(struct fp_shared *sh, struct fp_neigh_table *t)
{
	return __atomic_exchange_n(&sh->neigh, t, __ATOMIC_ACQ_REL);
}

void fp_request_stop(struct fp_shared *sh)
{
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
}

uint64_t fp_rcu_memsize(uint32_t workers)
{
	ssize_t n = rte_rcu_qsbr_get_memsize(workers);

	return n < 0 ? 0 : (uint64_t)n;
}

int fp_rcu_init(struct rte_rcu_qsbr *v, uint32_t workers)
{
	return rte_rcu_qsbr_init(v, workers);
}

uint64_t fp_rcu_start(struct rte_rcu_qsbr *v)
{
	return rte_rcu_qsbr_start(v);
}

int fp_rcu_done(struct rte_rcu_qsbr *v, uint64_t token)
{
	return rte_rcu_qsbr_check(v, token, false);
}

int fp_launch(struct fp_worker *w, unsigned lcore)
{
	return rte_eal_remote_launch(fp_lcore_main, w, lcore);
}

int32_t fp_worker_tid(const struct fp_worker *w)
{
	return __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE);
}

uint32_t fp_punt_dequeue(struct rte_ring *ring, struct fp_punted *out, uint32_t n)
{
	struct rte_mbuf *m[FP_MAX_BURST];
	uint32_t got, i;

	if (n > FP_MAX_BURST)
		n = FP_MAX_BURST;
	got = rte_ring_dequeue_burst(ring, (void **)m, n, NULL);
	for (i = 0; i < got; i++) {
		struct fp_punted *p = &out[i];

		memset(p, 0, sizeof(*p));
		p->mbuf = m[i];
		p->data = rte_pktmbuf_mtod(m[i], uint8_t *);
		p->len = m[i]->data_len;
		fp_meta_get(m[i], &p->reason, &p->in_port, &p->out_port, &p->hop);
	}
	return got;
}

int fp_inject(struct rte_ring *ring, struct rte_mbuf *m, uint8_t port)
{
	fp_meta_set(m, 0, 0, port, 0);
	return rte_ring_enqueue(ring, m) == 0 ? 0 : -ENOBUFS;
}

struct rte_mbuf *fp_frame_alloc(struct rte_mempool *pool, const uint8_t *frame, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *d;

	if (m == NULL)
		return NULL;
	d = (uint8_t *)rte_pktmbuf_append(m, len);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(d, frame, len);
	return m;
}

void fp_mbuf_free(struct rte_mbuf *m)
{
	rte_pktmbuf_free(m);
}

uint8_t *fp_mbuf_frame(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, uint8_t *);
}

void fp_ring_drain(struct rte_ring *ring)
{
	void *m[64];
	unsigned n;

	while ((n = rte_ring_dequeue_burst(ring, m, 64, NULL)) > 0)
		rte_pktmbuf_free_bulk((struct rte_mbuf **)m, n);
}

uint32_t fp_kernel_tx(uint16_t tap, struct rte_mbuf **m, uint32_t n, uint64_t *bytes)
{
	uint32_t len[FP_MAX_BURST], i, sent;
	uint64_t b = 0;

	if (n > FP_MAX_BURST)
		n = FP_MAX_BURST;
	/* read before the PMD owns (and frees) them */
	for (i = 0; i < n; i++)
		len[i] = m[i]->pkt_len;
	sent = rte_eth_tx_burst(tap, 0, m, (uint16_t)n);
	for (i = 0; i < sent; i++)
		b += len[i];
	if (sent < n)
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	*bytes = b;
	return sent;
}

void fp_kernel_rx(uint16_t tap, struct rte_ring *inject, uint8_t port, uint16_t max, struct fp_kernel_rx *out)
{
	struct rte_mbuf *m[FP_MAX_BURST], *ok[FP_MAX_BURST];
	uint32_t len[FP_MAX_BURST];
	uint16_t n, i, k = 0;
	unsigned done;

	memset(out, 0, sizeof(*out));
	if (max > FP_MAX_BURST)
		max = FP_MAX_BURST;
	n = rte_eth_rx_burst(tap, 0, m, max);
	for (i = 0; i < n; i++) {
		if (m[i]->nb_segs != 1) {
			out->multi_seg++;
			rte_pktmbuf_free(m[i]);
			continue;
		}
		fp_meta_set(m[i], 0, 0, port, 0);
		len[k] = m[i]->pkt_len;
		ok[k++] = m[i];
	}
	if (k == 0)
		return;
	done = rte_ring_enqueue_burst(inject, (void **)ok, k, NULL);
	for (i = 0; i < done; i++)
		out->bytes += len[i];
	out->pkts = done;
	out->ring_full = k - done;
	if (done < k)
		rte_pktmbuf_free_bulk(ok + done, k - done);
}
