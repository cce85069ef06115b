/*
 * fp_route.c - choosing the egress port and Ethernet addresses. Each
 * worker caches the route and next-hop MAC of destinations it sends to
 * (direct-mapped); the cache is valid as long as the neighbour table's
 * version has not moved.
 */
#include "fp_internal.h"

static inline struct fp_host *host_slot(struct fp_worker *w, uint32_t dst)
{
	return &w->hosts[(dst * 0x9E3779B1u) >> (32 - FP_HOST_CACHE_BITS)];
}

enum fp_verdict fp_to_host(struct fp_worker *w, struct fp_bpkt *bp, uint32_t dst)
{
	struct fp_host *e = host_slot(w, dst);
	uint32_t ver = fp_neigh_version(w->neigh), hop;
	uint64_t word;
	uint8_t port;

	if (FP_LIKELY(e->ok && e->dst == dst && e->ver == ver)) {
		fp_set_eth(bp->p.frame, e->mac, w->snap->ports[e->port].mac);
		bp->out_port = e->port;
		return FP_V_TX;
	}
	if (!fp_route(w->snap, dst, &port, &hop))
		return fp_drop(w, FP_DROP_NO_ROUTE);
	bp->out_port = port;
	word = fp_neigh_lookup(w->neigh, hop);
	if (word == 0) {
		/* Ready to go but for the MAC: the slow path holds it, resolves
		 * the next hop and sends it. */
		bp->hop = hop;
		bp->punt = FP_PUNT_NEIGH;
		return FP_V_PUNT;
	}
	e->dst = dst;
	e->ver = ver; /* read before the lookup: a later change invalidates */
	fp_neigh_mac(word, e->mac);
	e->port = port;
	e->ok = 1;
	fp_set_eth(bp->p.frame, e->mac, w->snap->ports[port].mac);
	return FP_V_TX;
}
