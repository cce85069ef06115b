/*
 * conntable: govs's connection table (dataplane/fastpath/fp_conn.c) against
 * DPDK's rte_hash, on the same connections looked up in the same order
 * (issue 7: use DPDK's libraries where they fit).
 *
 * For each case of N connections in a table of CAPACITY (govsd's sizing):
 *   govs:     fp_conn_init in rte_zmalloc memory, N conns inserted, then
 *             fp_conn_lookup_bulk in bursts of 32 over both keys of every
 *             conn, shuffled (an lcore sees in- and out-keys mixed).
 *   rte_hash: one rte_hash of 2 x CAPACITY 16-byte keys (struct fp_key: the
 *             5-tuple and the direction), data = the index of the conn in a
 *             separate array of the same 32-byte records; one writer (no
 *             multi-writer flags), extendable buckets so that CAPACITY conns
 *             always fit, as they do in ours. rte_hash_lookup_bulk_data in
 *             bursts of 32, then the records of the hits are prefetched and
 *             read: the lcore needs the record, not only its index.
 * Memory: ours is fp_conn_footprint(CAPACITY); rte_hash's is the growth of
 * the socket's rte_malloc heap (heap_allocsz_bytes) while the hash and the
 * record array are created and filled. Both per conn of capacity.
 *
 * The bench compiles it at run time, with fp_conn.c, so the table measured
 * is exactly govsd's:
 *   gcc -O3 -Wall -Wextra $(pkg-config --cflags libdpdk) \
 *       -I dataplane/fastpath bench/conntable/conntable.c \
 *       dataplane/fastpath/fp_conn.c -o conntable $(pkg-config --libs libdpdk)
 *   conntable -l 1 --in-memory --no-pci --no-telemetry -- \
 *       --case 65536:72704 --case 1048576:1153024 --secs 2
 *
 * Output (stdout, one line per measurement, then "CONNTABLE done"):
 *   CONNTABLE impl=govs flows=65536 capacity=72704 ns_per_lookup=41.20
 *           bytes_per_conn=64.0 bytes=4653056 lookups=48496640 secs=2.000
 * Errors go to stderr as "conntable: ..." and exit with status 1.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "fp_conn.h"
#include "fp_pkt.h"

enum { BURST = 32, MAX_CASES = 8, CLOCK_EVERY = 1024 /* bursts between clock reads */ };

struct bench_case {
	uint32_t flows, capacity;
};

static struct bench_case cases[MAX_CASES];
static unsigned num_cases;
static double secs = 2;
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "conntable: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t rnd(void) /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* govsd's sizing of a table for flows (bench's tableFor): 10 % headroom,
 * rounded up to 1024. */
static uint32_t table_for(uint32_t flows)
{
	uint64_t n = ((uint64_t)flows + flows / 10 + 1023) & ~(uint64_t)1023;

	return n < 1024 ? 1024 : (uint32_t)n;
}

static int parse_case(const char *arg)
{
	unsigned long flows, capacity;
	char *end;

	if (num_cases == MAX_CASES)
		return -1;
	flows = strtoul(arg, &end, 10);
	if (flows > FP_CONN_MAX_CAPACITY)
		return -1;
	if (*end == ':')
		capacity = strtoul(end + 1, &end, 10);
	else
		capacity = table_for((uint32_t)flows);
	if (*end != '\0' || flows < BURST || capacity < flows || capacity > FP_CONN_MAX_CAPACITY)
		return -1;
	cases[num_cases++] = (struct bench_case){ (uint32_t)flows, (uint32_t)capacity };
	return 0;
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "secs", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	char *end;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			if (parse_case(optarg) < 0)
				die("--case %s: want FLOWS[:CAPACITY], %d <= FLOWS <= CAPACITY <= %d, at most %d cases",
					optarg, BURST, FP_CONN_MAX_CAPACITY, MAX_CASES);
			break;
		case 's':
			secs = strtod(optarg, &end);
			if (*end != '\0' || secs <= 0 || secs > 60)
				die("--secs %s: want a duration in (0, 60]", optarg);
			break;
		default:
			die("usage: conntable <EAL args> -- [--case FLOWS[:CAPACITY]]... [--secs S]");
		}
	}
	if (optind < argc)
		die("unexpected argument %s", argv[optind]);
	if (num_cases == 0) {
		parse_case("65536");
		parse_case("1048576");
	}
}

static void *zmalloc(const char *what, size_t size)
{
	void *p = rte_zmalloc_socket(what, size, RTE_CACHE_LINE_SIZE, (int)rte_socket_id());

	if (p == NULL)
		die("rte_zmalloc %s (%zu bytes) failed: out of hugepage memory?", what, size);
	return p;
}

static void *xmalloc(const char *what, size_t size)
{
	void *p = malloc(size);

	if (p == NULL)
		die("malloc %s (%zu bytes) failed", what, size);
	return p;
}

