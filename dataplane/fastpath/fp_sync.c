/*
 * fp_sync.c - connection synchronisation on the lcores: the rings, the
 * master's decision of what to emit (IPVS's sync_threshold rules), and a
 * backup's entering of received records into its table.
 */
#include <errno.h>
#include <string.h>

#include "fp_conn.h"
#include "fp_internal.h"

/* ---- the rings ---- */

uint64_t fp_sync_ring_bytes(uint32_t size)
{
	if (size < 2 || size > FP_SYNC_RING_MAX || (size & (size - 1)) != 0)
		return 0;
	return sizeof(struct fp_sync_ring) + (uint64_t)size * sizeof(struct fp_sync_rec);
}

int fp_sync_ring_init(struct fp_sync_ring *r, uint32_t size)
{
	if (r == NULL || fp_sync_ring_bytes(size) == 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->size = size;
	return 0;
}

int fp_sync_ring_ok(const struct fp_sync_ring *r)
{
	return fp_sync_ring_bytes(r->size) != 0;
}

uint32_t fp_sync_put(struct fp_sync_ring *r, const struct fp_sync_rec *in, uint32_t n)
{
	uint32_t head = r->head, room, i;

	room = r->size - (head - r->tail_seen);
	if (room < n) {
		/* only now look at the consumer's line */
		r->tail_seen = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		room = r->size - (head - r->tail_seen);
	}
	if (n > room)
		n = room;
	for (i = 0; i < n; i++)
		r->recs[(head + i) & (r->size - 1)] = in[i];
	__atomic_store_n(&r->head, head + n, __ATOMIC_RELEASE);
	return n;
}

uint32_t fp_sync_take(struct fp_sync_ring *r, struct fp_sync_rec *out, uint32_t max)
{
	uint32_t tail = r->tail, head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE), n = head - tail, i;

	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		out[i] = r->recs[(tail + i) & (r->size - 1)];
	__atomic_store_n(&r->tail, tail + n, __ATOMIC_RELEASE);
	return n;
}

uint32_t fp_sync_pending(const struct fp_sync_ring *r)
{
	return __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
}

uint16_t fp_sync_owner(const struct fp_shared *sh, const struct fp_sync_rec *rec)
{
	if (rec->flags & FP_SYNC_F_TEMPLATE) {
		if (sh->flow_affinity == FP_AFFINITY_ADDRESS_PORT)
			return FP_SYNC_ALL_WORKERS;
		return fp_owner_of(sh, rec->client_ip, 0);
	}
	return fp_owner_of(sh, rec->client_ip, rec->client_port);
}

/* ---- the master: what to emit ---- */

void fp_sync_emit(struct fp_worker *w, const struct fp_conn *c, uint32_t timeout_ms)
{
	struct fp_sync_rec r = {
		.client_ip = c->client_ip, .vip = c->vip, .rs_ip = c->rs_ip,
		.client_port = c->client_port, .vport = c->vport, .rs_port = c->rs_port,
		.proto = c->proto, .state = c->state,
		.flags = (c->flags & FP_CONN_F_TEMPLATE) ? FP_SYNC_F_TEMPLATE : 0,
		.method = fp_conn_method(c), .timeout_ms = timeout_ms,
	};

	if (fp_sync_put(w->sync_out, &r, 1) == 1)
		w->cnt->sync_emitted++;
	else
		w->cnt->sync_ring_full++;
}

static int synced_state(uint8_t s)
{
	return s < 32 && (FP_SYNC_TCP_STATES >> s & 1);
}

/* Counts a client packet of c; 1 when the count reaches the threshold. */
static int count_reaches_threshold(const struct fp_snapshot *s, struct fp_conn *c)
{
	if (s->sync_period == 0) {
		if (c->sync_pkts < UINT8_MAX)
			c->sync_pkts++;
		return c->sync_pkts == s->sync_threshold;
	}
	if (++c->sync_pkts >= s->sync_period)
		c->sync_pkts = 0;
	return c->sync_pkts == s->sync_threshold;
}

void fp_sync_note(struct fp_worker *w, struct fp_conn *c, uint8_t old, int in)
{
	int due;

	if (!(c->flags & FP_CONN_F_USED))
		return; /* a one-packet datagram's conn, never in the table */
	due = in && count_reaches_threshold(w->snap, c);

	if (c->proto == FP_PROTO_TCP) {
		if (!synced_state(c->state))
			return;
		/* a close under way is news now; reaching ESTABLISHED waits for
		 * the threshold, as in IPVS */
		if (c->state != old && c->state != FP_STATE_ESTABLISHED)
			due = 1;
	}
	if (due)
		fp_sync_emit(w, c, c->expire - w->now);
}

/* ---- a backup: entering what was received ---- */

/* The service a record belongs to: a group template's (client port = the
 * persistence group, virtual port 0) is any service of that VIP in the
 * group; otherwise the service of its VIP, protocol and port, else the
 * VIP's port-0 service. */
static const struct fp_service *record_service(const struct fp_snapshot *s, const struct fp_sync_rec *r)
{
	if ((r->flags & FP_SYNC_F_TEMPLATE) && r->client_port != 0) {
		const struct fp_service *all = fp_snap_services(s);
		uint32_t i;

		for (i = 0; i < s->n_services; i++)
			if (all[i].vip == r->vip && all[i].proto == r->proto && all[i].persist_group == r->client_port)
				return &all[i];
		return NULL;
	}
	return fp_service_of(s, r->vip, r->proto, r->vport);
}

