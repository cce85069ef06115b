/*
 * refloop: the floor of the bench's poll-loop stall measurement.
 *
 * The most trivial DPDK poll loop there is, on the same lcore, CPU and vdev
 * as govsd's worker: rx burst from port 0, tx burst of what arrived (what
 * the PMD does not take is freed), nothing else. The gap between two polls
 * of port 0 is measured as govsd measures it (TSC read right after the rx
 * burst; a gap counts over a threshold when strictly longer), so whatever
 * gaps this loop still sees come from the machine (hypervisor, kernel,
 * interrupts, the load on the other CPUs), not from the program.
 *
 * The bench compiles it at run time (it must not contain the Go runtime):
 *   gcc -O2 $(pkg-config --cflags libdpdk) refloop.c -o refloop \
 *       $(pkg-config --libs libdpdk)
 * and runs it with govsd's EAL arguments:
 *   refloop -l 0-1 --in-memory --no-pci --vdev=net_pcap0,rx_pcap=F,infinite_rx=1 \
 *       -- --warmup 3 --phase quiet:10 --phase busy:20 --mbufs N
 *
 * Output (stdout, one line per event, for the bench to parse):
 *   REFLOOP ready lcore=1 cpu=1 tid=123 tsc_hz=2100000000 burst=32
 *   REFLOOP begin phase=quiet
 *   REFLOOP phase=quiet secs=10.000 max_gap_us=41 over_50us=0 over_200us=0
 *           over_1ms=0 over_10ms=0 rx=... tx=... mpps=31.200   (one line)
 *   REFLOOP done
 * The bench starts its busy-phase load on "begin phase=busy".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#define MAX_PHASES 4
#define MAX_BURST 256
#define NUM_THRESHOLDS 4

/* govsd's dataplane.PollGapThresholds, in ns, and their names. */
static const uint64_t thresholds_ns[NUM_THRESHOLDS] = {50000, 200000, 1000000, 10000000};
static const char *const threshold_names[NUM_THRESHOLDS] = {"50us", "200us", "1ms", "10ms"};

struct phase {
	char name[32];
	double secs;              /* asked for */
	uint64_t start_tsc, end_tsc; /* as run */
	uint64_t max_gap_ns;
	uint64_t over[NUM_THRESHOLDS];
	uint64_t rx, tx;
};

static struct phase phases[MAX_PHASES];
static int num_phases;
static double warmup_secs = 3;
static unsigned burst = 32;
static unsigned num_mbufs = 65536;
static unsigned data_room = 256;
static unsigned ring_desc = 1024;

/* Written by the worker, read by the main lcore. */
static volatile int worker_tid;
static volatile int worker_cpu = -1;
static int phases_begun;  /* phases whose start the worker passed */
static int phases_done;   /* phases the worker finished */
static volatile int stop; /* set on SIGINT/SIGTERM */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s <EAL args> -- [--warmup S] --phase NAME:S [--phase NAME:S...] "
		"[--burst N] [--mbufs N] [--data-room N] [--ring N]\n", prog);
}

static int parse_phase(const char *arg)
{
	const char *colon = strrchr(arg, ':');
	struct phase *p;
	char *end;

	if (num_phases == MAX_PHASES || colon == NULL || colon == arg ||
	    (size_t)(colon - arg) >= sizeof(p->name))
		return -1;
	p = &phases[num_phases];
	memcpy(p->name, arg, colon - arg);
	p->name[colon - arg] = '\0';
	p->secs = strtod(colon + 1, &end);
	if (*end != '\0' || p->secs <= 0)
		return -1;
	num_phases++;
	return 0;
}

static int parse_uint(const char *arg, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (*end != '\0' || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{"warmup", required_argument, NULL, 'w'},
		{"phase", required_argument, NULL, 'p'},
		{"burst", required_argument, NULL, 'b'},
		{"mbufs", required_argument, NULL, 'm'},
		{"data-room", required_argument, NULL, 'd'},
		{"ring", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	int c, bad = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			warmup_secs = strtod(optarg, &end);
			bad |= *end != '\0' || warmup_secs < 0;
			break;
		case 'p':
			bad |= parse_phase(optarg) != 0;
			break;
		case 'b':
			bad |= parse_uint(optarg, 1, MAX_BURST, &burst) != 0;
			break;
		case 'm':
			bad |= parse_uint(optarg, 1024, 1u << 30, &num_mbufs) != 0;
			break;
		case 'd':
			bad |= parse_uint(optarg, RTE_PKTMBUF_HEADROOM + 64, 65535, &data_room) != 0;
			break;
		case 'r':
			bad |= parse_uint(optarg, 64, 32768, &ring_desc) != 0;
			break;
		default:
			bad = 1;
		}
	}
	return bad || num_phases == 0 || optind != argc ? -1 : 0;
}

/* Account one gap, as govsd's lcoreLoop.measureGap does. */
static inline void measure_gap(struct phase *p, uint64_t gap_ticks, uint64_t tsc_pms,
	uint64_t min_gap_ticks)
{
	uint64_t gap_ns;
	int i;

	if (gap_ticks <= min_gap_ticks)
		return;
	gap_ns = gap_ticks * 1000000 / tsc_pms;
	if (gap_ns <= thresholds_ns[0])
		return;
	if (gap_ns > p->max_gap_ns)
		p->max_gap_ns = gap_ns;
	for (i = 0; i < NUM_THRESHOLDS; i++)
		if (gap_ns > thresholds_ns[i])
			p->over[i]++;
}

