/*
 * fp_xmit.c - the packets that belong to connections: scheduling new ones,
 * tracking state, and the transmit functions of the three methods. A
 * connection's transmit function is bound once, when it is created
 * (the conn's method, fp_conn_method, indexes xmit_in), as DPVS binds packet_xmit.
 */
#include "fp_internal.h"

typedef enum fp_verdict (*fp_xmit_fn)(struct fp_worker *w, struct fp_bpkt *bp,
	struct fp_conn *c, int track);

/* ---- IP rewriting ---- */

int fp_dec_ttl(struct fp_pkt *p)
{
	uint8_t *ip = fp_ip(p);
	uint16_t old;

	if (ip[FP_IP_OFF_TTL] <= 1)
		return 0;
	/* TTL is the high byte of the word it shares with the protocol. */
	old = fp_get16(ip + FP_IP_OFF_TTL);
	ip[FP_IP_OFF_TTL]--;
	fp_fix16(ip + FP_IP_OFF_CSUM, old, (uint16_t)(old - 0x100));
	p->ttl--;
	return 1;
}

/*
 * Rewrites an address (at addr_off in the IP header) and, for TCP/UDP, the
 * port at port_off in the L4 header; both checksums updated incrementally
 * (the L4 one covers the address through the pseudo-header). A zero UDP
 * checksum means "none" and stays zero; a computed zero is sent as 0xffff.
 */
void fp_set_addr_port(struct fp_pkt *p, uint32_t addr_off, uint32_t port_off, uint32_t ip, uint16_t port)
{
	uint8_t *iph = fp_ip(p), *l4 = fp_l4(p), *csum;
	uint32_t old = fp_get32(iph + addr_off);
	uint16_t old_port, sum;

	fp_put32(iph + addr_off, ip);
	fp_fix32(iph + FP_IP_OFF_CSUM, old, ip);
	if (p->proto != FP_PROTO_TCP && p->proto != FP_PROTO_UDP)
		return;
	old_port = fp_get16(l4 + port_off);
	fp_put16(l4 + port_off, port);
	csum = l4 + (p->proto == FP_PROTO_TCP ? FP_TCP_OFF_CSUM : FP_UDP_OFF_CSUM);
	sum = fp_get16(csum);
	if (p->proto == FP_PROTO_UDP && sum == 0)
		return;
	sum = fp_csum_update16(fp_csum_update32(sum, old, ip), old_port, port);
	if (p->proto == FP_PROTO_UDP && sum == 0)
		sum = 0xffff;
	fp_put16(csum, sum);
}

/* ---- counters and state ---- */

static void gauge(struct fp_worker *w, const struct fp_conn *c, uint8_t state, int delta)
{
	struct fp_traffic *rs = &w->cnt->rs[c->rs_id], *svc = &w->cnt->svc[c->svc_id];

	if (fp_state_active(state)) {
		rs->active += (uint64_t)(int64_t)delta;
		svc->active += (uint64_t)(int64_t)delta;
	} else {
		rs->inactive += (uint64_t)(int64_t)delta;
		svc->inactive += (uint64_t)(int64_t)delta;
	}
}

/* Counts a packet of c in direction dir (0 in, 1 out), before any rewrite. */
static void count(struct fp_worker *w, const struct fp_conn *c, int dir, const struct fp_pkt *p)
{
	uint64_t bytes = fp_ip_len(p);
	struct fp_traffic *rs = &w->cnt->rs[c->rs_id], *svc = &w->cnt->svc[c->svc_id];
	struct fp_pkts *m = &w->cnt->method[fp_conn_method(c)];

	rs->pkts[dir]++;
	rs->bytes[dir] += bytes;
	svc->pkts[dir]++;
	svc->bytes[dir] += bytes;
	m->pkts++;
	m->bytes += bytes;
}

/* Advances c's state and timer for a packet of it. */
static void track(struct fp_worker *w, struct fp_conn *c, enum fp_tcp_table table, uint8_t flags)
{
	uint8_t old = c->state;

	/* Most segments: an established connection's ACK or data, which every
	 * table leaves ESTABLISHED. */
	if (c->proto == FP_PROTO_TCP &&
	    !(c->state == FP_STATE_ESTABLISHED && !(flags & (FP_TCP_SYN | FP_TCP_FIN | FP_TCP_RST)))) {
		uint8_t ns = fp_tcp_next(c->state, table, flags);

		if (ns != c->state) {
			if (fp_state_active(ns) != fp_state_active(c->state)) {
				gauge(w, c, c->state, -1);
				gauge(w, c, ns, 1);
			}
			c->state = ns;
		}
	}
	c->expire = w->now + w->snap->timeouts_ms[c->state];
	/* under a flood, half-open entries go soon (IPVS's secure_tcp) */
	if (c->state == FP_STATE_SYN_RECV && w->cnt->flood_active &&
	    w->snap->sec.flood_syn_ms < w->snap->timeouts_ms[c->state])
		c->expire = w->now + w->snap->sec.flood_syn_ms;
	c->flags &= (uint8_t)~FP_CONN_F_SYNCED; /* it lives here now */
	if (FP_UNLIKELY(w->sync_on))
		fp_sync_note(w, c, old, table != FP_TCP_OUTPUT);
}

