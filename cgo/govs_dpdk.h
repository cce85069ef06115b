/*
 * C side of the govs DPDK binding.
 *
 * Everything DPDK exposes only as a static inline function (bursts, mbuf
 * bulk allocation, ring bursts, rdtsc, lcore id) is wrapped here so that Go
 * can reach it with a single cgo call. rte_errno is thread-local, so every
 * helper that can fail reads it inside the same C call and hands it back:
 * by the time Go runs again the goroutine may sit on another OS thread.
 *
 * All helpers are static: this header is included by each Go file's
 * preamble and each preamble is its own translation unit.
 */
#ifndef GOVS_DPDK_H
#define GOVS_DPDK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

/*
 * Field offsets of struct rte_mbuf, as compile-time constants so that Go
 * reads and writes mbuf fields with plain loads and stores (no cgo call per
 * packet). The asserts pin the field widths the Go side assumes.
 */
enum {
	GOVS_MBUF_OFF_BUF_ADDR = offsetof(struct rte_mbuf, buf_addr),
	GOVS_MBUF_OFF_DATA_OFF = offsetof(struct rte_mbuf, data_off),
	GOVS_MBUF_OFF_REFCNT = offsetof(struct rte_mbuf, refcnt),
	GOVS_MBUF_OFF_NB_SEGS = offsetof(struct rte_mbuf, nb_segs),
	GOVS_MBUF_OFF_PORT = offsetof(struct rte_mbuf, port),
	GOVS_MBUF_OFF_OL_FLAGS = offsetof(struct rte_mbuf, ol_flags),
	GOVS_MBUF_OFF_PACKET_TYPE = offsetof(struct rte_mbuf, packet_type),
	GOVS_MBUF_OFF_PKT_LEN = offsetof(struct rte_mbuf, pkt_len),
	GOVS_MBUF_OFF_DATA_LEN = offsetof(struct rte_mbuf, data_len),
	GOVS_MBUF_OFF_HASH_RSS = offsetof(struct rte_mbuf, hash.rss),
	GOVS_MBUF_OFF_BUF_LEN = offsetof(struct rte_mbuf, buf_len),
	GOVS_MBUF_SIZE = sizeof(struct rte_mbuf),
	GOVS_PKTMBUF_HEADROOM = RTE_PKTMBUF_HEADROOM,
	GOVS_MBUF_DEFAULT_BUF_SIZE = RTE_MBUF_DEFAULT_BUF_SIZE,
	/* rte_errno values at or above this are DPDK's own, not errno(3) */
	GOVS_RTE_MIN_ERRNO = RTE_MIN_ERRNO,
};

#define GOVS_FIELD_SIZE(f) sizeof(((struct rte_mbuf *)0)->f)
_Static_assert(GOVS_FIELD_SIZE(buf_addr) == sizeof(void *), "buf_addr");
_Static_assert(GOVS_FIELD_SIZE(data_off) == 2, "data_off");
_Static_assert(GOVS_FIELD_SIZE(refcnt) == 2, "refcnt");
_Static_assert(GOVS_FIELD_SIZE(nb_segs) == 2, "nb_segs");
_Static_assert(GOVS_FIELD_SIZE(port) == 2, "port");
_Static_assert(GOVS_FIELD_SIZE(ol_flags) == 8, "ol_flags");
_Static_assert(GOVS_FIELD_SIZE(packet_type) == 4, "packet_type");
_Static_assert(GOVS_FIELD_SIZE(pkt_len) == 4, "pkt_len");
_Static_assert(GOVS_FIELD_SIZE(data_len) == 2, "data_len");
_Static_assert(GOVS_FIELD_SIZE(hash.rss) == 4, "hash.rss");
_Static_assert(GOVS_FIELD_SIZE(buf_len) == 2, "buf_len");
#undef GOVS_FIELD_SIZE

/* ---- errors ---- */

/* Copies rte_strerror's text: it may live in a thread-local buffer. */
static inline void govs_strerror(int e, char *buf, size_t n)
{
	snprintf(buf, n, "%s", rte_strerror(e));
}

/* ---- EAL / lcores ---- */