/* The worker lcore: warm-up, then the phases back to back. */
static int poll_loop(void *arg)
{
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t tsc_pms = hz / 1000 ? hz / 1000 : 1;
	const uint64_t min_gap_ticks = thresholds_ns[0] * tsc_pms / 1000000;
	struct rte_mbuf *pkts[MAX_BURST];
	uint64_t last = 0, deadline;
	struct phase *p = NULL;
	int cur = -1;

	(void)arg;
	worker_tid = gettid();
	worker_cpu = sched_getcpu();
	deadline = rte_rdtsc() + (uint64_t)(warmup_secs * hz);
	while (!stop) {
		uint16_t n = rte_eth_rx_burst(0, 0, pkts, burst);
		uint64_t tsc = rte_rdtsc();

		if (p != NULL && last != 0 && tsc > last)
			measure_gap(p, tsc - last, tsc_pms, min_gap_ticks);
		last = tsc;
		if (n > 0) {
			uint16_t sent = rte_eth_tx_burst(0, 0, pkts, n);

			if (sent < n)
				rte_pktmbuf_free_bulk(pkts + sent, n - sent);
			if (p != NULL) {
				p->rx += n;
				p->tx += sent;
			}
		}
		if (tsc < deadline)
			continue;
		if (p != NULL) {
			p->end_tsc = tsc;
			__atomic_store_n(&phases_done, cur + 1, __ATOMIC_RELEASE);
		}
		if (++cur == num_phases)
			break;
		p = &phases[cur];
		p->start_tsc = tsc;
		deadline = tsc + (uint64_t)(p->secs * hz);
		__atomic_store_n(&phases_begun, cur + 1, __ATOMIC_RELEASE);
	}
	return 0;
}

static void print_phase(const struct phase *p)
{
	double secs = (double)(p->end_tsc - p->start_tsc) / rte_get_tsc_hz();
	int i;

	printf("REFLOOP phase=%s secs=%.3f max_gap_us=%" PRIu64, p->name, secs, p->max_gap_ns / 1000);
	for (i = 0; i < NUM_THRESHOLDS; i++)
		printf(" over_%s=%" PRIu64, threshold_names[i], p->over[i]);
	printf(" rx=%" PRIu64 " tx=%" PRIu64 " mpps=%.3f\n", p->rx, p->tx, secs > 0 ? p->tx / secs / 1e6 : 0);
	fflush(stdout);
}

static int setup_port(void)
{
	struct rte_eth_conf conf;
	struct rte_mempool *pool;
	uint16_t rxd = ring_desc, txd = ring_desc;
	int socket, r;

	if (rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "refloop: no port (pass --vdev)\n");
		return -1;
	}
	socket = rte_eth_dev_socket_id(0);
	if (socket < 0)
		socket = (int)rte_socket_id();
	pool = rte_pktmbuf_pool_create("refloop_mbufs", num_mbufs, 256, 0, data_room, socket);
	if (pool == NULL) {
		fprintf(stderr, "refloop: mempool of %u mbufs: %s\n", num_mbufs, rte_strerror(rte_errno));
		return -1;
	}
	memset(&conf, 0, sizeof(conf));
	if ((r = rte_eth_dev_configure(0, 1, 1, &conf)) < 0 ||
	    (r = rte_eth_dev_adjust_nb_rx_tx_desc(0, &rxd, &txd)) < 0 ||
	    (r = rte_eth_rx_queue_setup(0, 0, rxd, socket, NULL, pool)) < 0 ||
	    (r = rte_eth_tx_queue_setup(0, 0, txd, socket, NULL)) < 0 ||
	    (r = rte_eth_dev_start(0)) < 0) {
		fprintf(stderr, "refloop: port 0: %s\n", rte_strerror(-r));
		return -1;
	}
	return 0;
}

/* The main lcore reports each phase as the worker passes it. */
static void report_phases(void)
{
	int begun = 0, done = 0;

	while (done < num_phases && !stop) {
		int b = __atomic_load_n(&phases_begun, __ATOMIC_ACQUIRE);
		int d = __atomic_load_n(&phases_done, __ATOMIC_ACQUIRE);

		for (; done < d; done++)
			print_phase(&phases[done]);
		for (; begun < b; begun++) {
			printf("REFLOOP begin phase=%s\n", phases[begun].name);
			fflush(stdout);
		}
		usleep(1000);
	}
}

int main(int argc, char **argv)
{
	unsigned worker;
	int n, rc = 0;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "refloop: EAL init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argv[n] = argv[0];
	if (parse_args(argc - n, argv + n) != 0) {
		usage(argv[0]);
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	worker = rte_get_next_lcore(-1, 1, 0);
	if (worker >= RTE_MAX_LCORE) {
		fprintf(stderr, "refloop: no worker lcore (pass -l with two lcores)\n");
		rte_eal_cleanup();
		return 2;
	}
	if (setup_port() != 0) {
		rte_eal_cleanup();
		return 1;
	}
	if (rte_eal_remote_launch(poll_loop, NULL, worker) != 0) {
		fprintf(stderr, "refloop: cannot launch lcore %u\n", worker);
		rc = 1;
		goto out;
	}
	while (worker_cpu < 0)
		usleep(1000);
	printf("REFLOOP ready lcore=%u cpu=%d tid=%d tsc_hz=%" PRIu64 " burst=%u\n",
		worker, worker_cpu, worker_tid, rte_get_tsc_hz(), burst);
	fflush(stdout);
	report_phases();
	rte_eal_wait_lcore(worker);
	if (stop)
		rc = 1;
	else
		printf("REFLOOP done\n");
out:
	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	rte_eal_cleanup();
	return rc;
}
