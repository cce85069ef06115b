/*
 * fp_internal.h - helpers shared by the fast path's translation units.
 * Not part of the Go interface.
 */
#ifndef FP_INTERNAL_H
#define FP_INTERNAL_H

#include <rte_mbuf.h>

#include "fp_snapshot.h"
#include "fp_sync.h"
#include "fp_wire.h"
#include "fp_worker.h"

#define FP_LIKELY(x) __builtin_expect(!!(x), 1)
#define FP_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Counts a drop of the packet in flight; the verdict frees it. */
static inline enum fp_verdict fp_drop(struct fp_worker *w, enum fp_drop why)
{
	w->cnt->drops[why]++;
	w->last_drop = (uint8_t)why;
	return FP_V_DROP;
}

static inline uint8_t *fp_mbuf_data(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, uint8_t *);
}

/* Single-segment length (we drop chained mbufs on receipt). */
static inline void fp_mbuf_set_len(struct rte_mbuf *m, uint16_t len)
{
	m->data_len = len;
	m->pkt_len = len;
}

/* Forwarded frames end where their IP datagram ends: Ethernet padding
 * (or trailing garbage) is not carried on. */
static inline void fp_trim(struct fp_bpkt *bp)
{
	if (bp->p.ip_end < bp->p.len) {
		bp->p.len = bp->p.ip_end;
		fp_mbuf_set_len(bp->m, bp->p.ip_end);
	}
}

static inline void fp_set_eth(uint8_t *frame, const uint8_t dst[6], const uint8_t src[6])
{
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
}

/* The worker that owns flows of this client: requests and replies of one
 * connection hash to the same worker whichever queue they arrive on. With
 * FP_AFFINITY_ADDRESS (_PREFIX) the port is left out (and the host bits):
 * all flows of a client (network) meet on one worker, as persistence
 * templates, which are per lcore, need. */
static inline uint16_t fp_owner_of(const struct fp_shared *sh, uint32_t client_ip, uint16_t client_port)
{
	uint64_t h;

	if (sh->flow_affinity != FP_AFFINITY_ADDRESS_PORT) {
		client_ip &= sh->affinity_mask;
		client_port = 0;
	}
	h = ((uint64_t)client_ip << 16 | client_port) * 0x9E3779B97F4A7C15ULL;

	return (uint16_t)(((h >> 32) * sh->n_workers) >> 32);
}

/* ---- fp_route.c ---- */
/* Routes the frame to dst: port and next hop, Ethernet addresses from the
 * neighbour table; an unknown next hop punts the ready packet. */
enum fp_verdict fp_to_host(struct fp_worker *w, struct fp_bpkt *bp, uint32_t dst);

/* ---- fp_icmp.c ---- */
enum fp_verdict fp_echo_reply(struct fp_worker *w, struct fp_bpkt *bp);
/* Rewrites an ICMP error's outer address (at outer_off in the IP header)
 * and the quoted datagram's address and port (at inner_off / port_off). */
int fp_icmp_translate(struct fp_bpkt *bp, uint32_t outer_off, uint32_t outer,
	uint32_t inner_off, uint32_t port_off, uint32_t inner, uint16_t port);
/* Turns the datagram in bp into an ICMP error to its sender, in its own
 * mbuf, rate limited (else dropped as otherwise); fp_icmp.c. */
enum fp_verdict fp_icmp_error(struct fp_worker *w, struct fp_bpkt *bp, uint8_t type, uint8_t code,
	uint16_t mtu, uint32_t from, enum fp_drop otherwise);
enum fp_verdict fp_time_exceeded(struct fp_worker *w, struct fp_bpkt *bp);
/* FP_V_LOOKUP when the datagram (plus extra bytes of encapsulation) fits
 * the port's MTU; else frag-needed from address from, or a drop. */
enum fp_verdict fp_check_mtu(struct fp_worker *w, struct fp_bpkt *bp, uint8_t port, uint32_t extra, uint32_t from);

/*
 * 1 when the packet is IPv4 multicast (224.0.0.0/4) in a frame sent to
 * its group's MAC (01:00:5e and the address's low 23 bits, RFC 1112
 * 6.4) and arrived on a port with a kernel interface: it is for the
 * kernel (VRRP, routing protocols). Asked only on paths that are already
 * off the common case (a MAC that is not ours, a martian destination),
 * and out of line so that the common case's code stays as it was.
 */
int fp_kernel_multicast(const struct fp_snapshot *s, const struct fp_bpkt *bp) __attribute__((cold));

/* ---- fp_ingress.c (the inline checks: fp_ingress.h) ---- */
/* fp_check_addresses's verdict for multicast the kernel interface takes. */
enum { FP_ADDR_KERNEL = FP_NUM_DROPS };
_Static_assert(FP_NUM_DROPS < 256, "drop reasons ride in a byte");
/* FP_DROP_NONE, the drop reason, or FP_ADDR_KERNEL. */
int fp_check_addresses(const struct fp_worker *w, const struct fp_bpkt *bp);

/* ICMP errors relayed along a connection: unreachable (frag-needed
 * included), source quench, time exceeded (as IPVS relays them). */
static inline int fp_icmp_relayed(uint8_t type)
{
	return type == FP_ICMP_DEST_UNREACH || type == FP_ICMP_SOURCE_QUENCH || type == FP_ICMP_TIME_EXCEEDED;
}

/* ---- fp_xmit.c ---- */
/* The gauges (active/inactive) of c's service and server move by delta
 * for state; forget removes c as expiry does (fp_sync.c enters and
 * replaces connections too). */
void fp_xmit_gauge(struct fp_worker *w, const struct fp_conn *c, uint8_t state, int delta);
void fp_xmit_forget(struct fp_worker *w, struct fp_conn *c);
enum fp_verdict fp_finish(struct fp_worker *w, struct fp_bpkt *bp, struct fp_conn *c);
/* For a client packet whose lookup is a miss: schedules it now and
 * prefetches what creating its connection will touch (nth new one of the
 * burst). */
void fp_prepare_new(struct fp_worker *w, struct fp_bpkt *bp, uint32_t nth);
/* Finds the packet's service (into bp->svc) and prefetches what
 * scheduling it will read from the connection table (a persistent
 * service's template slot), a few packets ahead. */
void fp_prefetch_sched(struct fp_worker *w, struct fp_bpkt *bp);

/* ---- fp_classify.c ---- */
enum fp_verdict fp_classify(struct fp_worker *w, struct fp_bpkt *bp);

/* IP rewriting used by NAT and ICMP translation. */
int fp_dec_ttl(struct fp_pkt *p);
void fp_set_addr_port(struct fp_pkt *p, uint32_t addr_off, uint32_t port_off, uint32_t ip, uint16_t port);

#endif /* FP_INTERNAL_H */
