/*
 * fp_harness.c - see fp_harness.h.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "fp_harness.h"

void fp_harness_reset(struct fp_harness *h)
{
	h->n_out = 0;
	h->lost = 0;
}

struct rte_mbuf *fp_fake_mbuf(const uint8_t *frame, uint16_t len, uint16_t headroom)
{
	size_t room = (size_t)headroom + len;
	struct rte_mbuf *m = calloc(1, sizeof(*m));
	uint8_t *buf = malloc(room ? room : 1);

	if (m == NULL || buf == NULL) {
		free(m);
		free(buf);
		return NULL;
	}
	memset(buf, 0, headroom);
	if (len)
		memcpy(buf + headroom, frame, len);
	m->buf_addr = buf;
	m->buf_len = (uint16_t)room;
	m->data_off = headroom;
	m->data_len = len;
	m->pkt_len = len;
	m->nb_segs = 1;
	rte_mbuf_refcnt_set(m, 1);
	return m;
}

void fp_fake_mbuf_free(struct rte_mbuf *m)
{
	if (m == NULL)
		return;
	free(m->buf_addr);
	free(m);
}

uint8_t *fp_fake_mbuf_data(struct rte_mbuf *m, uint16_t *len)
{
	*len = m->data_len;
	return rte_pktmbuf_mtod(m, uint8_t *);
}

static void record(struct fp_harness *h, struct rte_mbuf **m, uint32_t n, uint8_t verdict, uint16_t target)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (h->n_out >= FP_HARNESS_MAX_OUT) {
			h->lost++;
			continue;
		}
		h->out[h->n_out++] = (struct fp_harness_out){ .m = m[i], .verdict = verdict, .target = target };
	}
}

static uint16_t cap_tx(void *ctx, uint16_t port, struct rte_mbuf **m, uint16_t n)
{
	struct fp_harness *h = ctx;
	uint16_t take = n < h->tx_accept ? n : (uint16_t)h->tx_accept;

	record(h, m, take, FP_V_TX, port);
	return take;
}

/* The punt ring as a count of free slots that punts use up (the slow
 * path never drains it here), limited per call by punt_accept. */
static uint32_t cap_punt(void *ctx, struct rte_mbuf **m, uint32_t n, uint32_t reserve)
{
	struct fp_harness *h = ctx;
	uint32_t take = fp_punt_room(h->punt_free, reserve, n < h->punt_accept ? n : h->punt_accept);

	h->punt_free -= take;
	record(h, m, take, FP_V_PUNT, 0);
	return take;
}

static uint32_t cap_redirect(void *ctx, uint16_t worker, struct rte_mbuf **m, uint32_t n)
{
	record(ctx, m, n, FP_V_REDIRECT, worker);
	return n;
}

static void cap_free(void *ctx, struct rte_mbuf **m, uint32_t n)
{
	record(ctx, m, n, FP_V_DROP, 0);
}

void fp_harness_flush(struct fp_worker *w, struct fp_harness *h)
{
	const struct fp_io io = {
		.tx = cap_tx, .punt = cap_punt, .redirect = cap_redirect, .free = cap_free, .ctx = h,
	};

	fp_worker_flush(w, &io);
}

struct bench_io {
	uint64_t sent;
};

static uint16_t bench_tx(void *ctx, uint16_t port, struct rte_mbuf **m, uint16_t n)
{
	(void)port;
	(void)m;
	((struct bench_io *)ctx)->sent += n;
	return n;
}

static uint32_t bench_take(void *ctx, struct rte_mbuf **m, uint32_t n)
{
	(void)ctx;
	(void)m;
	return n;
}

static uint32_t bench_punt(void *ctx, struct rte_mbuf **m, uint32_t n, uint32_t reserve)
{
	(void)reserve;
	return bench_take(ctx, m, n);
}

static uint32_t bench_redirect(void *ctx, uint16_t worker, struct rte_mbuf **m, uint32_t n)
{
	(void)worker;
	return bench_take(ctx, m, n);
}

static void bench_keep(void *ctx, struct rte_mbuf **m, uint32_t n)
{
	(void)ctx;
	(void)m;
	(void)n;
}

uint64_t fp_harness_bench(struct fp_worker *w, struct rte_mbuf **ms, const uint8_t *frames,
	uint16_t flen, uint32_t n, uint32_t burst, uint32_t rounds, int in_port)
{
	struct bench_io b = { 0 };
	const struct fp_io io = {
		.tx = bench_tx, .punt = bench_punt, .redirect = bench_redirect, .free = bench_keep, .ctx = &b,
	};
	uint32_t r, i, j;

	if (burst == 0 || burst > FP_MAX_BURST)
		burst = 32;
	/* One burst of mbufs is reused, as a PMD reuses the pool's hot ones;
	 * the frames come from n distinct flows, as from a NIC. */
	for (r = 0; r < rounds; r++) {
		for (i = 0; i + burst <= n; i += burst) {
			for (j = 0; j < burst; j++) {
				struct rte_mbuf *m = ms[j];

				m->data_off = RTE_PKTMBUF_HEADROOM;
				m->data_len = m->pkt_len = flen;
				memcpy(rte_pktmbuf_mtod(m, uint8_t *), frames + (size_t)(i + j) * flen, flen);
			}
			fp_worker_begin(w);
			fp_handle_burst(w, ms, (uint16_t)burst, in_port);
			fp_worker_flush(w, &io);
			fp_housekeep(w, 0);
		}
	}
	return b.sent;
}