static uint64_t heap_allocated(void)
{
	struct rte_malloc_socket_stats st;

	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &st) < 0)
		die("rte_malloc_get_socket_stats(socket %u) failed", rte_socket_id());
	return st.heap_allocsz_bytes;
}

/* ---- the workload: connections and the keys an lcore looks up ---- */

struct workload {
	struct fp_conn *conns; /* flows distinct conns */
	struct fp_key *keys;   /* both keys of each, shuffled */
	uint64_t nkeys;
};

static void random_conn(struct fp_conn *c)
{
	uint64_t a = rnd(), b = rnd();

	memset(c, 0, sizeof(*c));
	c->client_ip = (uint32_t)a;
	c->vip = (uint32_t)(a >> 32);
	c->rs_ip = (uint32_t)b;
	c->client_port = (uint16_t)(b >> 32);
	c->vport = (uint16_t)(b >> 48);
	c->rs_port = (uint16_t)rnd();
	c->proto = FP_PROTO_TCP;
	c->state = FP_STATE_ESTABLISHED;
}

/* Fills ours with flows random conns (a duplicate key is drawn again) and
 * records them and their keys in w. */
static void make_workload(struct fp_conn_table *t, uint32_t flows, struct workload *w)
{
	uint64_t i, j;

	w->conns = xmalloc("conns", (size_t)flows * sizeof(*w->conns));
	w->nkeys = 2 * (uint64_t)flows;
	w->keys = xmalloc("keys", w->nkeys * sizeof(*w->keys));
	for (i = 0; i < flows;) {
		struct fp_conn c, *dup;

		random_conn(&c);
		if (fp_conn_insert(t, &c, &dup) != NULL) {
			w->conns[i] = c;
			fp_conn_in_key(&c, &w->keys[2 * i]);
			fp_conn_out_key(&c, &w->keys[2 * i + 1]);
			i++;
		} else if (dup == NULL) {
			die("fp_conn_insert: table of %u full after %" PRIu64 " conns", t->capacity, i);
		}
	}
	for (i = w->nkeys - 1; i > 0; i--) {
		struct fp_key k;

		j = rnd() % (i + 1);
		k = w->keys[i];
		w->keys[i] = w->keys[j];
		w->keys[j] = k;
	}
}

static void free_workload(struct workload *w)
{
	free(w->conns);
	free(w->keys);
}

static int key_of(const struct fp_conn *c, const struct fp_key *k)
{
	struct fp_key own;

	if (k->dir == FP_DIR_IN)
		fp_conn_in_key(c, &own);
	else
		fp_conn_out_key(c, &own);
	return memcmp(&own, k, sizeof(own)) == 0;
}

/* ---- timing ---- */

/* Looks keys[0:n) up, reads each hit's record into *sum; returns the hits. */
typedef unsigned (*burst_fn)(void *impl, const struct fp_key *keys, unsigned n, uint64_t *sum);

struct timing {
	double ns_per_lookup, secs;
	uint64_t lookups;
};

static volatile uint64_t sink; /* keeps the records' loads alive */

static struct timing time_lookups(const char *impl_name, burst_fn fn, void *impl, const struct workload *w)
{
	uint64_t hz = rte_get_tsc_hz(), usable = w->nkeys - w->nkeys % BURST;
	uint64_t start = rte_rdtsc(), end = start + (uint64_t)(secs * (double)hz), now, pos = 0, sum = 0;
	struct timing r = { 0, 0, 0 };
	unsigned b;

	do {
		for (b = 0; b < CLOCK_EVERY; b++) {
			unsigned hits = fn(impl, &w->keys[pos], BURST, &sum);

			if (hits != BURST)
				die("%s: %u of a burst of %u keys found, all are in the table", impl_name, hits, BURST);
			pos += BURST;
			if (pos == usable)
				pos = 0;
		}
		r.lookups += (uint64_t)CLOCK_EVERY * BURST;
		now = rte_rdtsc();
	} while (now < end);
	sink = sum;
	r.secs = (double)(now - start) / (double)hz;
	r.ns_per_lookup = r.secs * 1e9 / (double)r.lookups;
	return r;
}

static void report(const char *impl, const struct bench_case *bc, struct timing tm, uint64_t bytes)
{
	printf("CONNTABLE impl=%s flows=%u capacity=%u ns_per_lookup=%.2f bytes_per_conn=%.1f bytes=%" PRIu64
		" lookups=%" PRIu64 " secs=%.3f\n", impl, bc->flows, bc->capacity, tm.ns_per_lookup,
		(double)bytes / bc->capacity, bytes, tm.lookups, tm.secs);
	fflush(stdout);
}

/* ---- govs: fp_conn.c ---- */

static unsigned govs_burst(void *impl, const struct fp_key *keys, unsigned n, uint64_t *sum)
{
	struct fp_conn *out[BURST];
	unsigned i, hits = 0;

	fp_conn_lookup_bulk(impl, keys, n, out);
	for (i = 0; i < n; i++) {
		if (out[i] != NULL) {
			*sum += out[i]->rs_port;
			hits++;
		}
	}
	return hits;
}