/* What the table losing c changes in the counters: a template is no
 * connection. */
static void uncount(struct fp_worker *w, const struct fp_conn *c)
{
	if (FP_UNLIKELY(c->flags & FP_CONN_F_TEMPLATE)) {
		w->cnt->templates--;
		return;
	}
	w->cnt->live--;
	gauge(w, c, c->state, -1);
}

/* Removes c as expiry does, keeping the gauges right. */
static void forget(struct fp_worker *w, struct fp_conn *c)
{
	uncount(w, c);
	fp_conn_remove(&w->conns, c);
	w->burst_removed = 1;
}

void fp_xmit_gauge(struct fp_worker *w, const struct fp_conn *c, uint8_t state, int delta)
{
	gauge(w, c, state, delta);
}

void fp_xmit_forget(struct fp_worker *w, struct fp_conn *c)
{
	forget(w, c);
}

/* ---- the methods ---- */

/*
 * The NAT rewrite in one pass: TTL - 1, one address and, for TCP/UDP, its
 * port; each checksum takes the sum of its changes and is folded once
 * (RFC 1624 eqn. 3, as fp_set_addr_port does field by field). A zero UDP
 * checksum means "none" and stays zero; a computed zero goes out as 0xffff.
 */
static void nat_rewrite(struct fp_pkt *p, uint32_t addr_off, uint32_t port_off, uint32_t ip, uint16_t port)
{
	uint8_t *iph = fp_ip(p), *l4 = fp_l4(p), *csum;
	uint32_t old = fp_get32(iph + addr_off), delta;
	uint16_t ttl_old = fp_get16(iph + FP_IP_OFF_TTL), old_port, sum;

	delta = (uint16_t)~(old >> 16) + (uint16_t)~(old & 0xffff) + (ip >> 16) + (ip & 0xffff);
	iph[FP_IP_OFF_TTL]--;
	fp_put32(iph + addr_off, ip);
	fp_put16(iph + FP_IP_OFF_CSUM, (uint16_t)~fp_fold((uint16_t)~fp_get16(iph + FP_IP_OFF_CSUM) + delta +
		(uint16_t)~ttl_old + (uint16_t)(ttl_old - 0x100)));
	p->ttl--;
	if (p->proto != FP_PROTO_TCP && p->proto != FP_PROTO_UDP)
		return;
	old_port = fp_get16(l4 + port_off);
	fp_put16(l4 + port_off, port);
	csum = l4 + (p->proto == FP_PROTO_TCP ? FP_TCP_OFF_CSUM : FP_UDP_OFF_CSUM);
	sum = fp_get16(csum);
	if (p->proto == FP_PROTO_UDP && sum == 0)
		return;
	sum = (uint16_t)~fp_fold((uint16_t)~sum + delta + (uint16_t)~old_port + port);
	if (p->proto == FP_PROTO_UDP && sum == 0)
		sum = 0xffff;
	fp_put16(csum, sum);
}

/* FP_V_LOOKUP when the datagram, extra bytes of encapsulation added, fits
 * the MTU of the port towards dst; else what fp_check_mtu made of it. */
static enum fp_verdict fits(struct fp_worker *w, struct fp_bpkt *bp, uint32_t dst, uint32_t extra, uint32_t from)
{
	uint32_t hop;
	uint8_t port;

	/* most datagrams fit every port: no route to look up */
	if (FP_LIKELY((uint32_t)fp_ip_len(&bp->p) + extra <= w->snap->min_mtu))
		return FP_V_LOOKUP;
	if (!fp_route(w->snap, dst, &port, &hop))
		return fp_drop(w, FP_DROP_NO_ROUTE);
	return fp_check_mtu(w, bp, port, extra, from);
}

/*
 * NAT both ways: TTL, state and counters, then the one address and port
 * that differ between the two sides: the destination becomes the real
 * server on the way in, the source goes back to VIP:vport on the way out.
 */
static enum fp_verdict nat_xmit(struct fp_worker *w, struct fp_bpkt *bp, struct fp_conn *c, int out)
{
	struct fp_pkt *p = &bp->p;
	enum fp_verdict v;

	if (p->ttl <= 1)
		return fp_time_exceeded(w, bp);
	/* too big for the way on: frag-needed to the client from the VIP it
	 * sends to, to a server from our address on its side */
	v = fits(w, bp, out ? c->client_ip : c->rs_ip, 0, out ? w->snap->ports[bp->in_port].ip : c->vip);
	if (v != FP_V_LOOKUP)
		return v;
	track(w, c, out ? FP_TCP_OUTPUT : FP_TCP_INPUT, p->tcp_flags);
	count(w, c, out, p);
	if (out)
		nat_rewrite(p, FP_IP_OFF_SRC, FP_L4_OFF_SPORT, c->vip, c->vport);
	else
		nat_rewrite(p, FP_IP_OFF_DST, FP_L4_OFF_DPORT, c->rs_ip, c->rs_port);
	fp_trim(bp);
	return fp_to_host(w, bp, out ? c->client_ip : c->rs_ip);
}

