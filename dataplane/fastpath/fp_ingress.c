/*
 * fp_ingress.c - the address checks a careful router makes before it looks
 * any further (RFC 1812 5.3.7 and Linux's martian and rp_filter rules):
 * martian and spoofed addresses, sources that do not route back out of the
 * port they came in on. The Ethernet and L4 checks are inline in
 * fp_ingress.h. Each refusal is its own drop reason.
 */
#include "fp_internal.h"

/* 0/8 (this network), 127/8 (loopback), 224/4 (multicast), 240/4 (class E
 * and the limited broadcast): never a source, and nothing we route to. */
static inline int martian(uint32_t a)
{
	uint32_t top = a >> 24;

	return top == 0 || top == 127 || top >= 224;
}

/* A's host part on a subnet of host mask host is all ones (the directed
 * broadcast) or all zeros (the network address); /31 and /32 have neither
 * (RFC 3021). */
static inline int subnet_edge(uint32_t a, uint32_t host)
{
	return host > 1 && ((a & host) == host || (a & host) == 0);
}

/*
 * The IP addresses of a packet that is not ARP: no martian source or
 * destination, no source that is ours (a port address or a VIP), and with
 * rp_filter the source must route back out of the port the packet came
 * in on (strict, the default: a real server's replies are accepted only
 * on the port that routes to it) or at least out of some port (loose).
 * One pass over the ports answers all of it (every packet pays it).
 * Multicast for a kernel interface passes the source checks and comes
 * back as FP_ADDR_KERNEL.
 */
int fp_check_addresses(const struct fp_worker *w, const struct fp_bpkt *bp)
{
	const struct fp_snapshot *s = w->snap;
	uint32_t src = bp->p.src, dst = bp->p.dst;
	int src_port = -1, gw_port = -1, bad_src = martian(src), bad_dst = martian(dst), ours = 0, kernel = 0;
	uint8_t vip_port;
	uint16_t i;

	for (i = 0; i < s->n_ports; i++) {
		const struct fp_port *p = &s->ports[i];
		uint32_t host = ~p->mask;

		if ((src & p->mask) == p->net) {
			bad_src |= subnet_edge(src, host);
			ours |= src == p->ip;
			if (src_port < 0)
				src_port = i;
		}
		if ((dst & p->mask) == p->net)
			bad_dst |= subnet_edge(dst, host);
		if (gw_port < 0 && p->gateway != 0)
			gw_port = i;
	}
	if (bad_src)
		return FP_DROP_MARTIAN_SRC;
	if (bad_dst) {
		if (!fp_kernel_multicast(s, bp))
			return FP_DROP_MARTIAN_DST;
		kernel = 1;
	}
	/* our addresses and VIPs all sit in connected subnets */
	if (src_port >= 0 && (ours || fp_vip_owner(s, src, &vip_port)))
		return FP_DROP_SPOOFED_SRC;
	if (src_port < 0)
		src_port = gw_port; /* routed by the first gateway, as fp_route */
	switch (s->sec.rp_filter) {
	case FP_RP_STRICT:
		if (src_port != bp->in_port)
			return FP_DROP_RP_FILTER;
		break;
	case FP_RP_LOOSE:
		if (src_port < 0)
			return FP_DROP_RP_FILTER;
		break;
	}
	return kernel ? FP_ADDR_KERNEL : FP_DROP_NONE;
}

int fp_kernel_multicast(const struct fp_snapshot *s, const struct fp_bpkt *bp)
{
	const uint8_t *f = bp->p.frame;
	uint32_t dst = bp->p.dst;

	return s->ports[bp->in_port].kernel && bp->p.ethertype == FP_ETHERTYPE_IPV4 && (dst >> 28) == 0xe &&
		f[0] == 0x01 && f[1] == 0x00 && f[2] == 0x5e &&
		f[3] == (uint8_t)(dst >> 16 & 0x7f) && f[4] == (uint8_t)(dst >> 8) && f[5] == (uint8_t)dst;
}
