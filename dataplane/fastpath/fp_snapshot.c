/*
 * fp_snapshot.c - snapshot indexes and lookups. Go fills the arrays; the
 * slots are built here so that the hash functions have one definition.
 */
#include <errno.h>
#include <string.h>

#include "fp_pkt.h"
#include "fp_sched.h"
#include "fp_snapshot.h"

static inline uint32_t svc_hash(uint32_t vip, uint8_t proto, uint16_t port)
{
	uint64_t h = ((uint64_t)vip << 24 | (uint64_t)proto << 16 | port) * 0x9E3779B97F4A7C15ULL;

	return (uint32_t)(h >> 32);
}

static inline uint32_t vip_hash(uint32_t vip)
{
	return (uint32_t)(((uint64_t)vip * 0x9E3779B97F4A7C15ULL) >> 32);
}

/* In a vip slot's low word, above vip_port + 1. */
#define VIP_SLOT_STANDBY (1ULL << 8)

static int in_block(const struct fp_snapshot *s, uint32_t off, uint64_t bytes, uint32_t align)
{
	return off % align == 0 && off >= sizeof(*s) && (uint64_t)off + bytes <= s->size;
}

/* Which real servers are in the snapshot (available: their connections
 * carry client packets) and which services expire the connections of
 * the ones that are not; layout_ok has checked every id. */
static void derive_availability(struct fp_snapshot *s)
{
	const struct fp_service *svcs = fp_snap_services(s);
	const struct fp_dest *dests = fp_snap_dests(s);
	uint32_t i;

	memset(s->rs_avail, 0, sizeof(s->rs_avail));
	memset(s->svc_expire_nodest, 0, sizeof(s->svc_expire_nodest));
	for (i = 0; i < s->n_services; i++) {
		const struct fp_service *sv = &svcs[i];
		uint32_t j;

		if (sv->flags & FP_SVC_F_EXPIRE_NODEST)
			s->svc_expire_nodest[sv->id >> 6] |= 1ULL << (sv->id & 63);
		for (j = 0; j < sv->n_dests; j++) {
			uint16_t id = dests[sv->first_dest + j].id;

			s->rs_avail[id >> 6] |= 1ULL << (id & 63);
		}
	}
}

static int layout_ok(const struct fp_snapshot *s)
{
	const struct fp_service *svcs;
	uint32_t i;

	if (s->n_ports == 0 || s->n_ports > FP_MAX_PORTS || s->n_services > FP_MAX_SERVICES)
		return 0;
	for (i = 0; i < s->n_ports; i++)
		if (s->ports[i].kernel > 1 || s->vmacs[i].n > FP_MAX_VMACS)
			return 0;
	if (s->sec.rp_filter > FP_RP_OFF || s->sec.flood_pct == 0 || s->sec.flood_pct > 100 || s->sec.src_prefix > 32)
		return 0;
	if (s->n_slots < 16 || (s->n_slots & (s->n_slots - 1)) != 0 || s->n_slots < 2 * s->n_services)
		return 0;
	if (!in_block(s, s->off_services, (uint64_t)s->n_services * sizeof(struct fp_service), 4) ||
	    !in_block(s, s->off_dests, (uint64_t)s->n_dests * sizeof(struct fp_dest), 4) ||
	    !in_block(s, s->off_sched, (uint64_t)s->n_sched * 4, 4) ||
	    !in_block(s, s->off_svc_slots, (uint64_t)s->n_slots * 4, 4) ||
	    !in_block(s, s->off_vip_slots, (uint64_t)s->n_slots * 8, 8))
		return 0;
	svcs = fp_snap_services(s);
	for (i = 0; i < s->n_services; i++) {
		const struct fp_service *sv = &svcs[i];
		const struct fp_dest *d = fp_snap_dests(s) + sv->first_dest;
		uint32_t j;

		if ((uint64_t)sv->first_dest + sv->n_dests > s->n_dests ||
		    (uint64_t)sv->sched_off + sv->sched_len > s->n_sched ||
		    sv->id >= FP_MAX_SERVICES || sv->vip_port >= s->n_ports ||
		    (sv->flags & ~FP_SVC_F_ALL) != 0 || !fp_sched_layout_ok(s, sv))
			return 0;
		/* one-packet scheduling keeps no entry: only datagrams can go so */
		if ((sv->flags & FP_SVC_F_ONE_PACKET) && sv->proto != FP_PROTO_UDP)
			return 0;
		for (j = 0; j < sv->n_dests; j++)
			if (d[j].id >= FP_MAX_REAL_SERVERS || d[j].out_port >= s->n_ports ||
			    d[j].method >= FP_NUM_METHODS || d[j].lower > d[j].upper)
				return 0;
	}
	return 1;
}