static enum fp_verdict nat_in(struct fp_worker *w, struct fp_bpkt *bp, struct fp_conn *c, int track_it)
{
	(void)track_it; /* NAT's ICMP relays are translated, not sent through here */
	return nat_xmit(w, bp, c, 0);
}

/* DR: only the Ethernet addresses change; the IP packet, TTL included,
 * goes out as it came, as IPVS sends it. */
static enum fp_verdict dr_in(struct fp_worker *w, struct fp_bpkt *bp, struct fp_conn *c, int track_it)
{
	enum fp_verdict v = fits(w, bp, c->rs_ip, 0, c->vip);

	if (v != FP_V_LOOKUP)
		return v;
	if (track_it)
		track(w, c, FP_TCP_INPUT_ONLY, bp->p.tcp_flags);
	count(w, c, 0, &bp->p);
	fp_trim(bp);
	return fp_to_host(w, bp, c->rs_ip);
}

/* Wraps the datagram in an outer IPv4 header (RFC 2003) from our address
 * on the egress port to the server; TOS and DF copied, TTL as the inner. */
static int encap_ipip(struct fp_worker *w, struct fp_bpkt *bp, uint32_t src, uint32_t dst)
{
	struct fp_pkt *p = &bp->p;
	uint16_t inner = fp_ip_len(p);
	uint8_t *old = p->frame, *frame, *ip;

	if (p->l3 != FP_ETH_LEN || rte_pktmbuf_headroom(bp->m) < FP_IP_LEN)
		return 0;
	fp_trim(bp);
	frame = (uint8_t *)rte_pktmbuf_prepend(bp->m, FP_IP_LEN);
	if (frame == NULL)
		return 0;
	memmove(frame, old, FP_ETH_LEN);
	ip = frame + FP_ETH_LEN;
	ip[0] = 0x45;
	ip[1] = old[FP_ETH_LEN + 1];
	fp_put16(ip + FP_IP_OFF_TOTLEN, (uint16_t)(inner + FP_IP_LEN));
	fp_put16(ip + 4, ++w->ip_id);
	ip[6] = old[FP_ETH_LEN + FP_IP_OFF_FRAG] & 0x40;
	ip[7] = 0;
	ip[FP_IP_OFF_TTL] = old[FP_ETH_LEN + FP_IP_OFF_TTL];
	ip[FP_IP_OFF_PROTO] = FP_PROTO_IPIP;
	fp_put16(ip + FP_IP_OFF_CSUM, 0);
	fp_put32(ip + FP_IP_OFF_SRC, src);
	fp_put32(ip + FP_IP_OFF_DST, dst);
	fp_put16(ip + FP_IP_OFF_CSUM, fp_csum(ip, FP_IP_LEN, 0));
	/* The frame now starts 20 bytes earlier and its L3 is the outer header. */
	p->frame = frame;
	p->len = (uint16_t)(FP_ETH_LEN + FP_IP_LEN + inner);
	p->ip_end = p->len;
	p->l4 = FP_ETH_LEN + FP_IP_LEN;
	p->proto = FP_PROTO_IPIP;
	w->cnt->encapsulated++;
	return 1;
}

/*
 * TUN: a datagram too big for the egress MTU once wrapped is refused: with
 * DF the client gets fragmentation-needed (so PMTU discovery works through
 * the tunnel), without DF it is dropped (we do not fragment).
 */
static enum fp_verdict tun_in(struct fp_worker *w, struct fp_bpkt *bp, struct fp_conn *c, int track_it)
{
	const struct fp_port *out;
	struct fp_pkt *p = &bp->p;
	uint32_t hop;
	uint8_t port;

	enum fp_verdict v;

	if (!fp_route(w->snap, c->rs_ip, &port, &hop))
		return fp_drop(w, FP_DROP_NO_ROUTE);
	out = &w->snap->ports[port];
	v = fp_check_mtu(w, bp, port, FP_IP_LEN, c->vip);
	if (v != FP_V_LOOKUP)
		return v;
	if (!fp_dec_ttl(p))
		return fp_time_exceeded(w, bp);
	if (track_it)
		track(w, c, FP_TCP_INPUT_ONLY, p->tcp_flags);
	count(w, c, 0, p);
	if (!encap_ipip(w, bp, out->ip, c->rs_ip))
		return fp_drop(w, FP_DROP_NO_HEADROOM);
	return fp_to_host(w, bp, c->rs_ip);
}

static const fp_xmit_fn xmit_in[FP_NUM_METHODS] = {
	[FP_METHOD_NAT] = nat_in,
	[FP_METHOD_DR] = dr_in,
	[FP_METHOD_TUN] = tun_in,
};

/* ---- new connections ---- */

