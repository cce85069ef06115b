/*
 * fp_loop.c - the poll loop a worker lcore runs until the dataplane stops.
 * It never calls into Go and never waits for it: the slow path is reached
 * through rings whose fullness costs only the packets that did not fit.
 *
 * Per iteration: load the snapshot once; rx a burst per port and handle it;
 * take the inbox (flows other workers handed over) and the frames the slow
 * path injected; flush every queue; expire a few connections; report a
 * quiescent state so Go may free old snapshots; back off when idle if
 * configured. Poll gaps (time between two polls of port 0 that the loop did
 * not choose to sleep) are measured as they happen.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "fp_internal.h"

static const uint64_t gap_thresholds_ns[FP_NUM_GAP_THRESHOLDS] = {
#define FP_GAP_ELEM(x) x,
	FP_GAP_THRESHOLDS_NS(FP_GAP_ELEM)
#undef FP_GAP_ELEM
};

static uint16_t dpdk_tx(void *ctx, uint16_t port, struct rte_mbuf **m, uint16_t n)
{
	struct fp_worker *w = ctx;

	return rte_eth_tx_burst(w->snap->ports[port].dpdk_id, w->queue, m, n);
}

static uint32_t dpdk_punt(void *ctx, struct rte_mbuf **m, uint32_t n, uint32_t reserve)
{
	struct fp_worker *w = ctx;

	if (w->punt_ring == NULL)
		return 0;
	/* The lcore is the ring's only producer: the free count can only
	 * grow (the slow path dequeues) between reading it and enqueuing. */
	if (reserve != 0 && (n = fp_punt_room(rte_ring_free_count(w->punt_ring), reserve, n)) == 0)
		return 0;
	return rte_ring_enqueue_burst(w->punt_ring, (void **)m, n, NULL);
}

static uint32_t dpdk_redirect(void *ctx, uint16_t worker, struct rte_mbuf **m, uint32_t n)
{
	struct fp_worker *w = ctx;
	struct rte_ring *r = worker < FP_MAX_WORKERS ? w->shared->inbox[worker] : NULL;

	if (r == NULL)
		return 0;
	return rte_ring_enqueue_burst(r, (void **)m, n, NULL);
}

static void dpdk_free(void *ctx, struct rte_mbuf **m, uint32_t n)
{
	(void)ctx;
	rte_pktmbuf_free_bulk(m, n);
}

static void measure_gap(struct fp_worker *w, uint64_t tsc)
{
	struct fp_lcore_counters *c = w->cnt;
	uint64_t gap_ns;
	int i;

	/* Ticks first: no division on the common, short gap. */
	if (w->last_poll != 0 && tsc > w->last_poll && tsc - w->last_poll > w->min_gap_ticks) {
		gap_ns = (tsc - w->last_poll) * 1000000 / w->tsc_per_ms;
		if (gap_ns > gap_thresholds_ns[0]) {
			if (gap_ns > c->max_poll_gap_ns)
				c->max_poll_gap_ns = gap_ns;
			for (i = 0; i < FP_NUM_GAP_THRESHOLDS; i++)
				if (gap_ns > gap_thresholds_ns[i])
					c->poll_gaps[i]++;
		}
	}
	w->last_poll = tsc;
}

/* Exponential back-off while nothing arrives, when configured: after 64
 * empty polls, sleep 5 us doubling up to the maximum. */
static void idle(struct fp_worker *w, int empty)
{
	if (!w->idle_backoff)
		return;
	if (!empty) {
		w->idle_spins = 0;
		w->sleep_us = 0;
		return;
	}
	if (++w->idle_spins < 64)
		return;
	if (w->sleep_us == 0)
		w->sleep_us = 5;
	else if (w->sleep_us < w->idle_sleep_max_us)
		w->sleep_us = w->sleep_us * 2 < w->idle_sleep_max_us ? w->sleep_us * 2 : w->idle_sleep_max_us;
	rte_delay_us_sleep(w->sleep_us);
	w->last_poll = 0;
}

static uint32_t poll_ports(struct fp_worker *w, const struct fp_io *io, struct rte_mbuf **rx)
{
	uint32_t got = 0;
	uint16_t p, n;

	for (p = 0; p < w->snap->n_ports; p++) {
		uint64_t tsc;

		n = rte_eth_rx_burst(w->snap->ports[p].dpdk_id, w->queue, rx, w->burst);
		tsc = rte_rdtsc();
		w->now = (uint32_t)(tsc / w->tsc_per_ms);
		if (p == 0)
			measure_gap(w, tsc);
		if (n == 0)
			continue;
		got += n;
		fp_handle_burst(w, rx, n, p);
		fp_worker_flush(w, io);
	}
	return got;
}

static uint32_t poll_rings(struct fp_worker *w, const struct fp_io *io, struct rte_mbuf **rx)
{
	struct rte_ring *inbox = w->shared->inbox[w->index];
	uint32_t got = 0, n;

	if (inbox != NULL && (n = rte_ring_dequeue_burst(inbox, (void **)rx, w->burst, NULL)) > 0) {
		got += n;
		fp_handle_burst(w, rx, (uint16_t)n, -1);
		fp_worker_flush(w, io);
	}
	if (w->inject_ring != NULL && (n = rte_ring_dequeue_burst(w->inject_ring, (void **)rx, w->burst, NULL)) > 0) {
		got += n;
		fp_queue_injected(w, rx, (uint16_t)n);
		fp_worker_flush(w, io);
	}
	return got;
}

int fp_lcore_main(void *arg)
{
	struct fp_worker *w = arg;
	struct fp_shared *sh = w->shared;
	struct rte_mbuf *rx[FP_MAX_BURST];
	const struct fp_io io = {
		.tx = dpdk_tx, .punt = dpdk_punt, .redirect = dpdk_redirect, .free = dpdk_free, .ctx = w,
	};

	__atomic_store_n(&w->tid, (int32_t)rte_gettid(), __ATOMIC_RELEASE);
	if (sh->rcu != NULL) {
		rte_rcu_qsbr_thread_register(sh->rcu, w->index);
		rte_rcu_qsbr_thread_online(sh->rcu, w->index);
	}
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		uint32_t got;

		fp_worker_begin(w);
		got = poll_ports(w, &io, rx);
		got += poll_rings(w, &io, rx);
		got += fp_sync_apply_pending(w);
		fp_housekeep(w, got == 0);
		w->cnt->iterations++;
		/* Nothing read from the snapshot or neighbour table is held past
		 * here: Go may free what it replaced before this point. */
		if (sh->rcu != NULL)
			rte_rcu_qsbr_quiescent(sh->rcu, w->index);
		idle(w, got == 0);
	}
	if (sh->rcu != NULL) {
		rte_rcu_qsbr_thread_offline(sh->rcu, w->index);
		rte_rcu_qsbr_thread_unregister(sh->rcu, w->index);
	}
	return 0;
}
