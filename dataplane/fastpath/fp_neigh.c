/*
 * fp_neigh.c - writer side of the neighbour mirror (see fp_neigh.h).
 * Publication order: a new slot's word is stored before its address, so a
 * reader that finds the address also finds its MAC.
 */
#include <errno.h>
#include <string.h>

#include "fp_neigh.h"

static uint32_t slots_for(uint32_t capacity)
{
	uint32_t n = 64;

	while (n < 2 * capacity && n < (1u << 30))
		n <<= 1;
	return n;
}

uint64_t fp_neigh_footprint(uint32_t capacity)
{
	return sizeof(struct fp_neigh_table) + (uint64_t)slots_for(capacity) * sizeof(struct fp_neigh_entry);
}

void fp_neigh_init(struct fp_neigh_table *t, uint32_t capacity)
{
	uint32_t n = slots_for(capacity);

	memset(t, 0, sizeof(*t) + (size_t)n * sizeof(struct fp_neigh_entry));
	t->mask = n - 1;
}

uint32_t fp_neigh_used(const struct fp_neigh_table *t) { return t->used; }
uint32_t fp_neigh_capacity(const struct fp_neigh_table *t) { return (t->mask + 1) / 2; }

static struct fp_neigh_entry *find(struct fp_neigh_table *t, uint32_t ip, int claim)
{
	uint32_t i = fp_neigh_hash(ip) & t->mask, n;

	for (n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
		if (t->e[i].ip == ip)
			return &t->e[i];
		if (t->e[i].ip == 0) {
			if (!claim || t->used >= fp_neigh_capacity(t))
				return NULL;
			return &t->e[i];
		}
	}
	return NULL;
}

static void bump(struct fp_neigh_table *t)
{
	__atomic_fetch_add(&t->version, 1, __ATOMIC_RELEASE);
}

int fp_neigh_set(struct fp_neigh_table *t, uint32_t ip, uint8_t port, const uint8_t mac[6])
{
	struct fp_neigh_entry *e;
	uint64_t w = FP_NEIGH_VALID | (uint64_t)port << 48;
	int i;

	if (ip == 0)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		w |= (uint64_t)mac[i] << (40 - 8 * i);
	e = find(t, ip, 1);
	if (e == NULL)
		return -ENOSPC;
	if (e->ip == ip && __atomic_load_n(&e->word, __ATOMIC_RELAXED) == w)
		return 0;
	__atomic_store_n(&e->word, w, __ATOMIC_RELEASE);
	if (e->ip == 0) {
		__atomic_store_n(&e->ip, ip, __ATOMIC_RELEASE);
		t->used++;
	}
	bump(t);
	return 0;
}

void fp_neigh_clear(struct fp_neigh_table *t, uint32_t ip)
{
	struct fp_neigh_entry *e = ip ? find(t, ip, 0) : NULL;

	if (e == NULL || e->word == 0)
		return;
	__atomic_store_n(&e->word, 0, __ATOMIC_RELEASE);
	bump(t);
}

int fp_neigh_copy(struct fp_neigh_table *to, const struct fp_neigh_table *from)
{
	uint32_t i;
	int r;

	for (i = 0; i <= from->mask; i++) {
		uint64_t w = from->e[i].word;
		uint8_t mac[6];

		if (from->e[i].ip == 0 || w == 0)
			continue;
		fp_neigh_mac(w, mac);
		r = fp_neigh_set(to, from->e[i].ip, (uint8_t)(w >> 48 & 0x7f), mac);
		if (r != 0)
			return r;
	}
	/* Versions keep growing across tables: lcores' caches key on them. */
	__atomic_store_n(&to->version, from->version + 1, __ATOMIC_RELEASE);
	return 0;
}