int fp_snapshot_index(struct fp_snapshot *s)
{
	uint32_t *svc_slots, mask, i;
	uint64_t *vip_slots;

	if (!layout_ok(s))
		return -EINVAL;
	svc_slots = (uint32_t *)((uint8_t *)s + s->off_svc_slots);
	vip_slots = (uint64_t *)((uint8_t *)s + s->off_vip_slots);
	memset(svc_slots, 0, (size_t)s->n_slots * 4);
	memset(vip_slots, 0, (size_t)s->n_slots * 8);
	derive_availability(s);
	s->min_mtu = UINT16_MAX;
	for (i = 0; i < s->n_ports; i++)
		if (s->ports[i].mtu < s->min_mtu)
			s->min_mtu = s->ports[i].mtu;
	mask = s->n_slots - 1;
	for (i = 0; i < s->n_services; i++) {
		const struct fp_service *sv = &fp_snap_services(s)[i];
		uint32_t h = svc_hash(sv->vip, sv->proto, sv->port) & mask;

		if (fp_service_lookup(s, sv->vip, sv->proto, sv->port) != NULL)
			return -EINVAL; /* duplicate key */
		while (svc_slots[h] != 0)
			h = (h + 1) & mask;
		svc_slots[h] = i + 1;
		h = vip_hash(sv->vip) & mask;
		while (vip_slots[h] != 0 && (uint32_t)(vip_slots[h] >> 32) != sv->vip)
			h = (h + 1) & mask;
		if (vip_slots[h] == 0)
			vip_slots[h] = (uint64_t)sv->vip << 32 | ((uint32_t)sv->vip_port + 1);
		if (sv->flags & FP_SVC_F_STANDBY)
			vip_slots[h] |= VIP_SLOT_STANDBY;
	}
	return 0;
}

const struct fp_service *fp_service_lookup(const struct fp_snapshot *s,
	uint32_t vip, uint8_t proto, uint16_t port)
{
	const uint32_t *slots = fp_snap_svc_slots(s);
	uint32_t mask = s->n_slots - 1, h = svc_hash(vip, proto, port) & mask;

	for (;; h = (h + 1) & mask) {
		const struct fp_service *sv;
		uint32_t i = slots[h];

		if (i == 0)
			return NULL;
		sv = &fp_snap_services(s)[i - 1];
		if (sv->vip == vip && sv->proto == proto && sv->port == port)
			return sv;
	}
}

int fp_vip_owner(const struct fp_snapshot *s, uint32_t ip, uint8_t *port)
{
	const uint64_t *slots = fp_snap_vip_slots(s);
	uint32_t mask = s->n_slots - 1, h = vip_hash(ip) & mask;

	for (;; h = (h + 1) & mask) {
		uint64_t v = slots[h];

		if (v == 0)
			return 0;
		if ((uint32_t)(v >> 32) == ip) {
			*port = (uint8_t)((v & 0xff) - 1);
			return (v & VIP_SLOT_STANDBY) ? FP_VIP_STANDBY : FP_VIP_ACTIVE;
		}
	}
}

