/*
 * fp_parse.c - validation and decoding of Ethernet, IPv4 and TCP/UDP/ICMP
 * headers in place. Everything the rewriters later touch is checked here,
 * so they can trust the offsets in struct fp_pkt.
 */
#include <string.h>

#include "fp_layout.h"
#include "fp_pkt.h"
#include "fp_wire.h"

/*
 * IPv4 options (RFC 791): each must be well formed (a length of at least
 * 2 that stays inside the header) and none a source route (loose 131,
 * strict 137): RFC 1812 5.2.4.1 lets a router refuse those, Linux does by
 * default (accept_source_route=0), and no client may pick the path of a
 * load-balanced flow. Other options are carried on untouched, as IPVS
 * does.
 */
static int check_options(const uint8_t *o, uint32_t n)
{
	uint32_t i = 0, len;

	while (i < n) {
		if (o[i] == 0) /* end of the list */
			break;
		if (o[i] == 1) { /* no operation */
			i++;
			continue;
		}
		if (i + 1 >= n)
			return FP_DROP_BAD_IP_OPTIONS;
		len = o[i + 1];
		if (len < 2 || i + len > n)
			return FP_DROP_BAD_IP_OPTIONS;
		if (o[i] == 131 || o[i] == 137)
			return FP_DROP_SOURCE_ROUTE;
		i += len;
	}
	return FP_DROP_NONE;
}

static int parse_ipv4(struct fp_pkt *p)
{
	const uint8_t *ip;
	uint32_t avail, ihl, total;
	uint16_t frag;

	if (p->len < p->l3 + FP_IP_LEN)
		return FP_DROP_TRUNCATED;
	ip = fp_ip(p);
	avail = (uint32_t)p->len - p->l3;
	if (ip[0] >> 4 != 4)
		return FP_DROP_BAD_VERSION;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < FP_IP_LEN || ihl > avail)
		return FP_DROP_BAD_IHL;
	total = fp_get16(ip + FP_IP_OFF_TOTLEN);
	if (total < ihl || total > avail)
		return FP_DROP_BAD_TOTAL_LEN;
	if (!(ihl == FP_IP_LEN ? fp_csum20_ok(ip) : fp_csum_ok(ip, ihl)))
		return FP_DROP_BAD_CHECKSUM;
	if (ihl > FP_IP_LEN) {
		int r = check_options(ip + FP_IP_LEN, ihl - FP_IP_LEN);

		if (r != FP_DROP_NONE)
			return r;
	}
	frag = fp_get16(ip + FP_IP_OFF_FRAG);
	if (frag & 0x3fff)  /* MF or an offset: no reassembly, so no ports */
		return FP_DROP_FRAGMENT;
	p->df = (frag & 0x4000) != 0;
	p->ttl = ip[FP_IP_OFF_TTL];
	p->proto = ip[FP_IP_OFF_PROTO];
	p->src = fp_get32(ip + FP_IP_OFF_SRC);
	p->dst = fp_get32(ip + FP_IP_OFF_DST);
	p->l4 = (uint16_t)(p->l3 + ihl);
	p->ip_end = (uint16_t)(p->l3 + total);
	return FP_DROP_NONE;
}

static int parse_tcp(struct fp_pkt *p)
{
	const uint8_t *t = fp_l4(p);
	uint32_t seg = (uint32_t)p->ip_end - p->l4, doff;

	if (seg < FP_TCP_LEN)
		return FP_DROP_L4_TRUNCATED;
	doff = (uint32_t)(t[12] >> 4) * 4;
	if (doff < FP_TCP_LEN || doff > seg)
		return FP_DROP_BAD_TCP_OFFSET;
	p->sport = fp_get16(t);
	p->dport = fp_get16(t + 2);
	p->tcp_seq = fp_get32(t + 4);
	p->tcp_flags = t[13];
	return FP_DROP_NONE;
}