/* Builds the workload in ours and measures it; w stays for rte_hash. */
static void bench_govs(const struct bench_case *bc, struct workload *w)
{
	uint64_t size = fp_conn_footprint(bc->capacity), i;
	struct fp_conn_table t;
	void *mem = zmalloc("govs_conns", size);
	int rc = fp_conn_init(&t, mem, size, bc->capacity, rnd());

	if (rc != 0)
		die("fp_conn_init(capacity %u, %" PRIu64 " bytes): %s", bc->capacity, size, strerror(-rc));
	make_workload(&t, bc->flows, w);
	for (i = 0; i < w->nkeys; i++) {
		struct fp_conn *c = fp_conn_lookup(&t, &w->keys[i]);

		if (c == NULL || !key_of(c, &w->keys[i]))
			die("govs: key %" PRIu64 " not found after insert", i);
	}
	report("govs", bc, time_lookups("govs", govs_burst, &t, w), size);
	rte_free(mem);
}

/* ---- rte_hash ---- */

struct rte_hash_impl {
	struct rte_hash *h;
	struct fp_conn *conns;
};

static unsigned rte_hash_burst(void *impl, const struct fp_key *keys, unsigned n, uint64_t *sum)
{
	struct rte_hash_impl *x = impl;
	const void *kp[BURST];
	void *data[BURST];
	uint64_t hit_mask = 0;
	unsigned i;
	int hits;

	for (i = 0; i < n; i++)
		kp[i] = &keys[i];
	hits = rte_hash_lookup_bulk_data(x->h, kp, n, &hit_mask, data);
	if (hits < 0)
		die("rte_hash_lookup_bulk_data: %s", strerror(-hits));
	for (i = 0; i < n; i++) /* overlap the records' misses, as ours does */
		if (hit_mask >> i & 1)
			rte_prefetch0(&x->conns[(uintptr_t)data[i]]);
	for (i = 0; i < n; i++)
		if (hit_mask >> i & 1)
			*sum += x->conns[(uintptr_t)data[i]].rs_port;
	return (unsigned)hits;
}

static void add_key(struct rte_hash *h, const struct fp_key *k, uint32_t idx)
{
	int rc = rte_hash_add_key_data(h, k, (void *)(uintptr_t)idx);

	if (rc < 0)
		die("rte_hash_add_key_data (conn %u): %s", idx, strerror(-rc));
}

static void bench_rte_hash(const struct bench_case *bc, const struct workload *w)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = name,
		.entries = 2 * bc->capacity, /* both keys of every conn */
		.key_len = sizeof(struct fp_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = (uint32_t)rnd(),
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE, /* capacity guaranteed */
	};
	struct rte_hash_impl x;
	uint64_t before, bytes, i;
	void *data;

	snprintf(name, sizeof(name), "govs_bench_%u", bc->flows);
	before = heap_allocated();
	rte_errno = 0;
	x.h = rte_hash_create(&p);
	if (x.h == NULL) /* rte_errno is not always to the point: HASH: log lines say more */
		die("rte_hash_create(%u entries) failed (rte_errno: %s); see the HASH: line above",
			p.entries, rte_strerror(rte_errno));
	x.conns = zmalloc("rte_hash_conns", (size_t)bc->capacity * sizeof(*x.conns));
	for (i = 0; i < bc->flows; i++) {
		struct fp_key k;

		x.conns[i] = w->conns[i];
		fp_conn_in_key(&x.conns[i], &k);
		add_key(x.h, &k, (uint32_t)i);
		fp_conn_out_key(&x.conns[i], &k);
		add_key(x.h, &k, (uint32_t)i);
	}
	bytes = heap_allocated() - before;
	for (i = 0; i < w->nkeys; i++) {
		int rc = rte_hash_lookup_data(x.h, &w->keys[i], &data);

		if (rc < 0 || !key_of(&x.conns[(uintptr_t)data], &w->keys[i]))
			die("rte_hash: key %" PRIu64 " not found after add (%s)", i, rc < 0 ? strerror(-rc) : "wrong conn");
	}
	report("rte_hash", bc, time_lookups("rte_hash", rte_hash_burst, &x, w), bytes);
	rte_hash_free(x.h);
	rte_free(x.conns);
}

int main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	unsigned i;

	if (n < 0)
		die("rte_eal_init: %s", rte_strerror(rte_errno));
	parse_args(argc - n, argv + n);
	for (i = 0; i < num_cases; i++) {
		struct workload w;

		bench_govs(&cases[i], &w);
		bench_rte_hash(&cases[i], &w);
		free_workload(&w);
	}
	printf("CONNTABLE done\n");
	if (rte_eal_cleanup() != 0)
		die("rte_eal_cleanup: %s", rte_strerror(rte_errno));
	return 0;
}
