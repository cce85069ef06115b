/*
 * fp_pkt.h - a parsed frame: offsets for the rewriters and the fields the
 * classifier and the connection table need. Parsed in place, never copied.
 */
#ifndef FP_PKT_H
#define FP_PKT_H

#include <stdint.h>

enum {
	FP_ETH_LEN = 14,
	FP_IP_LEN = 20,      /* IPv4 header without options */
	FP_TCP_LEN = 20,
	FP_UDP_LEN = 8,
	FP_ICMP_LEN = 8,
	FP_MIN_FRAME = 60,   /* Ethernet minimum without FCS */
	FP_ICMP_QUOTE_MAX = 548, /* RFC 1812 4.3.2.3: error datagrams fit 576 bytes */

	FP_ETHERTYPE_IPV4 = 0x0800,
	FP_ETHERTYPE_ARP = 0x0806,
	FP_ETHERTYPE_VLAN = 0x8100,
	FP_ETHERTYPE_QINQ = 0x88a8,

	FP_PROTO_ICMP = 1,
	FP_PROTO_IPIP = 4,
	FP_PROTO_TCP = 6,
	FP_PROTO_UDP = 17,

	FP_TCP_FIN = 0x01,
	FP_TCP_SYN = 0x02,
	FP_TCP_RST = 0x04,
	FP_TCP_ACK = 0x10,

	FP_ICMP_ECHO_REPLY = 0,
	FP_ICMP_DEST_UNREACH = 3,
	FP_ICMP_SOURCE_QUENCH = 4,
	FP_ICMP_REDIRECT = 5,
	FP_ICMP_ECHO = 8,
	FP_ICMP_TIME_EXCEEDED = 11,
	FP_ICMP_PARAM_PROBLEM = 12,
	FP_ICMP_CODE_FRAG_NEEDED = 4,

	FP_DEFAULT_TTL = 64,  /* our own replies and errors (Linux default) */
};

/* Offsets inside the IPv4 header and the TCP/UDP header. */
enum {
	FP_IP_OFF_TOTLEN = 2,
	FP_IP_OFF_FRAG = 6,
	FP_IP_OFF_TTL = 8,
	FP_IP_OFF_PROTO = 9,
	FP_IP_OFF_CSUM = 10,
	FP_IP_OFF_SRC = 12,
	FP_IP_OFF_DST = 16,
	FP_L4_OFF_SPORT = 0,
	FP_L4_OFF_DPORT = 2,
	FP_TCP_OFF_CSUM = 16,
	FP_UDP_OFF_CSUM = 6,
};

struct fp_pkt {
	uint8_t *frame;
	uint16_t len;        /* bytes of frame */
	uint16_t l3;         /* offset of the IPv4 (or ARP) header */
	uint16_t l4;         /* l3 + IHL * 4 */
	uint16_t ip_end;     /* l3 + total length: Ethernet padding after it is ignored */
	uint16_t ethertype;
	uint16_t sport;      /* TCP/UDP; for ICMP echo both hold the identifier */
	uint16_t dport;
	uint32_t src;
	uint32_t dst;
	uint8_t proto;
	uint8_t ttl;
	uint8_t df;
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint8_t _pad[2];
	uint32_t tcp_seq;
};

/* The datagram an ICMP error quotes. */
struct fp_quoted {
	uint16_t off;        /* offset of the quoted IP header in the frame */
	uint16_t l4;         /* offset of the quoted L4 header */
	uint32_t src;
	uint32_t dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
	uint8_t has_ports;   /* TCP/UDP, first fragment, >= 8 bytes of L4 quoted */
	uint8_t _pad[2];
};

/* Parses frame[0:len) into p; returns 0 (FP_DROP_NONE) or a drop reason. */
int fp_parse(uint8_t *frame, uint16_t len, struct fp_pkt *p);

/* 1 when type is an ICMP error (quotes the datagram that caused it). */
int fp_icmp_is_error(uint8_t type);

/* Decodes the datagram quoted by the ICMP error in p; 0 when malformed. */
int fp_parse_quoted(const struct fp_pkt *p, struct fp_quoted *q);

static inline uint8_t *fp_ip(const struct fp_pkt *p) { return p->frame + p->l3; }
static inline uint8_t *fp_l4(const struct fp_pkt *p) { return p->frame + p->l4; }
static inline uint16_t fp_ip_len(const struct fp_pkt *p) { return (uint16_t)(p->ip_end - p->l3); }

#endif /* FP_PKT_H */
