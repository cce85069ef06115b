/*
 * fp_classify.c - first pass over a burst: parse every packet and decide
 * all that needs no connection lookup. What does is left as FP_V_LOOKUP
 * with its key, so the burst's lookups run together (fp_burst.c).
 */
#include "fp_ingress.h"

/* Leaves the packet waiting for the lookup of (src:sport -> dst:dport). */
static enum fp_verdict want_lookup(struct fp_worker *w, struct fp_bpkt *bp, enum fp_kind kind,
	uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t proto, uint8_t dir)
{
	struct fp_key *k = &w->keys[bp->key];

	k->src_ip = src;
	k->dst_ip = dst;
	k->src_port = sport;
	k->dst_port = dport;
	k->proto = proto;
	k->dir = dir;
	k->_pad[0] = k->_pad[1] = 0;
	w->tags[bp->key] = fp_conn_prefetch(&w->conns, k);
	bp->kind = (uint8_t)kind;
	return FP_V_LOOKUP;
}

/* 1 (and the owner noted) when the flow belongs to another worker. */
static int redirect(struct fp_worker *w, struct fp_bpkt *bp, uint32_t client_ip, uint16_t client_port)
{
	uint16_t n = w->shared->n_workers;

	if (n <= 1)
		return 0;
	bp->owner = fp_owner_of(w->shared, client_ip, client_port);
	return bp->owner != w->index;
}

static enum fp_verdict icmp_error_to_vip(struct fp_worker *w, struct fp_bpkt *bp)
{
	struct fp_quoted *q = &bp->q;

	if (!fp_parse_quoted(&bp->p, q) || !q->has_ports)
		return fp_drop(w, FP_DROP_ICMP_UNHANDLED);
	/* quoted: VIP:vport -> client:cport, a packet the VIP sent */
	if (redirect(w, bp, q->dst, q->dport))
		return FP_V_REDIRECT;
	return want_lookup(w, bp, FP_K_ICMP_IN, q->dst, q->src, q->dport, q->sport, q->proto, FP_DIR_IN);
}

static enum fp_verdict to_vip(struct fp_worker *w, struct fp_bpkt *bp)
{
	struct fp_pkt *p = &bp->p;

	switch (p->proto) {
	case FP_PROTO_TCP:
	case FP_PROTO_UDP:
		if (redirect(w, bp, p->src, p->sport))
			return FP_V_REDIRECT;
		/* we are the routing hop: no connection, time exceeded back */
		if (p->ttl <= 1)
			return fp_time_exceeded(w, bp);
		return want_lookup(w, bp, FP_K_IN, p->src, p->dst, p->sport, p->dport, p->proto, FP_DIR_IN);
	case FP_PROTO_ICMP:
		if (p->icmp_type == FP_ICMP_ECHO)
			return fp_echo_reply(w, bp);
		if (fp_icmp_is_error(p->icmp_type)) {
			if (!fp_icmp_relayed(p->icmp_type))
				return fp_drop(w, FP_DROP_ICMP_NOT_RELAYED);
			return icmp_error_to_vip(w, bp);
		}
		return fp_drop(w, FP_DROP_ICMP_UNHANDLED);
	}
	return fp_drop(w, FP_DROP_LOCAL_PROTO);
}

/* For the kernel interface of the port it arrived on (the exception
 * path): the slow path writes it to the port's tap. */
static inline enum fp_verdict to_kernel(struct fp_bpkt *bp)
{
	bp->punt = FP_PUNT_KERNEL;
	return FP_V_PUNT;
}

/*
 * To one of our port addresses. A port with a kernel interface leaves
 * all of it to the kernel: echo (it answers ping on the port address),
 * TCP and UDP (ssh, its health checks' replies, BGP), ICMP errors about
 * what it sent, any other protocol (OSPF, GRE). Without one, the fast
 * path answers echo and nothing else.
 */
