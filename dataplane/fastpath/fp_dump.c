/*
 * fp_dump.c - the connection listing's read side (see fp_dump.h). It runs
 * on a control-plane thread, never on an lcore.
 */
#include <string.h>

#include "fp_dump.h"

#define CONN_WORDS (sizeof(struct fp_conn) / sizeof(uint32_t))

_Static_assert(sizeof(struct fp_conn) % sizeof(uint32_t) == 0, "fp_conn is read as 32-bit words");

/* One read of a conn, word by word with relaxed atomic loads: the lcore
 * writes it concurrently, and each word is then a value it really held. */
static void read_conn(const struct fp_conn *c, uint32_t *words)
{
	const uint32_t *src = (const uint32_t *)c;
	uint32_t i;

	for (i = 0; i < CONN_WORDS; i++)
		words[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* 1 with *out a consistent copy of c in use, 0 for a free conn, -1 when
 * the two reads disagreed (the lcore was writing it). */
static int copy_stable(const struct fp_conn *c, struct fp_conn *out)
{
	uint32_t a[CONN_WORDS], b[CONN_WORDS];

	read_conn(c, a);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	read_conn(c, b);
	if (memcmp(a, b, sizeof(a)) != 0)
		return -1;
	memcpy(out, a, sizeof(*out));
	return (out->flags & FP_CONN_F_USED) ? 1 : 0;
}

void fp_conn_dump(const struct fp_worker *w, uint32_t cursor, struct fp_conn *out,
	uint32_t max, uint32_t scan, struct fp_dump_result *res)
{
	const struct fp_conn_table *t = &w->conns;
	uint32_t end = __atomic_load_n(&t->hw, __ATOMIC_ACQUIRE);
	uint32_t i, stop;
	int r;

	memset(res, 0, sizeof(*res));
	res->end = end;
	res->now = __atomic_load_n(&w->now, __ATOMIC_RELAXED);
	if (cursor >= end) {
		res->next = end;
		return;
	}
	stop = end - cursor > scan ? cursor + scan : end;
	for (i = cursor; i < stop && res->copied < max; i++) {
		r = copy_stable(&t->conns[i], &out[res->copied]);
		if (r < 0)
			r = copy_stable(&t->conns[i], &out[res->copied]);
		if (r < 0)
			res->unstable++;
		else
			res->copied += (uint32_t)r;
	}
	res->next = i;
}