/*
 * security.src_limit: new connections per second from one source prefix
 * (security.src_prefix bits), per lcore. Prefixes share FP_SRC_BUCKETS
 * counters by a seeded hash: a prefix may be limited with the ones it
 * collides with, never let through beyond its own limit.
 */
static int source_over_limit(struct fp_worker *w, uint32_t src)
{
	const struct fp_security *sec = &w->snap->sec;
	uint32_t mask = sec->src_prefix >= 32 ? ~0u : sec->src_prefix == 0 ? 0 : ~0u << (32 - sec->src_prefix);
	uint32_t h = (uint32_t)((((uint64_t)(src & mask) ^ w->conns.seed) * FP_HASH_K3) >> 40) & (FP_SRC_BUCKETS - 1);
	struct fp_src_bucket *b = &w->src_buckets[h];
	uint32_t epoch = w->now / 1000;

	if (b->epoch != epoch) {
		b->epoch = epoch;
		b->count = 0;
	}
	return ++b->count > sec->src_limit;
}

/* ---- thresholds ---- */

/*
 * IPVS's IP_VS_DEST_F_OVERLOAD, per lcore: a dest is overloaded once its
 * connections here (active + inactive) reach its upper threshold, and
 * stays so until they are below its lower one. Kept at scheduling time:
 * the count only rises by connections scheduled here, so the state a
 * pick sees is the one IPVS's update at each bind and unbind would give.
 * 1 when some dest of svc is overloaded now.
 */
static int update_overload(struct fp_worker *w, const struct fp_service *svc)
{
	const struct fp_dest *d = fp_snap_dests(w->snap) + svc->first_dest;
	uint32_t j;
	int any = 0;

	for (j = 0; j < svc->n_dests; j++) {
		const struct fp_traffic *t = &w->cnt->rs[d[j].id];
		uint64_t bit = 1ULL << (d[j].id & 63), *word = &w->overloaded[d[j].id >> 6];
		uint64_t conns = t->active + t->inactive;

		if (d[j].upper == 0 || conns < d[j].lower)
			*word &= ~bit;
		else if (conns >= d[j].upper)
			*word |= bit;
		any |= (*word & bit) != 0;
	}
	return any;
}

/* The scheduler's pick for a new connection of svc: a dest index, or -1. */
static int pick(struct fp_worker *w, const struct fp_service *svc, const struct fp_pkt *p)
{
	int i;

	if ((svc->flags & FP_SVC_F_THRESHOLDS) && update_overload(w, svc))
		i = fp_sched_pick_masked(&w->sched, w->snap, svc, w->cnt->rs, p, w->now, w->overloaded,
			&w->pick_scratch);
	else
		i = fp_sched_pick(&w->sched, w->snap, svc, w->cnt->rs, p, w->now);
	return i >= 0 && (uint32_t)i < svc->n_dests ? i : -1;
}

/* ---- persistence ---- */

/* The key of the template of p's client network for svc. */
static void template_key(const struct fp_service *svc, const struct fp_pkt *p, struct fp_key *k)
{
	*k = (struct fp_key){ .src_ip = p->src & svc->persist_mask, .dst_ip = p->dst, .src_port = 0,
		.dst_port = svc->port, .proto = svc->proto, .dir = FP_DIR_IN };
	/* a group's: client port = the group, virtual port 0 (no packet has
	 * either port 0, so no connection has these keys) */
	if (svc->persist_group != 0) {
		k->src_port = svc->persist_group;
		k->dst_port = 0;
	}
}

/* The index among svc's dests of the server template t pins, or -1 when
 * it left the service or (expire_quiescent_template) has weight 0. */
static int template_dest(const struct fp_service *svc, const struct fp_dest *d, const struct fp_conn *t)
{
	uint32_t j;

	/* a group's template pins an address: the services' dests differ */
	for (j = 0; j < svc->n_dests; j++)
		if (svc->persist_group != 0 ? d[j].ip == t->rs_ip : d[j].id == t->rs_id)
			return d[j].weight == 0 && (svc->flags & FP_SVC_F_EXPIRE_QUIESCENT) ? -1 : (int)j;
	return -1;
}

static void point(struct fp_conn *t, const struct fp_dest *d)
{
	t->rs_ip = d->ip;
	t->rs_port = d->port;
	t->rs_id = d->id;
	fp_conn_set_method(t, d->method);
}

/* Points template t at dest d, or makes one for key k when t is NULL.
 * Its key does not hold its server, so a rewrite in place keeps it
 * indexed. NULL when the table has no room: the connection goes on
 * without one. */
static struct fp_conn *pin(struct fp_worker *w, const struct fp_service *svc, const struct fp_key *k,
	struct fp_conn *t, const struct fp_dest *d)
{
	struct fp_conn c, *dup;