static enum fp_verdict to_self(struct fp_worker *w, struct fp_bpkt *bp)
{
	if (w->snap->ports[bp->in_port].kernel)
		return to_kernel(bp);
	if (bp->p.proto != FP_PROTO_ICMP)
		return fp_drop(w, FP_DROP_LOCAL_PROTO);
	if (bp->p.icmp_type == FP_ICMP_ECHO)
		return fp_echo_reply(w, bp);
	return fp_drop(w, FP_DROP_ICMP_UNHANDLED);
}

/* Neither to a VIP nor to us: replies of NAT connections and ICMP errors
 * real servers send about them. */
static enum fp_verdict transit(struct fp_worker *w, struct fp_bpkt *bp)
{
	struct fp_pkt *p = &bp->p;
	struct fp_quoted *q = &bp->q;

	switch (p->proto) {
	case FP_PROTO_TCP:
	case FP_PROTO_UDP:
		if (redirect(w, bp, p->dst, p->dport))
			return FP_V_REDIRECT;
		return want_lookup(w, bp, FP_K_OUT, p->src, p->dst, p->sport, p->dport, p->proto, FP_DIR_OUT);
	case FP_PROTO_ICMP:
		if (!fp_icmp_is_error(p->icmp_type))
			break;
		if (!fp_icmp_relayed(p->icmp_type))
			return fp_drop(w, FP_DROP_ICMP_NOT_RELAYED);
		if (!fp_parse_quoted(p, q) || !q->has_ports)
			break;
		/* quoted: client:cport -> RS:rport, a packet we forwarded */
		if (redirect(w, bp, q->src, q->sport))
			return FP_V_REDIRECT;
		return want_lookup(w, bp, FP_K_ICMP_OUT, q->dst, q->src, q->dport, q->sport, q->proto, FP_DIR_OUT);
	}
	return fp_drop(w, FP_DROP_NOT_LOCAL);
}

enum fp_verdict fp_classify(struct fp_worker *w, struct fp_bpkt *bp)
{
	struct rte_mbuf *m = bp->m;
	const struct fp_snapshot *s = w->snap;
	uint8_t owner;
	int r;

	if (FP_UNLIKELY(m->nb_segs != 1))
		return fp_drop(w, FP_DROP_MULTI_SEGMENT);
	r = fp_parse(fp_mbuf_data(m), m->data_len, &bp->p);
	if (FP_UNLIKELY(r != FP_DROP_NONE))
		return fp_drop(w, (enum fp_drop)r);
	r = fp_check_macs(w, bp, bp->p.ethertype == FP_ETHERTYPE_ARP);
	if (FP_UNLIKELY(r != FP_DROP_NONE))
		return fp_drop(w, (enum fp_drop)r);
	if (bp->p.ethertype == FP_ETHERTYPE_ARP) {
		bp->punt = FP_PUNT_ARP;
		return FP_V_PUNT;
	}
	r = fp_check_addresses(w, bp);
	if (FP_UNLIKELY(r != FP_DROP_NONE)) {
		if (r != FP_ADDR_KERNEL)
			return fp_drop(w, (enum fp_drop)r);
		/* multicast to a kernel interface, its source checked */
		r = fp_check_l4(bp);
		return r == FP_DROP_NONE ? to_kernel(bp) : fp_drop(w, (enum fp_drop)r);
	}
	r = fp_check_l4(bp);
	if (FP_UNLIKELY(r != FP_DROP_NONE))
		return fp_drop(w, (enum fp_drop)r);
	r = fp_vip_owner(s, bp->p.dst, &owner);
	if (r == FP_VIP_STANDBY)
		return fp_drop(w, FP_DROP_VIP_STANDBY); /* the master answers it */
	if (r == FP_VIP_ACTIVE)
		return to_vip(w, bp);
	if (fp_own_address(s, bp->p.dst))
		return to_self(w, bp);
	return transit(w, bp);
}
