/*
 * fp_worker.h - one worker lcore's state and the per-packet entry points.
 *
 * A worker owns its connection table, its counters, its scheduler states
 * and its route cache: nothing here is shared with another lcore except
 * through rings. Go allocates the struct (hugepages) and wires it up with
 * fp_worker_init; fp_lcore_main (fp_loop.c) then runs it until stopped.
 */
#ifndef FP_WORKER_H
#define FP_WORKER_H

#include <stdint.h>

#include "fp_conn.h"
#include "fp_layout.h"
#include "fp_neigh.h"
#include "fp_pkt.h"
#include "fp_sched.h"

struct rte_mbuf;
struct rte_ring;
struct rte_rcu_qsbr;

enum {
	FP_HOST_CACHE_BITS = 10,
	FP_HOST_CACHE = 1 << FP_HOST_CACHE_BITS,
	FP_QUEUE_CAP = FP_MAX_BURST,
	FP_EXPIRE_SWEEP_MS = 1000, /* a busy worker examines its whole table once a second */
	FP_EXPIRE_BUSY = 64,       /* at most, per busy iteration (bounds the poll gap) */
	FP_EXPIRE_IDLE = 1024,     /* per idle iteration */
	FP_EVICT_SCAN = 256,       /* conns examined for one to evict when the table is full */
	FP_SRC_BUCKETS = 4096,     /* per-source-prefix new-connection counters */
};

/* What the worker that owns a flow is chosen by (dataplane.flow_affinity):
 * the client's address and port, or its address (or network) alone, so
 * that every connection of one client (network) meets its persistence
 * templates on one lcore. */
enum fp_flow_affinity {
	FP_AFFINITY_ADDRESS_PORT = 0,
	FP_AFFINITY_ADDRESS = 1,     /* affinity_mask all ones */
	FP_AFFINITY_PREFIX = 2,      /* the client's network: address & affinity_mask */
};

/* What every lcore shares: the published configuration and the rings. */
struct fp_shared {
	struct fp_snapshot *snap;     /* current snapshot; swapped by Go */
	struct fp_neigh_table *neigh; /* current neighbour mirror; swapped by Go */
	struct rte_rcu_qsbr *rcu;     /* NULL when nothing is reclaimed (tests) */
	uint32_t stop;
	uint16_t n_workers;
	uint8_t flow_affinity;        /* enum fp_flow_affinity, set before the workers start */
	uint8_t sync_send;            /* 1: the workers emit sync records (this director is the sync master) */
	uint32_t affinity_mask;       /* FP_AFFINITY_ADDRESS, _PREFIX: what of the address is hashed */
	struct rte_ring *inbox[FP_MAX_WORKERS]; /* hand-off ring of each worker */
};

/* A cached route to one destination: valid while the neighbour table's
 * version is the one it was filled at (ports never change while running). */
struct fp_host {
	uint32_t dst;
	uint32_t ver;
	uint8_t mac[6];
	uint8_t port;
	uint8_t ok;
	uint32_t _pad;
};

/* What the lookup a packet waits for is about. */
enum fp_kind {
	FP_K_NONE = 0,
	FP_K_IN,        /* client -> VIP TCP/UDP */
	FP_K_OUT,       /* possibly a NAT reply */
	FP_K_ICMP_IN,   /* client's ICMP error about a packet from the VIP */
	FP_K_ICMP_OUT,  /* server's ICMP error about a packet from the client */
};

enum fp_verdict {
	FP_V_DROP = 0,  /* free it (already counted) */
	FP_V_TX,        /* send on out_port */
	FP_V_PUNT,      /* to the slow path (reason punt, out_port, hop) */
	FP_V_REDIRECT,  /* to the worker that owns the flow */
	FP_V_LOOKUP,    /* internal: waits for the burst's connection lookup */
};

