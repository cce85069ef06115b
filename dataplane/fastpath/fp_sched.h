/*
 * fp_sched.h - picking a real server for a new connection (fp_sched.c),
 * and checking a service's scheduler table when a snapshot is indexed.
 */
#ifndef FP_SCHED_H
#define FP_SCHED_H

#include <stdint.h>

#include "fp_layout.h"
#include "fp_pkt.h"

enum {
	FP_LBLC_ENTRIES = 1024,   /* per lcore, as IPVS's lblc table's buckets */
	FP_LBLC_WAYS = 4,         /* entries a destination may take */
	FP_LBLCR_SET = 6,         /* servers an lblcr entry holds at most */
	FP_LBLC_EXPIRE_MS = 24 * 3600 * 1000, /* IPVS's lblc(r)_expiration default */
};

/* A destination address's cached server (lblc) or servers (lblcr), by
 * stable real server id: dest indices change with snapshots, ids do not. */
struct fp_lblc_entry {
	uint32_t dst;
	uint16_t svc_id;
	uint8_t n;                   /* servers held; 0: free */
	uint8_t _pad;
	uint32_t used;               /* ms, last pick through it */
	uint32_t modified;           /* ms, lblcr: set last changed */
	uint16_t rs[FP_LBLCR_SET];
};

/* One lcore's scheduler state: IPVS's per-service mark (or twos's random
 * state), one uint64 per service id, and the lblc/lblcr cache. It lives
 * in the worker (zeroed at init): no allocation when picking. */
struct fp_sched_lcore {
	uint64_t state[FP_MAX_SERVICES];
	struct fp_lblc_entry lblc[FP_LBLC_ENTRIES];
};

/*
 * Picks a dest of svc (an index below svc->n_dests) for the new
 * connection of packet p, or -1, advancing l's state (a state left by
 * another snapshot's table is tolerated). rs is the lcore's counters by
 * real server id, whose active and inactive counts the least-connection
 * family reads; now is the lcore's ms clock (lblc expiry).
 */
int fp_sched_pick(struct fp_sched_lcore *l, const struct fp_snapshot *s, const struct fp_service *svc,
		  const struct fp_traffic *rs, const struct fp_pkt *p, uint32_t now);

/* Room for one service's dests and weights with the overloaded ones at
 * weight 0 (fp_sched_pick_masked); in the worker, not on the stack. */
struct fp_pick_scratch {
	struct fp_dest dests[FP_MAX_REAL_SERVERS];
	uint32_t weights[FP_MAX_REAL_SERVERS];
};

/*
 * fp_sched_pick with the dests whose bit (by real server id) is set in
 * overloaded taken as weight 0, as IPVS's schedulers skip a dest with
 * IP_VS_DEST_F_OVERLOAD; -1 when every dest is overloaded or has weight 0.
 */
int fp_sched_pick_masked(struct fp_sched_lcore *l, const struct fp_snapshot *s, const struct fp_service *svc,
			 const struct fp_traffic *rs, const struct fp_pkt *p, uint32_t now,
			 const uint64_t *overloaded, struct fp_pick_scratch *scratch);

/* 1 when svc's scheduler kind and table are usable (every pick ends). */
int fp_sched_layout_ok(const struct fp_snapshot *s, const struct fp_service *svc);

#endif /* FP_SCHED_H */