static inline int govs_eal_init(int argc, char **argv)
{
	int r = rte_eal_init(argc, argv);
	return r < 0 ? -rte_errno : r;
}

static inline unsigned govs_lcore_id(void) { return rte_lcore_id(); }
static inline uint64_t govs_rdtsc(void) { return rte_rdtsc(); }

/* Implemented in govs_dpdk.c: it needs the //export'ed Go entry point. */
int govs_remote_launch(uintptr_t handle, unsigned lcore);

/* ---- memory, mempool, mbuf ---- */

static inline struct rte_mempool *govs_pktmbuf_pool_create(const char *name,
	unsigned n, unsigned cache, uint16_t data_room, int socket, int *err)
{
	struct rte_mempool *mp =
		rte_pktmbuf_pool_create(name, n, cache, 0, data_room, socket);
	*err = mp == NULL ? rte_errno : 0;
	return mp;
}

static inline int govs_pktmbuf_alloc_bulk(struct rte_mempool *mp,
	struct rte_mbuf **pkts, unsigned n)
{
	return rte_pktmbuf_alloc_bulk(mp, pkts, n);
}

/* ---- ethdev ---- */

/*
 * rte_eth_dev_configure with a zeroed rte_eth_conf, plus RSS over IP/TCP/UDP
 * when there is more than one rx queue (restricted to what the PMD supports),
 * so that flows spread over lcores and each flow stays on one queue; with
 * rx_intr, rx queue interrupts (an fd per queue that polls readable when
 * frames wait, for a reader that sleeps).
 */
static inline int govs_eth_dev_configure(uint16_t port, uint16_t nb_rx,
	uint16_t nb_tx, int rx_intr)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int r;

	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rxq = rx_intr ? 1 : 0;
	if (nb_rx > 1) {
		r = rte_eth_dev_info_get(port, &info);
		if (r != 0)
			return r;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
		if (conf.rx_adv_conf.rss_conf.rss_hf != 0)
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	}
	return rte_eth_dev_configure(port, nb_rx, nb_tx, &conf);
}

/* rte_eth_link has bitfields, which cgo cannot read. */
static inline int govs_link_get_nowait(uint16_t port, int *up, uint32_t *speed)
{
	struct rte_eth_link link;
	int r;

	memset(&link, 0, sizeof(link));
	r = rte_eth_link_get_nowait(port, &link);
	*up = link.link_status == RTE_ETH_LINK_UP;
	*speed = link.link_speed;
	return r;
}

struct govs_rx_result {
	uint64_t tsc;
	uint16_t n;
};

/* One cgo call per burst: receive, then timestamp the burst. */
static inline struct govs_rx_result govs_rx_burst(uint16_t port, uint16_t queue,
	struct rte_mbuf **pkts, uint16_t n)
{
	struct govs_rx_result r;

	r.n = rte_eth_rx_burst(port, queue, pkts, n);
	r.tsc = rte_rdtsc();
	return r;
}

/* Transmit; whatever the PMD did not take is freed here, in the same call. */
static inline uint16_t govs_tx_burst(uint16_t port, uint16_t queue,
	struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = rte_eth_tx_burst(port, queue, pkts, n);

	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	return sent;
}

/* ---- rings ---- */

static inline struct rte_ring *govs_ring_create(const char *name,
	unsigned count, int socket, unsigned flags, int *err)
{
	struct rte_ring *r = rte_ring_create(name, count, socket, flags);
	*err = r == NULL ? rte_errno : 0;
	return r;
}

static inline unsigned govs_ring_enqueue_burst(struct rte_ring *r,
	struct rte_mbuf **pkts, unsigned n)
{
	return rte_ring_enqueue_burst(r, (void * const *)pkts, n, NULL);
}

static inline unsigned govs_ring_dequeue_burst(struct rte_ring *r,
	struct rte_mbuf **pkts, unsigned n)
{
	return rte_ring_dequeue_burst(r, (void **)pkts, n, NULL);
}

static inline unsigned govs_ring_count(const struct rte_ring *r)
{
	return rte_ring_count(r);
}

#endif /* GOVS_DPDK_H */
