/*
 * fp_sched.c - picking a real server for a new connection. The control
 * plane precomputes each service's table (dataplane/sched); the mutable
 * part (IPVS's per-service mark) is one uint64 per service per lcore, so
 * lcores never share scheduler state.
 */
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

int fp_sched_pick(const struct fp_snapshot *s, const struct fp_service *svc, uint64_t *state)
{
	const uint32_t *table = fp_snap_sched(s) + svc->sched_off;

	switch (svc->sched_kind) {
	case FP_SCHED_SEQ:
		return pick_seq(table, svc->sched_len, state);
	case FP_SCHED_WRR_STEP:
		return pick_wrr_step(table, svc->sched_len, svc->wrr_max, state);
	}
	return -1;
}
