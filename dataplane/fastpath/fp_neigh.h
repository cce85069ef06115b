/*
 * fp_neigh.h - the lcores' read-only view of the neighbour (ARP) table.
 *
 * The Go slow path owns neighbour state (learning, aging, the hold queue)
 * and is the only writer of this mirror; lcores only look MACs up. An
 * entry's MAC and port travel in one 64-bit word (valid bit | port | MAC),
 * so a reader never sees a MAC with another entry's port. A slot, once
 * given an address, keeps it: deletion clears the word (a tombstone), and
 * the writer builds a fresh table when tombstones pile up.
 */
#ifndef FP_NEIGH_H
#define FP_NEIGH_H

#include <stdint.h>

struct fp_neigh_entry {
	uint32_t ip;     /* 0 = never used */
	uint32_t _pad;
	uint64_t word;   /* FP_NEIGH_VALID | port << 48 | MAC; 0 = not resolved */
};

struct fp_neigh_table {
	uint32_t mask;       /* slots - 1 */
	uint32_t used;       /* slots with an address (writer only) */
	uint32_t version;    /* bumped on every change; lcores cache by it */
	uint32_t _pad[13];
	struct fp_neigh_entry e[];
};

#define FP_NEIGH_VALID (1ULL << 63)

static inline uint32_t fp_neigh_hash(uint32_t ip)
{
	uint32_t h = ip * 0x9E3779B1u;

	return h ^ h >> 15;
}

static inline uint32_t fp_neigh_version(const struct fp_neigh_table *t)
{
	return __atomic_load_n(&t->version, __ATOMIC_ACQUIRE);
}

/* The resolved word of ip, or 0. */
static inline uint64_t fp_neigh_lookup(const struct fp_neigh_table *t, uint32_t ip)
{
	uint32_t i = fp_neigh_hash(ip) & t->mask, n;

	for (n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
		uint32_t cur = __atomic_load_n(&t->e[i].ip, __ATOMIC_ACQUIRE);

		if (cur == ip)
			return __atomic_load_n(&t->e[i].word, __ATOMIC_ACQUIRE);
		if (cur == 0)
			return 0;
	}
	return 0;
}

static inline void fp_neigh_mac(uint64_t word, uint8_t mac[6])
{
	int i;

	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)(word >> (40 - 8 * i));
}

/* ---- writer side (the Go slow path, one goroutine at a time) ---- */

/* Bytes of a table with room for capacity addresses (load <= 1/2). */
uint64_t fp_neigh_footprint(uint32_t capacity);
void fp_neigh_init(struct fp_neigh_table *t, uint32_t capacity);
/* 0, or -ENOSPC when no slot is left (rebuild into a fresh table). */
int fp_neigh_set(struct fp_neigh_table *t, uint32_t ip, uint8_t port, const uint8_t mac[6]);
void fp_neigh_clear(struct fp_neigh_table *t, uint32_t ip);
/* Copies the resolved entries of from into the empty table to. */
int fp_neigh_copy(struct fp_neigh_table *to, const struct fp_neigh_table *from);
/* Slots in use (resolved or tombstones) and capacity, to decide a rebuild. */
uint32_t fp_neigh_used(const struct fp_neigh_table *t);
uint32_t fp_neigh_capacity(const struct fp_neigh_table *t);

#endif /* FP_NEIGH_H */