	if (t != NULL) {
		point(t, d);
		return t;
	}
	memset(&c, 0, sizeof(c));
	c.client_ip = k->src_ip;
	c.vip = k->dst_ip;
	c.client_port = k->src_port;
	c.vport = k->dst_port;
	c.proto = k->proto;
	c.state = FP_STATE_NONE;
	c.flags = FP_CONN_F_TEMPLATE;
	c.svc_id = svc->id;
	point(&c, d);
	t = fp_conn_insert(&w->conns, &c, &dup);
	if (t != NULL)
		w->cnt->templates++;
	return t;
}

/*
 * IPVS's persistent scheduling: the server of the client network's
 * template while it is in the service (with weight 0 too, unless
 * expire_quiescent_template), else the scheduler's, which the template
 * then names. A template lasts persist_ms after the last connection it
 * gave a server (IPVS keeps it while it controls connections too).
 */
static int persistent_pick(struct fp_worker *w, const struct fp_service *svc, const struct fp_pkt *p)
{
	const struct fp_dest *d = fp_snap_dests(w->snap) + svc->first_dest;
	struct fp_key k;
	struct fp_conn *t;
	int i = -1;

	template_key(svc, p, &k);
	t = fp_conn_lookup(&w->conns, &k);
	if (t != NULL)
		i = template_dest(svc, d, t);
	if (i < 0) {
		i = pick(w, svc, p);
		if (i < 0)
			return -1;
		t = pin(w, svc, &k, t, &d[i]);
	}
	if (t != NULL) {
		t->expire = w->now + svc->persist_ms;
		if (FP_UNLIKELY(w->sync_on))
			fp_sync_emit(w, t, svc->persist_ms);
	}
	return i;
}

/* The packet's service: its port's, else the VIP's port-0 service. */
static const struct fp_service *service_of(const struct fp_snapshot *s, const struct fp_pkt *p)
{
	return fp_service_of(s, p->dst, p->proto, p->dport);
}

/* Finds the packet's service and picks a real server for it (IPVS's
 * scheduling) into bp->svc and bp->pick; bp->sched_err says why not. */
static void schedule(struct fp_worker *w, struct fp_bpkt *bp)
{
	const struct fp_pkt *p = &bp->p;
	/* looked up already when its scheduling was prefetched */
	const struct fp_service *svc = bp->svc != NULL ? bp->svc : service_of(w->snap, p);
	int i;

	bp->svc = svc;
	bp->pick = -1;
	if (svc == NULL) {
		bp->sched_err = FP_DROP_NO_SERVICE;
		return;
	}
	/* As IPVS: only a SYN opens a TCP connection. */
	if (p->proto == FP_PROTO_TCP && (p->tcp_flags & (FP_TCP_SYN | FP_TCP_ACK | FP_TCP_RST)) != FP_TCP_SYN) {
		bp->sched_err = FP_DROP_NO_CONN;
		return;
	}
	if (w->snap->sec.src_limit != 0 && source_over_limit(w, p->src)) {
		bp->sched_err = FP_DROP_NEW_CONN_LIMIT;
		return;
	}
	i = svc->persist_ms != 0 ? persistent_pick(w, svc, p) : pick(w, svc, p);
	if (i < 0) {
		bp->sched_err = FP_DROP_NO_DEST;
		return;
	}
	bp->pick = i;
}

/* The port a connection to d goes to: d's, or with 0 (a port-0 service's
 * dest) the one the client sent to. */
static uint16_t dest_port(const struct fp_dest *d, const struct fp_pkt *p)
{
	return d->port != 0 ? d->port : p->dport;
}

/*
 * New connections cost misses a lookup does not prefetch: the reply key's
 * home slot and the conn the insert writes. Scheduling a packet whose
 * lookup missed as soon as the burst's candidates are known lets both be
 * prefetched while earlier packets are finished. (A SYN repeated within
 * one burst is scheduled for nothing: its copy finds the conn the first
 * made, and the scheduler has advanced one step more.)
 */
void fp_prepare_new(struct fp_worker *w, struct fp_bpkt *bp, uint32_t nth)
{
	const struct fp_conn_table *t = &w->conns;
	const struct fp_dest *d;
	struct fp_key k;

	schedule(w, bp);
	if (bp->pick < 0)
		return;
	d = &fp_snap_dests(w->snap)[bp->svc->first_dest + (uint32_t)bp->pick];
	k = (struct fp_key){ .src_ip = d->ip, .dst_ip = bp->p.src, .src_port = dest_port(d, &bp->p),
		.dst_port = bp->p.sport, .proto = bp->p.proto, .dir = FP_DIR_OUT };
	fp_conn_prefetch(t, &k);
	if (t->free == 0 && t->hw + nth < t->capacity)
		__builtin_prefetch(&t->conns[t->hw + nth], 1, 3); /* for writing */
}

void fp_prefetch_sched(struct fp_worker *w, struct fp_bpkt *bp)
{
	const struct fp_service *svc = service_of(w->snap, &bp->p);
	struct fp_key k;

	bp->svc = svc;
	if (svc == NULL || svc->persist_ms == 0)
		return;
	template_key(svc, &bp->p, &k);
	fp_conn_prefetch(&w->conns, &k);
}

