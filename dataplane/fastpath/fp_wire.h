/*
 * fp_wire.h - byte-order-safe access to packet fields and RFC 1624
 * incremental checksums.
 *
 * Frames sit at any alignment (the IPv4 header after a 14-byte Ethernet
 * header is only 2-byte aligned), so every multi-byte field is read and
 * written through memcpy: the compiler turns it into one unaligned load or
 * store, and no access is undefined behaviour.
 */
#ifndef FP_WIRE_H
#define FP_WIRE_H

#include <stdint.h>
#include <string.h>

static inline uint16_t fp_get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return __builtin_bswap16(v);
}

static inline uint32_t fp_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return __builtin_bswap32(v);
}

static inline void fp_put16(uint8_t *p, uint16_t v)
{
	v = __builtin_bswap16(v);
	memcpy(p, &v, 2);
}

static inline void fp_put32(uint8_t *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

/* Ones' complement sum of len bytes (network order words), unfolded. */
static inline uint32_t fp_sum(const uint8_t *p, uint32_t len, uint32_t sum)
{
	uint64_t s = sum;

	for (; len >= 4; p += 4, len -= 4)
		s += fp_get32(p);
	for (; len >= 2; p += 2, len -= 2)
		s += fp_get16(p);
	if (len)
		s += (uint32_t)p[0] << 8;
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}


static inline uint16_t fp_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/*
 * 1 when the len bytes (a multiple of 4: an IPv4 header) carry a valid
 * Internet checksum. The ones' complement sum is the same in either byte
 * order (RFC 1071), so words are added as they lie in memory, unswapped.
 */
static inline int fp_csum_ok(const uint8_t *p, uint32_t len)
{
	uint64_t s = 0;
	uint32_t v;

	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&v, p, 4);
		s += v;
	}
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return fp_fold((uint32_t)s) == 0xffff;
}

/* fp_csum_ok for the usual 20-byte IPv4 header: three loads, no loop. */
static inline int fp_csum20_ok(const uint8_t *p)
{
	uint64_t a, b, t;
	uint32_t c;
	unsigned __int128 s;

	memcpy(&a, p, 8);
	memcpy(&b, p + 8, 8);
	memcpy(&c, p + 16, 4);
	s = (unsigned __int128)a + b + c;
	t = (uint64_t)s + (uint64_t)(s >> 64); /* end-around carry: cannot overflow again */
	t = (t & 0xffffffff) + (t >> 32);
	t = (t & 0xffffffff) + (t >> 32);
	return fp_fold((uint32_t)t) == 0xffff;
}

/* The Internet checksum of len bytes starting from a partial sum. */
static inline uint16_t fp_csum(const uint8_t *p, uint32_t len, uint32_t sum)
{
	return (uint16_t)~fp_fold(fp_sum(p, len, sum));
}

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). Unlike eqn. 2 it never turns a
 * checksum that a full recomputation gives as 0x0000 into 0xffff; the one
 * case it gets wrong is data that is all zero after the change (it gives
 * 0x0000 for 0xffff), which no header with a pseudo-header or an IP
 * version can be, but an ICMP message can (see fp_echo_reply).
 */
static inline uint16_t fp_csum_update16(uint16_t csum, uint16_t old, uint16_t new)
{
	uint32_t s = (uint32_t)(uint16_t)~csum + (uint16_t)~old + new;

	return (uint16_t)~fp_fold(s);
}

static inline uint16_t fp_csum_update32(uint16_t csum, uint32_t old, uint32_t new)
{
	uint32_t s = (uint32_t)(uint16_t)~csum +
		(uint16_t)~(old >> 16) + (uint16_t)~(old & 0xffff) +
		(new >> 16) + (new & 0xffff);

	return (uint16_t)~fp_fold(s);
}

/* Updates the 16-bit checksum field at csum_at for a 32-bit change. */
static inline void fp_fix32(uint8_t *csum_at, uint32_t old, uint32_t new)
{
	fp_put16(csum_at, fp_csum_update32(fp_get16(csum_at), old, new));
}

static inline void fp_fix16(uint8_t *csum_at, uint16_t old, uint16_t new)
{
	fp_put16(csum_at, fp_csum_update16(fp_get16(csum_at), old, new));
}

#endif /* FP_WIRE_H */