static int parse_udp(struct fp_pkt *p)
{
	const uint8_t *u = fp_l4(p);
	uint32_t seg = (uint32_t)p->ip_end - p->l4, ulen;

	if (seg < FP_UDP_LEN)
		return FP_DROP_L4_TRUNCATED;
	/* Shorter than the IP payload is legal (receivers ignore the rest);
	 * longer, or below the header, is not. */
	ulen = fp_get16(u + 4);
	if (ulen < FP_UDP_LEN || ulen > seg)
		return FP_DROP_L4_TRUNCATED;
	p->sport = fp_get16(u);
	p->dport = fp_get16(u + 2);
	return FP_DROP_NONE;
}

static int parse_icmp(struct fp_pkt *p)
{
	const uint8_t *c = fp_l4(p);

	if ((uint32_t)p->ip_end - p->l4 < FP_ICMP_LEN)
		return FP_DROP_L4_TRUNCATED;
	p->icmp_type = c[0];
	p->icmp_code = c[1];
	if (c[0] == FP_ICMP_ECHO || c[0] == FP_ICMP_ECHO_REPLY) {
		/* The identifier plays the part of both ports. */
		p->sport = fp_get16(c + 4);
		p->dport = p->sport;
	}
	return FP_DROP_NONE;
}

int fp_parse(uint8_t *frame, uint16_t len, struct fp_pkt *p)
{
	int r;

	memset(p, 0, sizeof(*p));
	p->frame = frame;
	p->len = len;
	if (len < FP_ETH_LEN)
		return FP_DROP_TRUNCATED;
	p->ethertype = fp_get16(frame + 12);
	p->l3 = FP_ETH_LEN;
	switch (p->ethertype) {
	case FP_ETHERTYPE_IPV4:
		break;
	case FP_ETHERTYPE_ARP:
		return FP_DROP_NONE;
	case FP_ETHERTYPE_VLAN:
	case FP_ETHERTYPE_QINQ:
		return FP_DROP_VLAN;
	default:
		return FP_DROP_NOT_IPV4;
	}
	r = parse_ipv4(p);
	if (r != FP_DROP_NONE)
		return r;
	switch (p->proto) {
	case FP_PROTO_TCP:
		return parse_tcp(p);
	case FP_PROTO_UDP:
		return parse_udp(p);
	case FP_PROTO_ICMP:
		return parse_icmp(p);
	}
	return FP_DROP_NONE;
}

int fp_icmp_is_error(uint8_t type)
{
	switch (type) {
	case FP_ICMP_DEST_UNREACH:
	case FP_ICMP_SOURCE_QUENCH:
	case FP_ICMP_REDIRECT:
	case FP_ICMP_TIME_EXCEEDED:
	case FP_ICMP_PARAM_PROBLEM:
		return 1;
	}
	return 0;
}

int fp_parse_quoted(const struct fp_pkt *p, struct fp_quoted *q)
{
	const uint8_t *ip;
	uint32_t avail, ihl;

	memset(q, 0, sizeof(*q));
	if (p->proto != FP_PROTO_ICMP || !fp_icmp_is_error(p->icmp_type))
		return 0;
	if ((uint32_t)p->ip_end - p->l4 < FP_ICMP_LEN + FP_IP_LEN)
		return 0;
	q->off = (uint16_t)(p->l4 + FP_ICMP_LEN);
	ip = p->frame + q->off;
	avail = (uint32_t)p->ip_end - q->off;
	if (ip[0] >> 4 != 4)
		return 0;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < FP_IP_LEN || ihl > avail)
		return 0;
	q->l4 = (uint16_t)(q->off + ihl);
	q->src = fp_get32(ip + FP_IP_OFF_SRC);
	q->dst = fp_get32(ip + FP_IP_OFF_DST);
	q->proto = ip[FP_IP_OFF_PROTO];
	/* A non-first fragment carries no L4 header: its bytes are no ports. */
	if ((q->proto == FP_PROTO_TCP || q->proto == FP_PROTO_UDP) &&
	    (fp_get16(ip + FP_IP_OFF_FRAG) & 0x1fff) == 0 && avail >= ihl + 8) {
		q->sport = fp_get16(p->frame + q->l4);
		q->dport = fp_get16(p->frame + q->l4 + 2);
		q->has_ports = 1;
	}
	return 1;
}
