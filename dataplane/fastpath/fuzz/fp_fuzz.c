/*
 * fp_fuzz.c - libFuzzer target for the per-packet entry (fp_handle_burst).
 *
 * An input is a small configuration followed by a sequence of frames:
 *
 *   config: n_svc (1 byte), then per service 6 bytes
 *           [vip][proto][port hi][port lo][n_dests][sched] and per dest 4
 *           bytes [addr][method][weight][port]; then 1 byte of options.
 *           proto: bit 0 UDP (else TCP); bit 2 persistent (2 s templates),
 *           then bit 4 granularity /24 (else /32), bits 1 and 3 the
 *           persistence group (0: none), bit 5 port 0 (every port of the
 *           VIP); bit 6 one-packet scheduling (UDP only); bit 7
 *           expire_quiescent_template. addr: bits 3-4 the upper
 *           threshold (0: none), lower 3/4 of it as IPVS; port: bit 2
 *           a NAT server of a port-0 service takes the client's port.
 *           Options:
 *           bit 0 a gateway on port 1; bits 1-2 rp_filter (strict, loose,
 *           off, off); bit 3 mac_filter off; bit 4 rst_check off; bit 5 a
 *           limit of 2 new connections per source /24; bit 6 one ICMP
 *           error per second; bit 7 both ports have a kernel interface.
 *   frames: [op][in_port][len hi][len lo][len bytes] ...
 *           op bit 0: fix the frame's IP and L4 checksums first (so the
 *           fuzzer reaches deep paths); bit 1: the burst ends here;
 *           bit 2: advance the clock by in_port seconds and expire;
 *           bit 3: address the frame to the port's MAC; bit 4: dest
 *           in_port / 2 (mod the dests) is replaced by a new server (its
 *           connections' server left, as on a reload); bit 5: every
 *           service flips expire_nodest_conn;
 *           bit 6: the punt ring has in_port % 8 free slots from this
 *           burst on (the kernel's reserve is 4); bit 7: address the
 *           frame to the port's virtual MAC (00:00:5e:00:01:01 on port
 *           0, :02 on port 1: each port accepts one).
 *
 * The oracle checks every packet's fate, not only the absence of crashes:
 * each mbuf ends in exactly one queue (leaks show under LeakSanitizer);
 * each drop has a reason; the counters account for every packet once
 * (received = forwarded + answered + punted + dropped, each as seen);
 * every sent frame parses, its IP header checksum is right, its L4
 * checksum is right when the input's was, and its addresses and ports are
 * what the connection says (NAT in, NAT out, DR untouched, TUN to the
 * server); with mac_filter, what is taken in was to the port's MAC or its
 * virtual MAC (broadcast for ARP, a group MAC for a kernel interface),
 * and what is dropped bad_dst_mac was to neither; only ports with a
 * kernel interface punt for it, and only what is for the director (its
 * port addresses, multicast to the group's MAC); a forwarded client
 * packet's connection has an available server, and a dest_unavailable
 * drop leaves its connection only without expire_nodest_conn. Any
 * violation aborts, which libFuzzer reports as a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "../fp_harness.h"
#include "../fp_snapshot.h"
#include "../fp_wire.h"

enum { MAX_SVC = 4, MAX_DEST = 4, MAX_FRAMES = 32, CONNS = 64, NEIGH = 64, PUNT_RESERVE = 4 };

#define CHECK(cond, ...) do { \
	if (!(cond)) { fprintf(stderr, "oracle: " __VA_ARGS__); fprintf(stderr, "\n"); abort(); } \
} while (0)

static const uint8_t mac_port[2][6] = { {2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2} };
static const uint8_t vmac_port[2][6] = { {0, 0, 0x5e, 0, 1, 1}, {0, 0, 0x5e, 0, 1, 2} };

struct input {
	const uint8_t *p;
	size_t n;
};

static int take(struct input *in, uint8_t *b)
{
	if (in->n == 0)
		return 0;
	*b = *in->p++;
	in->n--;
	return 1;
}

/* ---- the configuration ---- */

struct world {
	struct fp_shared sh;
	struct fp_worker *w;
	struct fp_lcore_counters *cnt;
	struct fp_neigh_table *neigh;
	struct fp_snapshot *snap;
	void *conn_mem;
	struct fp_harness h;
};

static uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

static void set_port(struct fp_port *p, uint32_t ip, int bits, uint32_t gw, int i)
{
	p->ip = ip;
	p->mask = ~0u << (32 - bits);
	p->net = ip & p->mask;
	p->gateway = gw;
	p->dpdk_id = (uint16_t)i;
	p->mtu = i == 1 ? 1300 : 1500; /* TUN's frag-needed is reachable */
	memcpy(p->mac, mac_port[i], 6);
}

/* Builds the snapshot the input describes; NULL when it is not one. */
static struct fp_snapshot *build_snapshot(struct input *in)
{
	struct fp_service svc[MAX_SVC];
	struct fp_dest dest[MAX_SVC * MAX_DEST];
	uint32_t sched[MAX_SVC * MAX_DEST * 8];
	uint32_t nsvc, nd = 0, ns = 0, i, j, size;
	uint8_t b, opts = 0, f[6];
	struct fp_snapshot hdr, *s;