/* One packet of the burst in flight. */
struct fp_bpkt {
	struct rte_mbuf *m;
	struct fp_pkt p;
	struct fp_quoted q;
	uint8_t kind;       /* enum fp_kind */
	uint8_t in_port;
	uint8_t out_port;
	uint8_t punt;       /* enum fp_punt */
	uint32_t hop;
	uint16_t owner;     /* FP_V_REDIRECT: worker index */
	uint16_t key;       /* index into the burst's key array */
	uint8_t out_kind;   /* enum fp_out: how it counts once sent (our ICMP replies are answers) */
	uint8_t _pad0[7];
	/* a new connection's scheduling, done ahead (fp_prepare_new) */
	const struct fp_service *svc;
	int32_t pick;       /* dest index within svc; -1: not scheduled */
	uint8_t sched_err;  /* why scheduling failed (enum fp_drop), 0: it did not */
	uint8_t _pad[3];
};

/* What a queued tx mbuf is (struct fp_txq's kind): the flush counts it
 * as such once the PMD took it or refused it. The ICMP errors we
 * originate are answers counted by type too, when they leave: sent, or
 * held for their neighbour (a punt the ring took: the kind rides in the
 * top byte of the punt's metadata). */
enum fp_out {
	FP_OUT_FORWARDED = 1,
	FP_OUT_ANSWERED = 2,
	FP_OUT_INJECTED = 3,
	FP_OUT_TIME_EXCEEDED = 4, /* answered */
	FP_OUT_FRAG_NEEDED = 5,   /* answered */
	FP_OUT_KINDS = 8,
};

struct fp_src_bucket {
	uint32_t epoch; /* the second counted */
	uint32_t count;
};

struct fp_queue {
	uint32_t n;
	struct rte_mbuf *m[FP_QUEUE_CAP];
};

/* A port's tx queue, with what each mbuf is (enum fp_out) beside it:
 * the flush counts outcomes without touching the mbufs again. */
struct fp_txq {
	struct fp_queue q;
	uint8_t kind[FP_QUEUE_CAP];
};

/* Where flushed packets go: DPDK in production (fp_loop.c), arrays in the
 * test harness. Called once per queue per burst, never per packet. */
struct fp_io {
	uint16_t (*tx)(void *ctx, uint16_t port, struct rte_mbuf **m, uint16_t n);
	/* takes at most what leaves reserve slots of the punt ring free */
	uint32_t (*punt)(void *ctx, struct rte_mbuf **m, uint32_t n, uint32_t reserve);
	uint32_t (*redirect)(void *ctx, uint16_t worker, struct rte_mbuf **m, uint32_t n);
	void (*free)(void *ctx, struct rte_mbuf **m, uint32_t n);
	void *ctx;
};

struct fp_worker_params {
	struct fp_shared *shared;
	struct fp_lcore_counters *counters;
	void *conn_mem;
	uint64_t conn_mem_size;
	uint32_t conn_capacity;
	uint16_t index;
	uint16_t queue;          /* rx/tx queue of every port owned by this worker */
	uint16_t burst;
	uint16_t idle_backoff;   /* sleep when idle instead of busy-polling */
	uint32_t idle_sleep_max_us;
	uint64_t hash_seed;
	uint64_t tsc_hz;
	struct rte_ring *punt;   /* to the slow path */
	struct rte_ring *inject; /* from the slow path */
	uint32_t punt_reserve;   /* punt ring slots kernel-bound packets leave to ARP and NEIGH */
	uint32_t _pad;
	struct fp_sync_ring *sync_out; /* records to send (NULL: no sync) */
	struct fp_sync_ring *sync_in;  /* records received, to insert (NULL: no sync) */
};

struct fp_worker {
	struct fp_shared *shared;
	struct fp_lcore_counters *cnt;
	struct rte_ring *punt_ring;
	struct rte_ring *inject_ring;
	struct fp_sync_ring *sync_out;
	struct fp_sync_ring *sync_in;
	uint16_t index;
	uint16_t queue;
	uint16_t burst;
	uint16_t idle_backoff;
	uint32_t idle_sleep_max_us;
	int32_t tid;             /* the lcore thread's id once running (CPU confinement) */
	uint32_t now;            /* ms on a wrapping clock, read once per burst */
	uint64_t tsc_per_ms;

	/* read once per burst */
	const struct fp_snapshot *snap;
	const struct fp_neigh_table *neigh;

