/*
 * fp_icmp.c - ICMP the fast path answers or rewrites in place: echo
 * replies, the translation of errors along NAT connections, and
 * fragmentation-needed for datagrams too big for a tunnel.
 */
#include "fp_internal.h"

/* An echo request becomes its reply in the same buffer: back to the
 * sender's MAC from our port's (never the MAC the request was sent to,
 * which may be anyone's), addresses swapped, type 0, TTL 64; both
 * checksums updated incrementally (swapping addresses changes no sum). */
enum fp_verdict fp_echo_reply(struct fp_worker *w, struct fp_bpkt *bp)
{
	struct fp_pkt *p = &bp->p;
	uint8_t *ip = fp_ip(p), *icmp = fp_l4(p);
	uint16_t old;

	/* Only a request whose checksum is right is answered (RFC 1122
	 * 3.2.2: a bad one is discarded silently). */
	if (fp_csum(icmp, (uint32_t)p->ip_end - p->l4, 0) != 0)
		return fp_drop(w, FP_DROP_BAD_ICMP_CHECKSUM);

	memcpy(p->frame, p->frame + 6, 6);
	memcpy(p->frame + 6, w->snap->ports[bp->in_port].mac, 6);
	fp_put32(ip + FP_IP_OFF_SRC, p->dst);
	fp_put32(ip + FP_IP_OFF_DST, p->src);
	old = fp_get16(ip + FP_IP_OFF_TTL);
	ip[FP_IP_OFF_TTL] = FP_DEFAULT_TTL;
	fp_fix16(ip + FP_IP_OFF_CSUM, old, fp_get16(ip + FP_IP_OFF_TTL));
	old = fp_get16(icmp);
	icmp[0] = FP_ICMP_ECHO_REPLY;
	fp_fix16(icmp + 2, old, fp_get16(icmp));
	/* RFC 1624 eqn. 3 gives 0x0000 where only 0xffff is right when the
	 * covered data is all zero, which an echo reply's can be (id 0, seq 0,
	 * no payload): recompute in that one case. */
	if (fp_get16(icmp + 2) == 0)
		fp_put16(icmp + 2, fp_csum(icmp, fp_ip_len(p) - (uint32_t)(p->l4 - p->l3), 0));
	fp_trim(bp);
	bp->out_port = bp->in_port;
	bp->out_kind = FP_OUT_ANSWERED;
	return FP_V_TX;
}

/*
 * Rewrites the quoted datagram's address and port (fixing the quoted IP
 * checksum and, when quoted, its TCP/UDP checksum), recomputes the ICMP
 * checksum over the whole message and rewrites the outer address. The ICMP
 * checksum is recomputed rather than updated: up to six quoted words
 * change, a partly quoted checksum field cannot be tracked, and errors are
 * small (RFC 1812 caps them at 576 bytes).
 */
int fp_icmp_translate(struct fp_bpkt *bp, uint32_t outer_off, uint32_t outer,
	uint32_t inner_off, uint32_t port_off, uint32_t inner, uint16_t port)
{
	struct fp_pkt *p = &bp->p;
	const struct fp_quoted *q = &bp->q;
	uint8_t *f = p->frame, *qip = f + q->off, *icmp = fp_l4(p), *ip = fp_ip(p);
	uint32_t old;

	if (q->off != p->l4 + FP_ICMP_LEN || q->l4 < q->off + FP_IP_LEN || q->l4 > p->ip_end)
		return 0;
	if (q->has_ports && q->l4 + 8u > p->ip_end)
		return 0;
	old = fp_get32(qip + inner_off);
	fp_put32(qip + inner_off, inner);
	fp_fix32(qip + FP_IP_OFF_CSUM, old, inner);
	if (q->has_ports) {
		uint8_t *ql4 = f + q->l4;
		uint16_t old_port = fp_get16(ql4 + port_off);
		uint32_t cs = q->l4 + (q->proto == FP_PROTO_TCP ? FP_TCP_OFF_CSUM : FP_UDP_OFF_CSUM);

		fp_put16(ql4 + port_off, port);
		if (cs + 2 <= p->ip_end) {
			uint16_t sum = fp_get16(f + cs);

			if (q->proto == FP_PROTO_TCP || sum != 0) {
				sum = fp_csum_update16(fp_csum_update32(sum, old, inner), old_port, port);
				if (q->proto == FP_PROTO_UDP && sum == 0)
					sum = 0xffff;
				fp_put16(f + cs, sum);
			}
		}
	}
	fp_put16(icmp + 2, 0);
	fp_put16(icmp + 2, fp_csum(icmp, (uint32_t)p->ip_end - p->l4, 0));
	old = fp_get32(ip + outer_off);
	fp_put32(ip + outer_off, outer);
	fp_fix32(ip + FP_IP_OFF_CSUM, old, outer);
	return 1;
}

/* ICMP errors we originate are rate limited per lcore (a token bucket of
 * security.icmp_rate per second, security.icmp_burst deep), as routers
 * limit theirs: a flood of TTL-1 or oversized packets cannot make us a
 * reflector. */
static int icmp_allowed(struct fp_worker *w)
{
	const struct fp_security *sec = &w->snap->sec;
	const uint64_t full = (uint64_t)sec->icmp_burst * 1000;
	uint32_t ms = w->now - w->icmp_ms;

	/* Credit in thousandths of a token accrues every millisecond, so a
	 * rate below 1000/s is not rounded away between close calls. */
	w->icmp_credit += (uint64_t)ms * sec->icmp_rate;
	if (w->icmp_credit > full)
		w->icmp_credit = full;
	w->icmp_ms = w->now;
	if (w->icmp_credit < 1000)
		return 0;
	w->icmp_credit -= 1000;
	return 1;
}

