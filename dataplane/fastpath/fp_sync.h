/*
 * fp_sync.h - connection synchronisation on the lcores (IPVS's sync
 * daemon, issue 12). The master's lcores put a record on their sync ring
 * for each connection worth syncing (fp_sync_note); Go drains the rings,
 * batches and sends. A backup's Go routes each received record to the
 * lcore that owns its flow (fp_sync_owner) through that lcore's inbound
 * sync ring, and the lcore enters it in its table between bursts
 * (fp_sync_apply_pending), so no other thread ever writes a table.
 *
 * The rings are single-producer single-consumer: head is stored by the
 * producer with release order after the records it covers, tail by the
 * consumer after it read them; neither side ever waits for the other.
 */
#ifndef FP_SYNC_H
#define FP_SYNC_H

#include <stdint.h>

#include "fp_layout.h"

struct fp_worker;
struct fp_shared;

enum {
	FP_SYNC_RING_MAX = 1 << 22,
	FP_SYNC_APPLY_BUDGET = 64, /* received records an lcore enters per loop iteration */
	FP_SYNC_ALL_WORKERS = 0xffff, /* fp_sync_owner: a template goes to every worker */
	FP_SYNC_MAX_TIMEOUT_MS = 86400000, /* a received timeout is cut to a day */
	/* TCP states a backup hears of (IPVS's), by bit: a connection that is
	 * only opening is not worth a record; one whose close began is, at
	 * once. The lcores' emission and the table resync both use it. */
	FP_SYNC_TCP_STATES = 1 << FP_STATE_ESTABLISHED | 1 << FP_STATE_FIN_WAIT | 1 << FP_STATE_CLOSE_WAIT |
		1 << FP_STATE_TIME_WAIT | 1 << FP_STATE_CLOSE,
};

/* Bytes of a ring of size records (a power of two, 2..FP_SYNC_RING_MAX); 0 otherwise. */
uint64_t fp_sync_ring_bytes(uint32_t size);
/* Makes an empty ring in mem (>= fp_sync_ring_bytes(size), 64-byte aligned). 0 or -EINVAL. */
int fp_sync_ring_init(struct fp_sync_ring *r, uint32_t size);
int fp_sync_ring_ok(const struct fp_sync_ring *r);

/* Producer side: copies up to n records in, returns how many fit. */
uint32_t fp_sync_put(struct fp_sync_ring *r, const struct fp_sync_rec *in, uint32_t n);
/* Consumer side: copies up to max records out, returns how many. */
uint32_t fp_sync_take(struct fp_sync_ring *r, struct fp_sync_rec *out, uint32_t max);
/* Records waiting (either side may ask; a snapshot). */
uint32_t fp_sync_pending(const struct fp_sync_ring *r);

/* The worker whose table a received record belongs in, or
 * FP_SYNC_ALL_WORKERS for a template with per-port flow affinity (every
 * worker keeps its own templates then). */
uint16_t fp_sync_owner(const struct fp_shared *sh, const struct fp_sync_rec *rec);

/* The lcore, for a packet of c that moved its state from old (in: a
 * client packet): counts it and emits a record when IPVS's rules say
 * the backup should hear of it. */
void fp_sync_note(struct fp_worker *w, struct fp_conn *c, uint8_t old, int in);
/* The lcore: emits c (a template, or a connection being refreshed). */
void fp_sync_emit(struct fp_worker *w, const struct fp_conn *c, uint32_t timeout_ms);
/* The lcore, between bursts: enters up to FP_SYNC_APPLY_BUDGET received
 * records. Returns how many it took off the ring. */
uint32_t fp_sync_apply_pending(struct fp_worker *w);
/* Enters one received record (tests call it directly). 0, or 1 + enum fp_sync_reject. */
int fp_sync_apply(struct fp_worker *w, const struct fp_sync_rec *rec);

#endif /* FP_SYNC_H */
