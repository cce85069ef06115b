/*
 * fp_ingress.h - the checks every received frame passes, inline in the
 * classifier: Ethernet addresses (not addressed to us, a group or zero
 * source) and the L4 header (port 0, TCP flags no endpoint sends). The
 * address checks are in fp_ingress.c.
 */
#ifndef FP_INGRESS_H
#define FP_INGRESS_H

#include "fp_internal.h"

static inline int mac_is_group(const uint8_t *mac) { return mac[0] & 1; }

static inline int mac_is_zero(const uint8_t *mac)
{
	return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}

static inline int mac_is_broadcast(const uint8_t *mac)
{
	return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xff;
}

/* Whether mac is one of the port's virtual MACs. Only frames that are not
 * to the port's own MAC get here. */
static inline int fp_port_vmac(const struct fp_snapshot *s, uint8_t port, const uint8_t *mac)
{
	const struct fp_vmacs *v = &s->vmacs[port];
	uint8_t i;

	for (i = 0; i < v->n; i++)
		if (memcmp(mac, v->mac[i], 6) == 0)
			return 1;
	return 0;
}

/* The Ethernet addresses: never a group or zero source; with mac_filter,
 * only our port's unicast MAC or one of its virtual MACs as destination,
 * broadcast for ARP, and on a port with a kernel interface the group MAC
 * of a multicast packet. */
static inline enum fp_drop fp_check_macs(const struct fp_worker *w, const struct fp_bpkt *bp, int arp)
{
	const uint8_t *f = bp->p.frame;
	const struct fp_port *in = &w->snap->ports[bp->in_port];

	if (mac_is_group(f + 6) || mac_is_zero(f + 6))
		return FP_DROP_BAD_SRC_MAC;
	if (w->snap->sec.mac_filter && memcmp(f, in->mac, 6) != 0 && !(arp && mac_is_broadcast(f)) &&
	    !fp_kernel_multicast(w->snap, bp) && !fp_port_vmac(w->snap, bp->in_port, f))
		return FP_DROP_BAD_DST_MAC;
	return FP_DROP_NONE;
}

/*
 * The flag combinations TCP endpoints send, as Linux's conntrack accepts
 * them (PSH, ECE and CWR aside): a SYN with or without ACK, a RST with or
 * without ACK, FIN or nothing else with ACK, URG where it may go. SYN+FIN,
 * SYN+RST, a FIN without ACK and a segment without flags are scans or
 * attacks.
 */
#define FP_TCP_URG 0x20
#define FP_TCP_PSH 0x08
static const uint8_t tcp_flags_valid[64] = {
#define S(f) [f] = 1
	S(FP_TCP_SYN), S(FP_TCP_SYN | FP_TCP_URG), S(FP_TCP_SYN | FP_TCP_ACK),
	S(FP_TCP_RST), S(FP_TCP_RST | FP_TCP_ACK),
	S(FP_TCP_FIN | FP_TCP_ACK), S(FP_TCP_FIN | FP_TCP_ACK | FP_TCP_URG),
	S(FP_TCP_ACK), S(FP_TCP_ACK | FP_TCP_URG),
#undef S
};

/* TCP/UDP port 0 is reserved; TCP flags must be a combination above. */
static inline enum fp_drop fp_check_l4(const struct fp_bpkt *bp)
{
	const struct fp_pkt *p = &bp->p;

	if (p->proto != FP_PROTO_TCP && p->proto != FP_PROTO_UDP)
		return FP_DROP_NONE;
	if (p->sport == 0 || p->dport == 0)
		return FP_DROP_PORT_ZERO;
	if (p->proto == FP_PROTO_TCP && !tcp_flags_valid[p->tcp_flags & 0x3f & ~FP_TCP_PSH])
		return FP_DROP_BAD_TCP_FLAGS;
	return FP_DROP_NONE;
}

#endif