/* The tag of c's reply key: a reply in the burst that made c must find it. */
static uint32_t reply_tag(const struct fp_worker *w, const struct fp_conn *c)
{
	struct fp_key k;

	fp_conn_out_key(c, &k);
	return fp_conn_tag(&w->conns, &k);
}

/* Half-open and closed connections give way to new ones when the table
 * is full; established ones never do (IPVS's drop_entry). Persistence
 * templates do too: losing one costs stickiness, not a connection, and a
 * table full of them would refuse every new client. */
static int evictable(const struct fp_conn *c)
{
	if (c->flags & FP_CONN_F_TEMPLATE)
		return 1;
	if (c->proto != FP_PROTO_TCP)
		return 0;
	switch (c->state) {
	case FP_STATE_NONE:
	case FP_STATE_SYN_RECV:
	case FP_STATE_SYN_SENT:
	case FP_STATE_SYNACK:
	case FP_STATE_TIME_WAIT:
	case FP_STATE_CLOSE:
		return 1;
	}
	return 0;
}

/* Evicts one half-open or closed conn found within FP_EVICT_SCAN entries
 * from a rolling cursor; 0 when there is none (only established ones). */
static int evict_one(struct fp_worker *w)
{
	struct fp_conn_table *t = &w->conns;
	uint32_t n;

	for (n = 0; n < FP_EVICT_SCAN && t->hw > 0; n++) {
		struct fp_conn *c;

		if (w->evict_cursor >= t->hw)
			w->evict_cursor = 0;
		c = &t->conns[w->evict_cursor++];
		if ((c->flags & FP_CONN_F_USED) && evictable(c)) {
			forget(w, c);
			w->cnt->evicted++;
			return 1;
		}
	}
	return 0;
}

/* Table use at or above security.flood_pct: half-open entries get the
 * short flood_syn_ms timeout (IPVS's secure_tcp). */
static int flooded(struct fp_worker *w)
{
	const struct fp_conn_table *t = &w->conns;
	int on = (uint64_t)t->count * 100 >= (uint64_t)t->capacity * w->snap->sec.flood_pct;

	w->cnt->flood_active = (uint64_t)on;
	return on;
}

/* The connection of bp's packet to dest d, not yet in the table. */
static void conn_for(const struct fp_worker *w, const struct fp_bpkt *bp, const struct fp_dest *d,
	struct fp_conn *out)
{
	const struct fp_pkt *p = &bp->p;

	memset(out, 0, sizeof(*out));
	out->client_ip = p->src;
	out->vip = p->dst;
	out->rs_ip = d->ip;
	out->client_port = p->sport;
	out->vport = p->dport;
	out->rs_port = dest_port(d, p);
	out->proto = p->proto;
	out->state = p->proto == FP_PROTO_UDP ? FP_STATE_UDP : FP_STATE_NONE;
	fp_conn_set_method(out, d->method);
	out->svc_id = bp->svc->id;
	out->rs_id = d->id;
	out->cseq_hi = (uint16_t)(p->tcp_seq >> 16);
	out->expire = w->now + w->snap->timeouts_ms[out->state];
}

/*
 * IPVS's conn_reuse_mode=1: a SYN that finds a connection of the same
 * client address and port in TIME_WAIT or CLOSE starts a new connection:
 * the old entry goes, and the SYN is scheduled (so weights, drains and
 * removals apply to clients that reuse ports).
 */
static int reusable(const struct fp_conn *c, const struct fp_pkt *p)
{
	return c->proto == FP_PROTO_TCP &&
		(p->tcp_flags & (FP_TCP_SYN | FP_TCP_ACK | FP_TCP_RST)) == FP_TCP_SYN &&
		(c->state == FP_STATE_TIME_WAIT || c->state == FP_STATE_CLOSE);
}

static struct fp_conn *new_conn(struct fp_worker *w, struct fp_bpkt *bp, const struct fp_dest *d,
	enum fp_drop *why)
{
	const struct fp_service *svc = bp->svc;
	struct fp_conn c, *cp, *dup;

	conn_for(w, bp, d, &c);
	flooded(w);
	cp = fp_conn_insert(&w->conns, &c, &dup);
	if (cp == NULL && dup != NULL && reusable(dup, &bp->p)) {
		/* The client reused its port for another service that NATs to the
		 * same server port: the old connection's reply tuple is the new
		 * one's. Closed, it gives way (conn_reuse_mode); live, it stays. */
		forget(w, dup);
		w->cnt->reused++;
		cp = fp_conn_insert(&w->conns, &c, &dup);
	}
	if (cp == NULL && dup == NULL && evict_one(w))
		cp = fp_conn_insert(&w->conns, &c, &dup);
	if (cp == NULL) {
		*why = dup != NULL ? FP_DROP_REPLY_TUPLE_TAKEN : FP_DROP_CONN_TABLE_FULL;
		return NULL;
	}
	w->burst_created |= 1ULL << (w->tags[bp->key] & 63) | 1ULL << (reply_tag(w, cp) & 63);
	w->cnt->created++;
	w->cnt->live++;
	w->cnt->svc[svc->id].conns++;
	w->cnt->rs[d->id].conns++;
	gauge(w, cp, cp->state, 1);
	return cp;
}