	uint16_t ip_id;          /* of the outer headers we build */
	uint8_t last_drop;       /* reason of the latest drop (tests) */
	uint8_t burst_removed;   /* a conn left the table during this burst */
	uint8_t sync_on;         /* shared->sync_send, read once per burst */
	uint64_t burst_created;  /* bit tag % 64 of both keys of each conn created this burst */

	/* expiry: conns owed to the sweep, and when it was last paid */
	uint32_t expire_debt;
	uint32_t expire_ms;
	/* ICMP errors we originate: tokens left, and when they were counted */
	uint64_t icmp_credit; /* ICMP error tokens in thousandths (fp_icmp.c) */
	uint32_t icmp_ms;
	/* flood defence: where the search for a half-open conn to evict goes on */
	uint32_t evict_cursor;
	uint32_t punt_reserve;   /* see fp_worker_params */

	/* poll loop */
	uint64_t last_poll;      /* TSC of the previous poll of port 0; 0 after a sleep */
	uint64_t min_gap_ticks;
	uint32_t idle_spins;
	uint32_t sleep_us;

	struct fp_conn_table conns;
	struct fp_sched_lcore sched;
	/* bit rs id: that real server reached its upper threshold on this
	 * lcore and has not yet fallen below its lower one */
	uint64_t overloaded[FP_MAX_REAL_SERVERS / 64];
	struct fp_pick_scratch pick_scratch; /* a pick that skips overloaded dests */
	struct fp_src_bucket src_buckets[FP_SRC_BUCKETS];
	struct fp_host hosts[FP_HOST_CACHE];

	struct fp_bpkt bp[FP_MAX_BURST];
	struct fp_key keys[FP_MAX_BURST];
	uint32_t tags[FP_MAX_BURST];         /* of keys, from fp_conn_prefetch */
	uint64_t pos[FP_MAX_BURST];          /* where each candidate was found */
	struct fp_conn *found[FP_MAX_BURST]; /* candidates, resolved at finish */

	struct fp_txq txq[FP_MAX_PORTS];
	struct fp_queue punt_q;
	struct fp_queue kernel_q;   /* punts for the kernel interfaces, after punt_q */
	struct fp_queue redir_q[FP_MAX_WORKERS];
	struct fp_queue free_q;
} __attribute__((aligned(FP_CACHE_LINE)));

/* How many of n packets fit a ring with free slots when reserve of them
 * must stay free (the kernel-bound punts' limit). */
static inline uint32_t fp_punt_room(uint32_t free, uint32_t reserve, uint32_t n)
{
	if (free <= reserve)
		return 0;
	return free - reserve < n ? free - reserve : n;
}

uint64_t fp_worker_size(void);
/* 0, or -EINVAL when the parameters are unusable. */
int fp_worker_init(struct fp_worker *w, const struct fp_worker_params *prm);

/* Loads the snapshot and neighbour table for the next bursts. */
void fp_worker_begin(struct fp_worker *w);

/*
 * Handles a burst received on port in_port (a port index), or from the
 * worker's inbox when in_port < 0 (each mbuf then carries its port). Every
 * mbuf ends in exactly one of the worker's queues; fp_worker_flush empties
 * them through io.
 */
void fp_handle_burst(struct fp_worker *w, struct rte_mbuf **pkts, uint16_t n, int in_port);

/* Queues frames the slow path injected (port index in the mbuf's meta). */
void fp_queue_injected(struct fp_worker *w, struct rte_mbuf **pkts, uint16_t n);

void fp_worker_flush(struct fp_worker *w, const struct fp_io *io);

/* Between bursts: incremental expiry (a larger budget when idle). */
void fp_housekeep(struct fp_worker *w, int idle);

/* The lcore entry point (rte_eal_remote_launch); arg is the worker. */
int fp_lcore_main(void *arg);

/* ---- per-mbuf metadata for punted, redirected and injected packets ----
 * Carried in mbuf->hash (the RSS/FDIR result, unused once received). */
void fp_meta_set(struct rte_mbuf *m, uint8_t reason, uint8_t in_port, uint8_t out_port, uint32_t hop);
void fp_meta_get(const struct rte_mbuf *m, uint8_t *reason, uint8_t *in_port, uint8_t *out_port, uint32_t *hop);

#endif /* FP_WORKER_H */