/* The record's real server among svc's: by address and port (a port-0
 * service's dest has port 0 and takes any), by address alone for a group
 * template, whose services' dests differ in port. */
static const struct fp_dest *record_dest(const struct fp_snapshot *s, const struct fp_service *svc,
	const struct fp_sync_rec *r)
{
	const struct fp_dest *d = fp_snap_dests(s) + svc->first_dest;
	int by_address = (r->flags & FP_SYNC_F_TEMPLATE) && svc->persist_group != 0;
	uint32_t j;

	for (j = 0; j < svc->n_dests; j++)
		if (d[j].ip == r->rs_ip && (by_address || d[j].port == 0 || d[j].port == r->rs_port))
			return &d[j];
	return NULL;
}

static int state_ok(const struct fp_sync_rec *r)
{
	if (r->flags & FP_SYNC_F_TEMPLATE)
		return r->state == FP_STATE_NONE;
	if (r->proto == FP_PROTO_TCP)
		return r->state < FP_NUM_TCP_STATES;
	return r->proto == FP_PROTO_UDP && r->state == FP_STATE_UDP;
}

/* A live connection keeps its reply tuple; a closed one gives way, as a
 * SYN reusing a port makes it (conn_reuse_mode). */
static int gives_way(const struct fp_conn *c)
{
	return !(c->flags & FP_CONN_F_TEMPLATE) &&
		(c->proto == FP_PROTO_TCP && (c->state == FP_STATE_TIME_WAIT || c->state == FP_STATE_CLOSE));
}

static uint32_t clamp_timeout(uint32_t ms)
{
	return ms == 0 ? 1 : ms > FP_SYNC_MAX_TIMEOUT_MS ? FP_SYNC_MAX_TIMEOUT_MS : ms;
}

/* Refreshes c from a record for the same flow and server. */
static void refresh(struct fp_worker *w, struct fp_conn *c, const struct fp_conn *from)
{
	if (!(c->flags & FP_CONN_F_TEMPLATE) && c->state != from->state &&
	    fp_state_active(c->state) != fp_state_active(from->state)) {
		fp_xmit_gauge(w, c, c->state, -1);
		fp_xmit_gauge(w, c, from->state, 1);
	}
	c->state = from->state;
	c->expire = from->expire;
	w->cnt->sync_updated++;
}

static int reject(struct fp_worker *w, enum fp_sync_reject why)
{
	w->cnt->sync_rejected[why]++;
	return 1 + (int)why;
}

int fp_sync_apply(struct fp_worker *w, const struct fp_sync_rec *r)
{
	const struct fp_snapshot *s = w->snap;
	const struct fp_service *svc;
	const struct fp_dest *d;
	struct fp_conn c, *cur, *dup;
	struct fp_key k;

	if (!state_ok(r))
		return reject(w, FP_SYNC_REJECT_BAD_STATE);
	if ((svc = record_service(s, r)) == NULL)
		return reject(w, FP_SYNC_REJECT_NO_SERVICE);
	if ((d = record_dest(s, svc, r)) == NULL)
		return reject(w, FP_SYNC_REJECT_NO_DEST);
	memset(&c, 0, sizeof(c));
	c.client_ip = r->client_ip;
	c.vip = r->vip;
	c.rs_ip = r->rs_ip;
	c.client_port = r->client_port;
	c.vport = r->vport;
	c.rs_port = r->rs_port;
	c.proto = r->proto;
	c.state = r->state;
	/* our own configuration's method for the server: the master's may
	 * name one this director cannot use (DR needs a connected server) */
	c.flags = (uint8_t)(FP_CONN_F_SYNCED | ((r->flags & FP_SYNC_F_TEMPLATE) ? FP_CONN_F_TEMPLATE : 0));
	fp_conn_set_method(&c, d->method);
	c.svc_id = svc->id;
	c.rs_id = d->id;
	c.expire = w->now + clamp_timeout(r->timeout_ms);

	fp_conn_in_key(&c, &k);
	cur = fp_conn_lookup(&w->conns, &k);
	if (cur != NULL && cur->rs_ip == c.rs_ip && cur->rs_port == c.rs_port) {
		refresh(w, cur, &c);
		if (cur->flags & FP_CONN_F_TEMPLATE)
			cur->rs_id = c.rs_id; /* a group template's address, another service's dest */
		return 0;
	}
	if (cur != NULL)
		fp_xmit_forget(w, cur); /* the master moved it: its word wins */
	cur = fp_conn_insert(&w->conns, &c, &dup);
	if (cur == NULL && dup != NULL && gives_way(dup)) {
		fp_xmit_forget(w, dup);
		cur = fp_conn_insert(&w->conns, &c, &dup);
	}
	if (cur == NULL)
		return reject(w, dup != NULL ? FP_SYNC_REJECT_TUPLE_TAKEN : FP_SYNC_REJECT_TABLE_FULL);
	if (cur->flags & FP_CONN_F_TEMPLATE) {
		w->cnt->templates++;
	} else {
		w->cnt->live++;
		fp_xmit_gauge(w, cur, cur->state, 1);
	}
	w->cnt->sync_inserted++;
	return 0;
}

uint32_t fp_sync_apply_pending(struct fp_worker *w)
{
	struct fp_sync_rec recs[FP_SYNC_APPLY_BUDGET];
	uint32_t n, i;

	if (w->sync_in == NULL || (n = fp_sync_take(w->sync_in, recs, FP_SYNC_APPLY_BUDGET)) == 0)
		return 0;
	for (i = 0; i < n; i++)
		fp_sync_apply(w, &recs[i]);
	return n;
}