/*
 * One-packet scheduling (IPVS's ops): the datagram goes to its server as
 * through a connection that is never entered in the table, counted as
 * one, so the next datagram is scheduled anew.
 */
static enum fp_verdict one_packet(struct fp_worker *w, struct fp_bpkt *bp, const struct fp_dest *d)
{
	struct fp_conn c;

	conn_for(w, bp, d, &c);
	w->cnt->svc[c.svc_id].conns++;
	w->cnt->rs[c.rs_id].conns++;
	return xmit_in[fp_conn_method(&c)](w, bp, &c, 1);
}

/*
 * A new connection for the packet: scheduled (ahead, or now), refused
 * before anything is created when the datagram would not fit the way to
 * its server (frag-needed from the VIP with DF), then made. Returns the
 * verdict for the packet when there is no connection.
 */
static enum fp_verdict open_conn(struct fp_worker *w, struct fp_bpkt *bp, struct fp_conn **cp)
{
	const struct fp_dest *d;
	enum fp_drop why = FP_DROP_NONE;
	enum fp_verdict v;

	*cp = NULL;
	if (bp->pick < 0 && bp->sched_err == FP_DROP_NONE)
		schedule(w, bp);
	if (bp->pick < 0)
		return fp_drop(w, (enum fp_drop)bp->sched_err);
	d = &fp_snap_dests(w->snap)[bp->svc->first_dest + (uint32_t)bp->pick];
	v = fp_check_mtu(w, bp, d->out_port, d->method == FP_METHOD_TUN ? FP_IP_LEN : 0, bp->p.dst);
	if (v != FP_V_LOOKUP)
		return v;
	if (FP_UNLIKELY(bp->svc->flags & FP_SVC_F_ONE_PACKET))
		return one_packet(w, bp, d);
	*cp = new_conn(w, bp, d, &why);
	return *cp == NULL ? fp_drop(w, why) : FP_V_LOOKUP;
}

/*
 * RFC 5961's idea, within the 32-byte conn: a client's RST must carry a
 * sequence number near the one its last segment carried (the top 16 bits
 * within one of those seen: about 64-128 KiB either way), or a blind
 * attacker guessing one in 2^32 could make us forget a live connection.
 * It applies once the client has acknowledged after its SYN: until then
 * its RST may rightly carry a number from another sequence space (the
 * ACK it answers). The server side's RSTs come from the server segment,
 * which the reverse path check protects.
 */
static int rst_in_window(const struct fp_worker *w, const struct fp_bpkt *bp, const struct fp_conn *c)
{
	uint16_t d;

	if (!(bp->p.tcp_flags & FP_TCP_RST) || c->proto != FP_PROTO_TCP || !w->snap->sec.rst_check ||
	    !(c->flags & FP_CONN_F_CLIENT_ACKED))
		return 1;
	d = (uint16_t)((uint16_t)(bp->p.tcp_seq >> 16) - c->cseq_hi);
	return d <= 1 || d == 0xffff;
}

/*
 * IPVS's dest availability: a client packet of a connection whose real
 * server left the configuration is dropped (its replies still flow);
 * with the service's expire_nodest_conn the connection goes too, so the
 * client's next SYN is scheduled anew. A server of weight 0 is still in
 * the snapshot: its connections drain.
 */
static enum fp_verdict dest_unavailable(struct fp_worker *w, struct fp_conn *c)
{
	if (fp_svc_expire_nodest(w->snap, c->svc_id)) {
		forget(w, c);
		w->cnt->nodest_expired++;
	}
	return fp_drop(w, FP_DROP_DEST_UNAVAILABLE);
}

static enum fp_verdict finish_in(struct fp_worker *w, struct fp_bpkt *bp, struct fp_conn *c)
{
	enum fp_verdict v;

	if (c != NULL && reusable(c, &bp->p)) {
		forget(w, c);
		w->cnt->reused++;
		c = NULL;
		bp->pick = -1; /* scheduled now, after the old entry went */
		bp->sched_err = FP_DROP_NONE;
	}
	if (c == NULL) {
		v = open_conn(w, bp, &c);
		if (c == NULL)
			return v;
	} else if (FP_UNLIKELY(!fp_rs_available(w->snap, c->rs_id))) {
		return dest_unavailable(w, c);
	} else if (!rst_in_window(w, bp, c)) {
		return fp_drop(w, FP_DROP_RST_OUT_OF_WINDOW);
	}
	if (c->proto == FP_PROTO_TCP && !(bp->p.tcp_flags & FP_TCP_RST)) {
		c->cseq_hi = (uint16_t)(bp->p.tcp_seq >> 16);
		if ((bp->p.tcp_flags & (FP_TCP_SYN | FP_TCP_ACK)) == FP_TCP_ACK)
			c->flags |= FP_CONN_F_CLIENT_ACKED;
	}
	return xmit_in[fp_conn_method(c)](w, bp, c, 1);
}