/*
 * Turns the datagram in bp into an ICMP error (type, code, and for
 * fragmentation-needed the next-hop MTU) to its sender from address from,
 * in the same mbuf: 28 bytes of headroom take the new Ethernet, IP and
 * ICMP headers, and the quoted datagram stays where it is (its IP header
 * is already 42 bytes in once the frame start moves back 28). Nothing is
 * allocated or copied. Rate limited; when it cannot be sent the packet is
 * dropped as otherwise.
 */
enum fp_verdict fp_icmp_error(struct fp_worker *w, struct fp_bpkt *bp, uint8_t type, uint8_t code,
	uint16_t mtu, uint32_t from, enum fp_drop otherwise)
{
	struct fp_pkt *p = &bp->p;
	uint32_t to = p->src, quote = fp_ip_len(p);
	const uint32_t hdrs = FP_IP_LEN + FP_ICMP_LEN;
	uint8_t *frame, *ip, *icmp;

	/* never an error about an error (RFC 1122 3.2.2) */
	if (p->proto == FP_PROTO_ICMP && fp_icmp_is_error(p->icmp_type))
		return fp_drop(w, otherwise);
	if (!icmp_allowed(w)) {
		w->cnt->icmp_rate_limited++;
		return fp_drop(w, otherwise);
	}
	if (p->l3 != FP_ETH_LEN || rte_pktmbuf_headroom(bp->m) < hdrs)
		return fp_drop(w, FP_DROP_NO_HEADROOM);
	if (quote > FP_ICMP_QUOTE_MAX)
		quote = FP_ICMP_QUOTE_MAX;
	fp_trim(bp);
	frame = (uint8_t *)rte_pktmbuf_prepend(bp->m, (uint16_t)hdrs);
	if (frame == NULL)
		return fp_drop(w, FP_DROP_NO_HEADROOM);
	fp_mbuf_set_len(bp->m, (uint16_t)(FP_ETH_LEN + hdrs + quote));
	fp_put16(frame + 12, FP_ETHERTYPE_IPV4);
	ip = frame + FP_ETH_LEN;
	icmp = ip + FP_IP_LEN;
	ip[0] = 0x45;
	ip[1] = 0xc0; /* internetwork control, RFC 1812 4.3.2.5 */
	fp_put16(ip + FP_IP_OFF_TOTLEN, (uint16_t)(hdrs + quote));
	fp_put32(ip + 4, 0); /* id 0, no DF: an error must not be refused for size */
	ip[FP_IP_OFF_TTL] = FP_DEFAULT_TTL;
	ip[FP_IP_OFF_PROTO] = FP_PROTO_ICMP;
	fp_put16(ip + FP_IP_OFF_CSUM, 0);
	fp_put32(ip + FP_IP_OFF_SRC, from);
	fp_put32(ip + FP_IP_OFF_DST, to);
	fp_put16(ip + FP_IP_OFF_CSUM, fp_csum(ip, FP_IP_LEN, 0));
	icmp[0] = type;
	icmp[1] = code;
	fp_put16(icmp + 2, 0);
	fp_put16(icmp + 4, 0);
	fp_put16(icmp + 6, mtu);
	fp_put16(icmp + 2, fp_csum(icmp, FP_ICMP_LEN + quote, 0));
	/* The frame is an IPv4 ICMP packet from now on. */
	p->frame = frame;
	p->len = (uint16_t)(FP_ETH_LEN + hdrs + quote);
	p->ip_end = p->len;
	p->l4 = FP_ETH_LEN + FP_IP_LEN;
	p->proto = FP_PROTO_ICMP;
	p->src = from;
	p->dst = to;
	/* counted once, when it leaves: sent, or held for the neighbour */
	bp->out_kind = type == FP_ICMP_TIME_EXCEEDED ? FP_OUT_TIME_EXCEEDED : FP_OUT_FRAG_NEEDED;
	return fp_to_host(w, bp, to);
}

/* Time exceeded in transit (TTL <= 1), from the address of the port the
 * datagram came in on, as a router sends it. */
enum fp_verdict fp_time_exceeded(struct fp_worker *w, struct fp_bpkt *bp)
{
	return fp_icmp_error(w, bp, FP_ICMP_TIME_EXCEEDED, 0, 0,
		w->snap->ports[bp->in_port].ip, FP_DROP_TTL_EXCEEDED);
}

/* A datagram of size len + extra does not fit port's MTU: with DF its
 * sender gets fragmentation-needed (from address from, with the MTU it
 * may use), without it is dropped: we do not fragment. Returns
 * FP_V_LOOKUP when it fits (nothing done). */
enum fp_verdict fp_check_mtu(struct fp_worker *w, struct fp_bpkt *bp, uint8_t port, uint32_t extra, uint32_t from)
{
	uint32_t mtu = w->snap->ports[port].mtu;

	if ((uint32_t)fp_ip_len(&bp->p) + extra <= mtu)
		return FP_V_LOOKUP;
	if (!bp->p.df)
		return fp_drop(w, FP_DROP_TOO_BIG_NO_DF);
	return fp_icmp_error(w, bp, FP_ICMP_DEST_UNREACH, FP_ICMP_CODE_FRAG_NEEDED,
		(uint16_t)(mtu - extra), from, FP_DROP_TOO_BIG);
}