	if (!take(in, &b))
		return NULL;
	nsvc = 1 + b % MAX_SVC;
	memset(svc, 0, sizeof(svc));
	memset(dest, 0, sizeof(dest));
	for (i = 0; i < nsvc; i++) {
		struct fp_service *sv = &svc[i];
		uint32_t k;

		for (k = 0; k < 6; k++)
			if (!take(in, &f[k]))
				return NULL;
		sv->vip = ip4(10, 0, 0, (uint8_t)(100 + f[0] % 3));
		sv->proto = f[1] & 1 ? FP_PROTO_UDP : FP_PROTO_TCP;
		sv->port = f[1] & 32 ? 0 : (uint16_t)(f[2] << 8 | f[3]);
		sv->id = (uint16_t)i;
		if (f[1] & 4) {
			sv->persist_ms = 2000;
			sv->persist_mask = f[1] & 16 ? 0xffffff00u : 0xffffffffu;
			sv->persist_group = (uint16_t)((f[1] >> 1 & 1) | (f[1] >> 2 & 2));
		}
		if ((f[1] & 64) && sv->proto == FP_PROTO_UDP)
			sv->flags |= FP_SVC_F_ONE_PACKET;
		if (f[1] & 128)
			sv->flags |= FP_SVC_F_EXPIRE_QUIESCENT;
		sv->vip_port = 0;
		sv->first_dest = nd;
		sv->n_dests = 1 + f[4] % MAX_DEST;
		sv->sched_kind = f[5] & 1 ? FP_SCHED_WRR_STEP : FP_SCHED_SEQ;
		sv->sched_off = ns;
		for (j = 0; j < sv->n_dests; j++) {
			struct fp_dest *d = &dest[nd + j];
			uint8_t a, m, wgt, pt;

			if (!take(in, &a) || !take(in, &m) || !take(in, &wgt) || !take(in, &pt))
				return NULL;
			d->method = m % FP_NUM_METHODS;
			/* far servers sit behind the gateway: not for DR */
			d->ip = (a & 0x80) && d->method != FP_METHOD_DR ? ip4(192, 0, 2, (uint8_t)(a & 7)) : ip4(10, 1, 0, (uint8_t)(10 + a % 8));
			d->next_hop = (d->ip >> 8) == ip4(0, 10, 1, 0) ? d->ip : ip4(10, 1, 0, 254);
			d->out_port = 1;
			d->weight = wgt;
			d->port = d->method == FP_METHOD_NAT && !(sv->port == 0 && (pt & 4)) ? (uint16_t)(8000 + pt % 4) : sv->port;
			d->id = (uint16_t)(nd + j);
			d->upper = (uint32_t)(a >> 3 & 3);
			d->lower = d->upper * 3 / 4;
			if (d->upper > 0)
				sv->flags |= FP_SVC_F_THRESHOLDS;
		}
		if (sv->sched_kind == FP_SCHED_WRR_STEP) {
			for (j = 0; j < sv->n_dests; j++) {
				uint32_t wv = dest[nd + j].weight % 5;

				sched[ns + j] = wv;
				if (wv > sv->wrr_max)
					sv->wrr_max = wv;
			}
			sv->sched_len = sv->n_dests;
			if (sv->wrr_max == 0) /* a stepped table needs a weight */
				sched[ns] = sv->wrr_max = 1;
		} else {
			sv->sched_len = 1 + f[5] % 8;
			for (j = 0; j < sv->sched_len; j++)
				sched[ns + j] = (j * 7 + f[4]) % sv->n_dests;
		}
		ns += sv->sched_len;
		nd += sv->n_dests;
	}
	take(in, &opts);
	memset(&hdr, 0, sizeof(hdr));
	hdr.gen = 1;
	hdr.n_ports = 2;
	hdr.n_services = nsvc;
	hdr.n_dests = nd;
	hdr.n_sched = ns;
	hdr.n_slots = 16;
	for (i = 0; i < FP_NUM_STATES; i++)
		hdr.timeouts_ms[i] = 1000 * (1 + i);
	set_port(&hdr.ports[0], ip4(10, 0, 0, 1), 24, 0, 0);
	set_port(&hdr.ports[1], ip4(10, 1, 0, 1), 24, opts & 1 ? ip4(10, 1, 0, 254) : 0, 1);
	hdr.ports[0].kernel = hdr.ports[1].kernel = (opts & 128) != 0;
	for (i = 0; i < 2; i++) {
		hdr.vmacs[i].n = 1;
		memcpy(hdr.vmacs[i].mac[0], vmac_port[i], 6);
	}
	hdr.sec.rp_filter = (opts >> 1 & 3) > FP_RP_OFF ? FP_RP_OFF : (uint8_t)(opts >> 1 & 3);
	hdr.sec.mac_filter = !(opts & 8);
	hdr.sec.rst_check = !(opts & 16);
	hdr.sec.src_limit = opts & 32 ? 2 : 0;
	hdr.sec.src_prefix = 24;
	hdr.sec.icmp_rate = opts & 64 ? 1 : 1000;
	hdr.sec.icmp_burst = opts & 64 ? 1 : 50;
	hdr.sec.flood_pct = 50; /* reachable with CONNS and the frames of one input */
	hdr.sec.flood_syn_ms = 500;
	hdr.off_services = (uint32_t)((sizeof(hdr) + 63) & ~(size_t)63);
	hdr.off_dests = hdr.off_services + nsvc * (uint32_t)sizeof(struct fp_service);
	hdr.off_sched = hdr.off_dests + nd * (uint32_t)sizeof(struct fp_dest);
	hdr.off_svc_slots = hdr.off_sched + ns * 4;
	hdr.off_vip_slots = (hdr.off_svc_slots + hdr.n_slots * 4 + 7) & ~7u;
	size = hdr.off_vip_slots + hdr.n_slots * 8;
	hdr.size = size;
	s = aligned_alloc(64, (size + 63) & ~63u);
	if (s == NULL)
		return NULL;
	memset(s, 0, size);
	memcpy(s, &hdr, sizeof(hdr));
	memcpy((uint8_t *)s + hdr.off_services, svc, nsvc * sizeof(*svc));
	memcpy((uint8_t *)s + hdr.off_dests, dest, nd * sizeof(*dest));
	memcpy((uint8_t *)s + hdr.off_sched, sched, ns * 4);
	if (fp_snapshot_index(s) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static int world_init(struct world *wd, struct fp_snapshot *snap)
{
	struct fp_worker_params prm;
	uint64_t fp = fp_conn_footprint(CONNS);
	uint32_t i;

	memset(wd, 0, sizeof(*wd));
	wd->snap = snap;
	wd->w = aligned_alloc(64, fp_worker_size());
	wd->cnt = aligned_alloc(64, sizeof(*wd->cnt));
	wd->conn_mem = aligned_alloc(64, fp);
	wd->neigh = aligned_alloc(64, fp_neigh_footprint(NEIGH));
	if (!wd->w || !wd->cnt || !wd->conn_mem || !wd->neigh)
		return -1;
	memset(wd->cnt, 0, sizeof(*wd->cnt));
	fp_neigh_init(wd->neigh, NEIGH);
	/* Clients 10.0.0.2-5, every near server and the gateway are known;
	 * other neighbours are not, so packets to them are punted. */
	for (i = 2; i <= 5; i++)
		fp_neigh_set(wd->neigh, ip4(10, 0, 0, (uint8_t)i), 0, (const uint8_t[6]){ 2, 0, 0, 0, 0xc0, (uint8_t)i });
	for (i = 10; i < 18; i++)
		fp_neigh_set(wd->neigh, ip4(10, 1, 0, (uint8_t)i), 1, (const uint8_t[6]){ 2, 0, 0, 0, 0x10, (uint8_t)i });
	fp_neigh_set(wd->neigh, ip4(10, 1, 0, 254), 1, (const uint8_t[6]){ 2, 0, 0, 0, 0xfe, 0xfe });
	wd->sh.snap = snap;
	wd->sh.neigh = wd->neigh;
	wd->sh.n_workers = 1;
	memset(&prm, 0, sizeof(prm));
	prm.shared = &wd->sh;
	prm.counters = wd->cnt;
	prm.conn_mem = wd->conn_mem;
	prm.conn_mem_size = fp;
	prm.conn_capacity = CONNS;
	prm.burst = FP_MAX_BURST;
	prm.hash_seed = 42;
	prm.tsc_hz = 1000;
	prm.punt_reserve = PUNT_RESERVE;
	if (fp_worker_init(wd->w, &prm) != 0)
		return -1;
	wd->w->now = 1000;
	wd->h.tx_accept = wd->h.punt_accept = wd->h.punt_free = 1u << 30;
	return 0;
}

static void world_free(struct world *wd)
{
	free(wd->w);
	free(wd->cnt);
	free(wd->conn_mem);
	free(wd->neigh);
	free(wd->snap);
}

/* ---- frames ---- */

static uint32_t l4_sum(const uint8_t *ip, uint32_t ihl, uint32_t total, uint8_t proto)
{
	uint32_t s = fp_get16(ip + 12) + fp_get16(ip + 14) + fp_get16(ip + 16) + fp_get16(ip + 18);

	s += proto + (total - ihl);
	return fp_sum(ip + ihl, total - ihl, s);
}

/* 1 when the L4 checksum of the IPv4 datagram at ip (avail bytes) is right
 * (or absent); for IPIP, the inner datagram's. */
static int l4_ok_ip(const uint8_t *ip, uint32_t avail)
{
	uint32_t ihl, total;

	if (avail < FP_IP_LEN)
		return 0;
	ihl = (ip[0] & 0xf) * 4u;
	total = fp_get16(ip + 2);
	if (ihl < FP_IP_LEN || total < ihl || total > avail)
		return 0;
	switch (ip[9]) {
	case FP_PROTO_TCP:
		return total - ihl >= FP_TCP_LEN && fp_fold(l4_sum(ip, ihl, total, FP_PROTO_TCP)) == 0xffff;
	case FP_PROTO_UDP:
		if (total - ihl < FP_UDP_LEN)
			return 0;
		return fp_get16(ip + ihl + 6) == 0 || fp_fold(l4_sum(ip, ihl, total, FP_PROTO_UDP)) == 0xffff;
	case FP_PROTO_ICMP:
		return total - ihl >= FP_ICMP_LEN && fp_csum(ip + ihl, total - ihl, 0) == 0;
	case FP_PROTO_IPIP:
		return l4_ok_ip(ip + ihl, total - ihl);
	}
	return 1;
}

static int l4_ok(const uint8_t *f, uint32_t len)
{
	if (len < FP_ETH_LEN + FP_IP_LEN || fp_get16(f + 12) != FP_ETHERTYPE_IPV4)
		return 0;
	return l4_ok_ip(f + FP_ETH_LEN, len - FP_ETH_LEN);
}

/* Makes the frame's IP header and L4 checksums right, when it is IPv4. */
static void fix_checksums(uint8_t *f, uint32_t len)
{
	uint8_t *ip = f + FP_ETH_LEN;
	uint32_t ihl, total;
	uint8_t *cs = NULL;

	if (len < FP_ETH_LEN + FP_IP_LEN || fp_get16(f + 12) != FP_ETHERTYPE_IPV4)
		return;
	ihl = (ip[0] & 0xf) * 4u;
	total = fp_get16(ip + 2);
	if (ihl < FP_IP_LEN || ihl > len - FP_ETH_LEN)
		return;
	fp_put16(ip + 10, 0);
	fp_put16(ip + 10, fp_csum(ip, ihl, 0));
	if (total < ihl || FP_ETH_LEN + total > len)
		return;
	if (ip[9] == FP_PROTO_TCP && total - ihl >= FP_TCP_LEN)
		cs = ip + ihl + 16;
	else if (ip[9] == FP_PROTO_UDP && total - ihl >= FP_UDP_LEN)
		cs = ip + ihl + 6;
	if (cs != NULL) {
		fp_put16(cs, 0);
		fp_put16(cs, (uint16_t)~fp_fold(l4_sum(ip, ihl, total, ip[9])));
	} else if (ip[9] == FP_PROTO_ICMP && total - ihl >= FP_ICMP_LEN) {
		fp_put16(ip + ihl + 2, 0);
		fp_put16(ip + ihl + 2, fp_csum(ip + ihl, total - ihl, 0));
	}
}

/* ---- the oracle ---- */

struct sent_in {
	uint8_t frame[2048];
	uint16_t len;
	uint8_t port;
	uint8_t l4_valid;
	struct rte_mbuf *m;
};

/* 1 when some service has a server at ip forwarded by method. */
static int has_dest(const struct fp_snapshot *s, uint32_t ip, uint8_t method)
{
	uint32_t i;

	for (i = 0; i < s->n_dests; i++)
		if (fp_snap_dests(s)[i].ip == ip && fp_snap_dests(s)[i].method == method)
			return 1;
	return 0;
}

/* The connection the input packet belongs to, looked up in direction dir. */
static const struct fp_conn *conn_of(const struct world *wd, const struct fp_pkt *p, uint8_t dir)
{
	struct fp_key k = {
		.src_ip = p->src, .dst_ip = p->dst, .src_port = p->sport, .dst_port = p->dport,
		.proto = p->proto, .dir = dir,
	};

	return fp_conn_lookup(&wd->w->conns, &k);
}

/* The service a client packet is for: its port's, else the VIP's port-0
 * one. */
static const struct fp_service *service_of(const struct fp_snapshot *s, const struct fp_pkt *p)
{
	const struct fp_service *sv = fp_service_lookup(s, p->dst, p->proto, p->dport);

	return sv != NULL ? sv : fp_service_lookup(s, p->dst, p->proto, 0);
}

static int one_packet_service(const struct fp_snapshot *s, const struct fp_pkt *p)
{
	const struct fp_service *sv = service_of(s, p);

	return sv != NULL && (sv->flags & FP_SVC_F_ONE_PACKET);
}

/* A datagram of a one-packet service: no connection is left for it, and
 * it went, as NAT to the address and port or as DR untouched to the MAC,
 * of one of the service's available servers. */
static void check_one_packet(const struct world *wd, const struct sent_in *in, const struct fp_pkt *ip_in,
	const uint8_t *out, const struct fp_pkt *op)
{
	const struct fp_service *sv = service_of(wd->snap, ip_in);
	const struct fp_dest *d = fp_snap_dests(wd->snap) + sv->first_dest;
	uint32_t j;

	CHECK(conn_of(wd, ip_in, FP_DIR_IN) == NULL, "a one-packet datagram left a connection");
	for (j = 0; j < sv->n_dests; j++) {
		uint8_t mac[6];

		if (!fp_rs_available(wd->snap, d[j].id))
			continue;
		if (d[j].method == FP_METHOD_NAT && op->dst == d[j].ip && op->src == ip_in->src &&
		    op->dport == (d[j].port != 0 ? d[j].port : ip_in->dport))
			return;
		if (d[j].method == FP_METHOD_DR && op->dst == ip_in->dst) {
			fp_neigh_mac(fp_neigh_lookup(wd->neigh, d[j].ip), mac);
			if (memcmp(out, mac, 6) == 0 && memcmp(out + FP_ETH_LEN, in->frame + FP_ETH_LEN, fp_ip_len(ip_in)) == 0)
				return;
		}
	}
	CHECK(0, "one-packet datagram to %08x:%u is for none of its service's servers", op->dst, op->dport);
}

/* An ICMP error we made: back to the sender, from our address or the
 * VIP it sent to, quoting the datagram as it arrived. */
static void check_originated(const struct world *wd, const struct sent_in *in, const struct fp_pkt *ip_in,
	const uint8_t *out, const struct fp_pkt *op)
{
	uint32_t quote = fp_ip_len(ip_in) < FP_ICMP_QUOTE_MAX ? fp_ip_len(ip_in) : FP_ICMP_QUOTE_MAX;

	CHECK(op->icmp_type == FP_ICMP_TIME_EXCEEDED || op->icmp_type == FP_ICMP_DEST_UNREACH, "originated ICMP type %u", op->icmp_type);
	CHECK(op->dst == ip_in->src, "ICMP error to %08x about a datagram from %08x", op->dst, ip_in->src);
	CHECK(fp_own_address(wd->snap, op->src) || fp_vip_owner(wd->snap, op->src, &(uint8_t){ 0 }),
		"ICMP error from %08x, not ours", op->src);
	CHECK(fp_ip_len(op) == FP_IP_LEN + FP_ICMP_LEN + quote &&
		memcmp(out + FP_ETH_LEN + FP_IP_LEN + FP_ICMP_LEN, in->frame + FP_ETH_LEN, quote) == 0,
		"ICMP error does not quote the datagram as it arrived");
}

static void check_sent(struct world *wd, const struct sent_in *in, const uint8_t *out, uint16_t len, uint16_t port)
{
	struct fp_pkt op, ip_in;
	const struct fp_conn *c;
	int r;

	CHECK(port < wd->snap->n_ports, "sent on port %u", port);
	CHECK(memcmp(out + 6, wd->snap->ports[port].mac, 6) == 0, "source MAC is not the port's");
	r = fp_parse((uint8_t *)out, len, &op);
	CHECK(r == FP_DROP_NONE, "sent frame does not parse (reason %d)", r);
	CHECK(op.ethertype == FP_ETHERTYPE_IPV4, "sent a non-IPv4 frame");
	r = fp_parse((uint8_t *)in->frame, in->len, &ip_in);
	CHECK(r == FP_DROP_NONE, "forwarded an input that does not parse");
	CHECK(fp_vip_owner(wd->snap, ip_in.dst, &(uint8_t){ 0 }) != FP_VIP_STANDBY,
		"sent a frame for a packet to standby VIP %08x", ip_in.dst);
	if (in->l4_valid)
		CHECK(l4_ok(out, len), "valid input (proto %u, %08x -> %08x, icmp type %u) left with a bad L4 checksum (proto %u, %08x -> %08x)",
			ip_in.proto, ip_in.src, ip_in.dst, ip_in.icmp_type, op.proto, op.src, op.dst);
	if (op.proto == FP_PROTO_IPIP) {
		CHECK(has_dest(wd->snap, op.dst, FP_METHOD_TUN), "tunnel to a non-TUN server");
		CHECK(op.src == wd->snap->ports[port].ip, "tunnel from another address");
		CHECK(op.len - FP_IP_LEN >= fp_ip_len(&ip_in) - 0u && memcmp(out + FP_ETH_LEN + FP_IP_LEN + 12, in->frame + FP_ETH_LEN + 12, 8) == 0,
			"tunnelled datagram's addresses changed");
		return;
	}
	if (fp_vip_owner(wd->snap, ip_in.dst, &(uint8_t){ 0 }) && op.dst != ip_in.src &&
	    (op.proto == FP_PROTO_TCP || op.proto == FP_PROTO_UDP)) {
		/* client -> VIP: the connection says where it goes; a
		 * one-packet service keeps none, one of its servers gets it */
		if (one_packet_service(wd->snap, &ip_in)) {
			check_one_packet(wd, in, &ip_in, out, &op);
			return;
		}
		c = conn_of(wd, &ip_in, FP_DIR_IN);
		CHECK(c != NULL, "forwarded a client packet without a connection");
		CHECK(fp_rs_available(wd->snap, c->rs_id), "forwarded a client packet to real server %u, not in the snapshot", c->rs_id);
		if (fp_conn_method(c) == FP_METHOD_NAT) {
			CHECK(op.dst == c->rs_ip && op.src == ip_in.src && op.dport == c->rs_port,
				"NAT in to %08x:%u, the connection says %08x:%u", op.dst, op.dport, c->rs_ip, c->rs_port);
		} else {
			uint8_t mac[6];

			CHECK(fp_conn_method(c) == FP_METHOD_DR, "method %u sent untunnelled", fp_conn_method(c));
			fp_neigh_mac(fp_neigh_lookup(wd->neigh, c->rs_ip), mac);
			CHECK(memcmp(out, mac, 6) == 0, "DR to another MAC than its server's");
			CHECK(memcmp(out + FP_ETH_LEN, in->frame + FP_ETH_LEN, fp_ip_len(&ip_in)) == 0, "DR changed the IP packet");
		}
		return;
	}
	if (op.proto == FP_PROTO_TCP || op.proto == FP_PROTO_UDP) {
		/* a NAT reply: from the VIP:vport of its connection */
		c = conn_of(wd, &ip_in, FP_DIR_OUT);
		CHECK(c != NULL && fp_conn_method(c) == FP_METHOD_NAT, "forwarded a reply without a NAT connection");
		CHECK(op.src == c->vip && op.sport == c->vport && op.dst == c->client_ip, "NAT out from the wrong address");
		return;
	}
	CHECK(op.proto == FP_PROTO_ICMP, "sent protocol %u", op.proto);
	CHECK(!(wd->snap->ports[in->port].kernel && fp_own_address(wd->snap, ip_in.dst) && !fp_vip_owner(wd->snap, ip_in.dst, &(uint8_t){ 0 })),
		"answered ICMP to a port address that has a kernel interface");
	if (fp_icmp_is_error(op.icmp_type) && !(ip_in.proto == FP_PROTO_ICMP && fp_icmp_is_error(ip_in.icmp_type)))
		check_originated(wd, in, &ip_in, out, &op);
}

/* Every packet of the burst is counted once, as what became of it. */
static void check_accounted(const struct fp_lcore_counters *b, const struct fp_lcore_counters *a,
	uint32_t n, uint32_t sent, uint32_t punted, uint32_t dropped)
{
	uint64_t drops = 0, punts = 0;
	uint32_t i;

	for (i = 0; i < FP_NUM_DROPS; i++)
		drops += a->drops[i] - b->drops[i];
	for (i = 0; i < FP_NUM_PUNTS; i++)
		punts += a->punted[i] - b->punted[i];
	CHECK(a->rx_pkts - b->rx_pkts == n, "rx counted %lu of %u", (unsigned long)(a->rx_pkts - b->rx_pkts), n);
	CHECK(drops == dropped, "drop counters grew by %lu for %u drops", (unsigned long)drops, dropped);
	CHECK(punts == punted, "punt counters grew by %lu for %u punts", (unsigned long)punts, punted);
	CHECK(a->forwarded - b->forwarded + a->answered - b->answered == sent,
		"forwarded+answered grew by %lu for %u sent",
		(unsigned long)(a->forwarded - b->forwarded + a->answered - b->answered), sent);
	CHECK(a->time_exceeded_sent - b->time_exceeded_sent + a->frag_needed_sent - b->frag_needed_sent <=
		a->answered - b->answered + punts, "more ICMP errors counted than answers sent or held");
}

/* A packet for the kernel: it arrived on a port with a kernel interface,
 * is IPv4, and is to one of our port addresses (not a VIP) or multicast
 * in a frame to its group's MAC. */
static void check_for_kernel(const struct world *wd, const struct sent_in *in)
{
	const struct fp_snapshot *s = wd->snap;
	struct fp_pkt p;
	const uint8_t *f = in->frame;
	int r = fp_parse((uint8_t *)in->frame, in->len, &p);

	CHECK(s->ports[in->port].kernel, "punted for the kernel on port %u, which has no kernel interface", in->port);
	CHECK(r == FP_DROP_NONE && p.ethertype == FP_ETHERTYPE_IPV4, "punted for the kernel a frame that is not valid IPv4");
	CHECK(!fp_vip_owner(s, p.dst, &(uint8_t){ 0 }), "punted for the kernel a packet to a VIP");
	if (fp_own_address(s, p.dst))
		return;
	CHECK((p.dst >> 28) == 0xe && f[0] == 1 && f[1] == 0 && f[2] == 0x5e && f[3] == (uint8_t)(p.dst >> 16 & 0x7f) &&
		f[4] == (uint8_t)(p.dst >> 8) && f[5] == (uint8_t)p.dst,
		"punted for the kernel a packet to %08x, neither ours nor multicast to its group MAC", p.dst);
	CHECK((p.src >> 28) < 0xe && (p.src >> 24) != 0 && (p.src >> 24) != 127, "punted for the kernel multicast from a martian %08x", p.src);
}

/* With mac_filter, whether the input's destination MAC let it in: the
 * port's own or virtual MAC, broadcast for ARP, a group MAC on a port
 * with a kernel interface (check_for_kernel checks the rest). Without,
 * anything does. */
static int dst_mac_admitted(const struct world *wd, const struct sent_in *in)
{
	const struct fp_snapshot *s = wd->snap;
	const uint8_t *f = in->frame;
	int arp = in->len >= 14 && f[12] == 0x08 && f[13] == 0x06;
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (!s->sec.mac_filter)
		return 1;
	return memcmp(f, s->ports[in->port].mac, 6) == 0 || memcmp(f, vmac_port[in->port], 6) == 0 ||
		(arp && memcmp(f, bcast, 6) == 0) || (s->ports[in->port].kernel && (f[0] & 1));
}

/*
 * A dest_unavailable drop: the client packet's connection, if it is
 * still there, has a server that left and a service that keeps such
 * connections, unless a later packet of the burst made it anew; 1 when
 * it is gone (expired, or evicted or reused later in the burst: the
 * caller compares with those counters).
 */
static int check_dest_unavailable(const struct world *wd, const struct sent_in *in, const struct fp_lcore_counters *before)
{
	const struct fp_conn *c;
	struct fp_pkt p;

	CHECK(fp_parse((uint8_t *)in->frame, in->len, &p) == FP_DROP_NONE, "dest_unavailable for a frame that does not parse");
	c = conn_of(wd, &p, FP_DIR_IN);
	if (c == NULL)
		return 1;
	if (fp_rs_available(wd->snap, c->rs_id)) {
		CHECK(wd->cnt->created > before->created, "dest_unavailable for a connection to available server %u", c->rs_id);
		return 0;
	}
	CHECK(!fp_svc_expire_nodest(wd->snap, c->svc_id), "dest_unavailable left a connection of an expire_nodest_conn service");
	return 0;
}

static void run_burst(struct world *wd, struct sent_in *ins, uint32_t n)
{
	struct rte_mbuf *ms[MAX_FRAMES];
	const struct fp_lcore_counters before = *wd->cnt;
	uint32_t i, j, dropped = 0, sent = 0, punted = 0, gone = 0;
	uint64_t full = 0;

	for (i = 0; i < n; i++) {
		ins[i].m = fp_fake_mbuf(ins[i].frame, ins[i].len, 128);
		CHECK(ins[i].m != NULL, "out of memory");
		ms[i] = ins[i].m;
	}
	fp_harness_reset(&wd->h);
	fp_worker_begin(wd->w);
	fp_handle_burst(wd->w, ms, (uint16_t)n, ins[0].port);
	fp_harness_flush(wd->w, &wd->h);
	CHECK(wd->h.n_out == n && wd->h.lost == 0, "%u mbufs in, %u out", n, wd->h.n_out);
	for (i = 0; i < n; i++) {
		const struct fp_harness_out *o = NULL;
		uint8_t reason, inp, outp;
		uint32_t hop;

		for (j = 0; j < wd->h.n_out; j++)
			if (wd->h.out[j].m == ins[i].m) {
				CHECK(o == NULL, "an mbuf ended in two queues");
				o = &wd->h.out[j];
			}
		CHECK(o != NULL, "an mbuf was lost");
		fp_meta_get(o->m, &reason, &inp, &outp, &hop);
		switch (o->verdict) {
		case FP_V_DROP:
			CHECK(reason != FP_DROP_NONE && reason < FP_NUM_DROPS, "dropped without a reason");
			if (reason == FP_DROP_KERNEL_FULL)
				check_for_kernel(wd, &ins[i]);
			if (reason == FP_DROP_BAD_DST_MAC)
				CHECK(!dst_mac_admitted(wd, &ins[i]) || (ins[i].frame[0] & 1),
					"dropped bad_dst_mac a frame to the port's own or virtual MAC");
			if (reason == FP_DROP_DEST_UNAVAILABLE)
				gone += (uint32_t)check_dest_unavailable(wd, &ins[i], &before);
			dropped++;
			break;
		case FP_V_TX: {
			uint16_t len;
			const uint8_t *d = fp_fake_mbuf_data(o->m, &len);

			CHECK(dst_mac_admitted(wd, &ins[i]), "sent on a frame to another MAC than the port's");
			check_sent(wd, &ins[i], d, len, o->target);
			sent++;
			break;
		}
		case FP_V_PUNT:
			CHECK(reason < FP_NUM_PUNTS, "punt reason %u", reason);
			CHECK(dst_mac_admitted(wd, &ins[i]), "punted a frame to another MAC than the port's");
			if (reason == FP_PUNT_NEIGH)
				CHECK(fp_neigh_lookup(wd->neigh, hop) == 0 && outp < wd->snap->n_ports, "punted for a known neighbour");
			if (reason == FP_PUNT_KERNEL)
				check_for_kernel(wd, &ins[i]);
			punted++;
			break;
		default:
			CHECK(0, "verdict %u with one worker", o->verdict);
		}
	}
	check_accounted(&before, wd->cnt, n, sent, punted, dropped);
	for (i = 0; i < FP_MAX_PORTS; i++)
		full += wd->cnt->kernel_full[i] - before.kernel_full[i];
	CHECK(full == wd->cnt->drops[FP_DROP_KERNEL_FULL] - before.drops[FP_DROP_KERNEL_FULL], "kernel_full by port does not add up");
	/* a connection the burst expired may have been made again by a later
	 * packet of it (a SYN); one that is gone went one of these ways */
	CHECK(gone <= wd->cnt->nodest_expired - before.nodest_expired + wd->cnt->evicted - before.evicted +
		wd->cnt->reused - before.reused, "%u dest_unavailable drops without their connection, %lu expired",
		gone, (unsigned long)(wd->cnt->nodest_expired - before.nodest_expired));
	for (i = 0; i < n; i++)
		fp_fake_mbuf_free(ins[i].m);
}

/* With FP_FUZZ_TRACE set, what an input reached (for checking that a
 * seed does what it is meant to): each service's flags and persistence,
 * then the counters that show templates, thresholds and drops. */
static void trace(const struct world *wd)
{
	const struct fp_lcore_counters *c = wd->cnt;
	uint32_t i;

	if (getenv("FP_FUZZ_TRACE") == NULL)
		return;
	for (i = 0; i < wd->snap->n_services; i++) {
		const struct fp_service *sv = &fp_snap_services(wd->snap)[i];

		fprintf(stderr, "trace: svc %u proto %u port %u flags %#x persist %u/%08x group %u\n", i, sv->proto,
			sv->port, sv->flags, sv->persist_ms, sv->persist_mask, sv->persist_group);
	}
	fprintf(stderr, "trace: created %lu forwarded %lu templates %lu\n", (unsigned long)c->created,
		(unsigned long)c->forwarded, (unsigned long)c->templates);
	for (i = 0; i < FP_NUM_DROPS; i++)
		if (c->drops[i] != 0)
			fprintf(stderr, "trace: drop reason %u: %lu\n", i, (unsigned long)c->drops[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sent_in ins[MAX_FRAMES];
	struct input in = { data, size };
	struct fp_snapshot *snap = build_snapshot(&in);
	struct world wd;
	uint32_t n = 0, frames = 0, i;
	uint16_t next_id = 1000; /* for replaced servers: above every input's */

	if (snap == NULL)
		return 0;
	if (world_init(&wd, snap) != 0) {
		world_free(&wd);
		return 0;
	}
	while (in.n >= 4 && frames < 4 * MAX_FRAMES) {
		uint8_t op = in.p[0], port = in.p[1];
		uint16_t len = (uint16_t)(in.p[2] << 8 | in.p[3]);

		in.p += 4;
		in.n -= 4;
		if (len > in.n || len > sizeof(ins[0].frame))
			len = (uint16_t)(in.n < sizeof(ins[0].frame) ? in.n : sizeof(ins[0].frame));
		if (op & 4) {
			wd.w->now += 1000u * port;
			fp_housekeep(wd.w, 1);
		}
		if (op & (16 | 32 | 64)) {
			/* configuration changes apply between bursts, as a reload */
			if (n > 0) {
				run_burst(&wd, ins, n);
				n = 0;
			}
			/* a server replaced by another (a new id): the old one's
			 * connections have no server in the snapshot any more */
			if (op & 16)
				((struct fp_dest *)fp_snap_dests(wd.snap))[(uint32_t)(port >> 1) % wd.snap->n_dests].id = next_id++;
			if (op & 32)
				for (i = 0; i < wd.snap->n_services; i++)
					((struct fp_service *)fp_snap_services(wd.snap))[i].flags ^=
						FP_SVC_F_EXPIRE_NODEST | ((port & 4) ? FP_SVC_F_STANDBY : 0);
			if (op & (16 | 32))
				CHECK(fp_snapshot_index(wd.snap) == 0, "the changed snapshot does not index");
			if (op & 64)
				wd.h.punt_free = port % 8u;
		}
		/* a burst comes in on one port */
		if (n > 0 && ins[0].port != port % 2) {
			run_burst(&wd, ins, n);
			n = 0;
		}
		memcpy(ins[n].frame, in.p, len);
		ins[n].len = len;
		ins[n].port = port % 2;
		if ((op & 8) && len >= 6)
			memcpy(ins[n].frame, mac_port[port % 2], 6);
		if ((op & 128) && len >= 6)
			memcpy(ins[n].frame, vmac_port[port % 2], 6);
		if (op & 1)
			fix_checksums(ins[n].frame, len);
		ins[n].l4_valid = (uint8_t)l4_ok(ins[n].frame, len);
		in.p += len;
		in.n -= len;
		frames++;
		if (++n == MAX_FRAMES || (op & 2)) {
			run_burst(&wd, ins, n);
			n = 0;
		}
	}
	if (n > 0)
		run_burst(&wd, ins, n);
	trace(&wd);
	world_free(&wd);
	return 0;
}