/*
 * An ICMP error along a NAT connection, translated as its packets are: a
 * client's (about a reply from VIP:vport) reaches the server with the
 * outer destination and the quoted source rewritten to the server; a
 * server's (about a packet to RS:rport) reaches the client with the outer
 * source and the quoted destination rewritten back to the VIP.
 */
static enum fp_verdict nat_icmp(struct fp_worker *w, struct fp_bpkt *bp, struct fp_conn *c, int out)
{
	enum fp_drop fail = out ? FP_DROP_NOT_LOCAL : FP_DROP_ICMP_UNHANDLED;
	int ok;

	if (!fp_dec_ttl(&bp->p))
		return fp_drop(w, FP_DROP_TTL_EXCEEDED);
	count(w, c, out, &bp->p);
	if (out)
		ok = fp_icmp_translate(bp, FP_IP_OFF_SRC, c->vip, FP_IP_OFF_DST, FP_L4_OFF_DPORT, c->vip, c->vport);
	else
		ok = fp_icmp_translate(bp, FP_IP_OFF_DST, c->rs_ip, FP_IP_OFF_SRC, FP_L4_OFF_SPORT, c->rs_ip, c->rs_port);
	if (!ok)
		return fp_drop(w, fail);
	fp_trim(bp);
	return fp_to_host(w, bp, out ? c->client_ip : c->rs_ip);
}

/* A client's ICMP error about a packet the VIP sent it goes the way the
 * connection's packets go: translated for NAT, relayed for DR and TUN. */
static enum fp_verdict finish_icmp_in(struct fp_worker *w, struct fp_bpkt *bp, struct fp_conn *c)
{
	if (c == NULL)
		return fp_drop(w, FP_DROP_ICMP_UNHANDLED);
	if (fp_conn_method(c) != FP_METHOD_NAT)
		return xmit_in[fp_conn_method(c)](w, bp, c, 0);
	return nat_icmp(w, bp, c, 0);
}

/* A real server's ICMP error about a packet of a NAT connection (e.g. UDP
 * port unreachable): the client must see it come from the VIP. */
static enum fp_verdict finish_icmp_out(struct fp_worker *w, struct fp_bpkt *bp, struct fp_conn *c)
{
	if (c == NULL || fp_conn_method(c) != FP_METHOD_NAT)
		return fp_drop(w, FP_DROP_NOT_LOCAL);
	return nat_icmp(w, bp, c, 1);
}

enum fp_verdict fp_finish(struct fp_worker *w, struct fp_bpkt *bp, struct fp_conn *c)
{
	switch (bp->kind) {
	case FP_K_IN:
		return finish_in(w, bp, c);
	case FP_K_OUT:
		if (c == NULL || fp_conn_method(c) != FP_METHOD_NAT)
			return fp_drop(w, FP_DROP_NOT_LOCAL);
		return nat_xmit(w, bp, c, 1);
	case FP_K_ICMP_IN:
		return finish_icmp_in(w, bp, c);
	case FP_K_ICMP_OUT:
		return finish_icmp_out(w, bp, c);
	}
	return fp_drop(w, FP_DROP_NOT_LOCAL);
}

/* ---- expiry ---- */

static void on_expire(void *ctx, struct fp_conn *c)
{
	uncount(ctx, c);
}

/*
 * Expiry is paced by time, not by iterations: a busy worker owes its sweep
 * hw / 1000 conns per millisecond (the whole table once a second, so a
 * connection goes at most a second after its deadline), paid at most
 * FP_EXPIRE_BUSY at a time so that a flood of deletions never makes a
 * long poll gap. At millions of packets a second that is a few conns per
 * thousand packets; an idle worker sweeps faster.
 */
void fp_housekeep(struct fp_worker *w, int idle)
{
	uint32_t ms = w->now - w->expire_ms, budget;

	if (ms != 0) {
		uint64_t owed = (uint64_t)w->conns.hw * ms / FP_EXPIRE_SWEEP_MS + 1;

		w->expire_debt = (uint32_t)(w->expire_debt + owed < w->conns.hw ? w->expire_debt + owed : w->conns.hw);
		w->expire_ms = w->now;
	}
	budget = w->expire_debt < FP_EXPIRE_BUSY ? w->expire_debt : FP_EXPIRE_BUSY;
	if (idle && budget < FP_EXPIRE_IDLE)
		budget = FP_EXPIRE_IDLE;
	if (budget != 0) {
		w->expire_debt = budget < w->expire_debt ? w->expire_debt - budget : 0;
		fp_conn_expire(&w->conns, w->now, budget, on_expire, w);
	}
	/* Expiry drains the table too: flood defence (the gauge, and the
	 * short SYN_RECV timeout it selects) ends with the flood, not at the
	 * next new connection. */
	if (w->cnt->flood_active)
		flooded(w);
}
