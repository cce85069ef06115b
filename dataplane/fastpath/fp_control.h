/*
 * fp_control.h - what the Go control plane calls: names of the enums,
 * publication of snapshots and neighbour tables, RCU, rings, launching.
 * None of it runs per packet.
 */
#ifndef FP_CONTROL_H
#define FP_CONTROL_H

#include <stdint.h>

#include "fp_layout.h"
#include "fp_neigh.h"
#include "fp_worker.h"

struct rte_mempool;

const char *fp_drop_name(unsigned i);
const char *fp_sync_reject_name(unsigned i);
const char *fp_punt_name(unsigned i);
const char *fp_state_name(unsigned i);
const char *fp_method_name(unsigned i);
uint64_t fp_gap_threshold_ns(unsigned i);

/* Publishes s (release) and returns the snapshot it replaces. */
struct fp_snapshot *fp_publish_snapshot(struct fp_shared *sh, struct fp_snapshot *s);
struct fp_neigh_table *fp_publish_neigh(struct fp_shared *sh, struct fp_neigh_table *t);
void fp_request_stop(struct fp_shared *sh);

/* RCU (rte_rcu_qsbr) over the workers; the inline DPDK calls wrapped. */
uint64_t fp_rcu_memsize(uint32_t workers);
int fp_rcu_init(struct rte_rcu_qsbr *v, uint32_t workers);
uint64_t fp_rcu_start(struct rte_rcu_qsbr *v);
int fp_rcu_done(struct rte_rcu_qsbr *v, uint64_t token);

/* Launches the worker's poll loop on lcore. 0 or a negative errno. */
int fp_launch(struct fp_worker *w, unsigned lcore);
/* The thread id of the worker's lcore once its loop runs, else 0. */
int32_t fp_worker_tid(const struct fp_worker *w);

/* Takes up to n punted packets from ring into out; returns how many. */
uint32_t fp_punt_dequeue(struct rte_ring *ring, struct fp_punted *out, uint32_t n);
/* Hands m (frame and length set) to a worker to send on port; 0 or -ENOBUFS
 * (ring full: the caller still owns m). */
int fp_inject(struct rte_ring *ring, struct rte_mbuf *m, uint8_t port);
/* A new mbuf holding a copy of frame, or NULL (no mbuf, or too long). */
struct rte_mbuf *fp_frame_alloc(struct rte_mempool *pool, const uint8_t *frame, uint16_t len);
void fp_mbuf_free(struct rte_mbuf *m);
/* The start of m's frame (rte_pktmbuf_mtod). */
uint8_t *fp_mbuf_frame(struct rte_mbuf *m);
/* Frees every mbuf left in ring (at stop). */
void fp_ring_drain(struct rte_ring *ring);

/* ---- the exception path: the slow path's side of the kernel interfaces ---- */

/* Writes m[0:n) (n <= FP_MAX_BURST) to the kernel interface behind DPDK
 * port tap (queue 0) and frees what the PMD refused. Returns how many it
 * took; *bytes is their length. */
uint32_t fp_kernel_tx(uint16_t tap, struct rte_mbuf **m, uint32_t n, uint64_t *bytes);

/* What one fp_kernel_rx call moved. */
struct fp_kernel_rx {
	uint32_t pkts;       /* frames handed to the lcore through the inject ring */
	uint32_t ring_full;  /* frames the inject ring refused (freed) */
	uint32_t multi_seg;  /* chained frames, which the lcores do not send (freed) */
	uint32_t _pad;
	uint64_t bytes;      /* of pkts */
};

/* Takes up to max (<= FP_MAX_BURST) frames the kernel sent on tap (queue
 * 0) and hands them to the lcore of inject to send on port index port. */
void fp_kernel_rx(uint16_t tap, struct rte_ring *inject, uint8_t port, uint16_t max, struct fp_kernel_rx *out);

#endif /* FP_CONTROL_H */
