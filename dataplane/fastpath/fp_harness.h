/*
 * fp_harness.h - running the fast path without EAL, for tests and fuzzing:
 * mbufs faked in plain memory (sized exactly to headroom + frame, so a
 * read past the frame is caught by AddressSanitizer) and an fp_io that
 * records where every mbuf went instead of transmitting it.
 */
#ifndef FP_HARNESS_H
#define FP_HARNESS_H

#include <stdint.h>

#include "fp_worker.h"

enum { FP_HARNESS_MAX_OUT = 4 * FP_MAX_BURST };

struct fp_harness_out {
	struct rte_mbuf *m;
	uint8_t verdict;  /* enum fp_verdict: TX, PUNT, REDIRECT or DROP */
	uint8_t _pad;
	uint16_t target;  /* TX: port index; REDIRECT: worker index */
};

struct fp_harness {
	struct fp_harness_out out[FP_HARNESS_MAX_OUT];
	uint32_t n_out;
	uint32_t tx_accept;   /* packets a tx call takes (to provoke tx_full) */
	uint32_t punt_accept; /* packets a punt call takes */
	uint32_t punt_free;   /* free slots of the simulated punt ring (punts take them) */
	uint32_t lost;        /* outputs beyond out[] (a harness overflow, never expected) */
};

void fp_harness_reset(struct fp_harness *h);
/* A fake single-segment mbuf holding a copy of frame after headroom bytes. */
struct rte_mbuf *fp_fake_mbuf(const uint8_t *frame, uint16_t len, uint16_t headroom);
void fp_fake_mbuf_free(struct rte_mbuf *m);
uint8_t *fp_fake_mbuf_data(struct rte_mbuf *m, uint16_t *len);
void fp_harness_flush(struct fp_worker *w, struct fp_harness *h);

#endif /* FP_HARNESS_H */

/*
 * Runs fp_handle_burst over the n frames (flen bytes each) in bursts of
 * burst, rounds times, copying each into one of burst mbufs (ms) as a PMD
 * copies it in, flushing into an io that keeps the mbufs. All in C: the
 * per-packet cost of the fast path without a PMD. Returns packets sent.
 */
uint64_t fp_harness_bench(struct fp_worker *w, struct rte_mbuf **ms, const uint8_t *frames,
	uint16_t flen, uint32_t n, uint32_t burst, uint32_t rounds, int in_port);
