/*
 * fp_snapshot.h - reading the configuration snapshot (layout in
 * fp_layout.h): service and VIP indexes, routes, schedulers.
 */
#ifndef FP_SNAPSHOT_H
#define FP_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "fp_layout.h"

static inline const struct fp_service *fp_snap_services(const struct fp_snapshot *s)
{
	return (const struct fp_service *)((const uint8_t *)s + s->off_services);
}

static inline const struct fp_dest *fp_snap_dests(const struct fp_snapshot *s)
{
	return (const struct fp_dest *)((const uint8_t *)s + s->off_dests);
}

static inline const uint32_t *fp_snap_sched(const struct fp_snapshot *s)
{
	return (const uint32_t *)((const uint8_t *)s + s->off_sched);
}

static inline const uint32_t *fp_snap_svc_slots(const struct fp_snapshot *s)
{
	return (const uint32_t *)((const uint8_t *)s + s->off_svc_slots);
}

static inline const uint64_t *fp_snap_vip_slots(const struct fp_snapshot *s)
{
	return (const uint64_t *)((const uint8_t *)s + s->off_vip_slots);
}

/*
 * Checks that a snapshot Go built is coherent (offsets inside the block,
 * indexes in range, a power-of-two slot count) and builds its lookup slots.
 * Returns 0, or -EINVAL naming nothing: Go validates meaningfully first,
 * this guards the lcores against a layout bug.
 */
int fp_snapshot_index(struct fp_snapshot *s);

/* The service for (vip, proto, port), or NULL. */
const struct fp_service *fp_service_lookup(const struct fp_snapshot *s,
	uint32_t vip, uint8_t proto, uint16_t port);

/* The service a connection to (vip, proto, port) belongs to: its port's,
 * else the VIP's port-0 service. */
static inline const struct fp_service *fp_service_of(const struct fp_snapshot *s,
	uint32_t vip, uint8_t proto, uint16_t port)
{
	const struct fp_service *svc = fp_service_lookup(s, vip, proto, port);

	return svc != NULL ? svc : fp_service_lookup(s, vip, proto, 0);
}

/* What fp_vip_owner finds: not a VIP (0, false), or a VIP that is
 * served, or one whose VRRP instance is not MASTER here. */
enum { FP_VIP_NONE = 0, FP_VIP_ACTIVE = 1, FP_VIP_STANDBY = 2 };

/* Non-zero (enum above) when ip is a VIP; *port is the port that owns it. */
int fp_vip_owner(const struct fp_snapshot *s, uint32_t ip, uint8_t *port);

/* 1 when ip is one of the director's port addresses. */
static inline int fp_own_address(const struct fp_snapshot *s, uint32_t ip)
{
	uint16_t i;

	for (i = 0; i < s->n_ports; i++)
		if (s->ports[i].ip == ip)
			return 1;
	return 0;
}

/* The port and next hop towards dst: a connected subnet first, then the
 * first port with a gateway. 0 when there is no route. Inline: every
 * packet asks it (reverse path, MTU, next hop). */
static inline int fp_route(const struct fp_snapshot *s, uint32_t dst, uint8_t *port, uint32_t *hop)
{
	uint16_t i;

	for (i = 0; i < s->n_ports; i++) {
		if ((dst & s->ports[i].mask) == s->ports[i].net) {
			*port = (uint8_t)i;
			*hop = dst;
			return 1;
		}
	}
	for (i = 0; i < s->n_ports; i++) {
		if (s->ports[i].gateway != 0) {
			*port = (uint8_t)i;
			*hop = s->ports[i].gateway;
			return 1;
		}
	}
	return 0;
}

_Static_assert((FP_MAX_REAL_SERVERS & (FP_MAX_REAL_SERVERS - 1)) == 0 && (FP_MAX_SERVICES & (FP_MAX_SERVICES - 1)) == 0,
	"ids are masked into the availability bitmaps");

/* 1 when real server id is in the snapshot (fp_snapshot_index derives
 * it): one load from a 1 KiB bitmap, the one cost dest availability adds
 * to a client packet of an established connection. */
static inline int fp_rs_available(const struct fp_snapshot *s, uint16_t id)
{
	id &= FP_MAX_REAL_SERVERS - 1;
	return (int)(s->rs_avail[id >> 6] >> (id & 63)) & 1;
}

/* 1 when service id expires connections whose real server is gone. */
static inline int fp_svc_expire_nodest(const struct fp_snapshot *s, uint16_t id)
{
	id &= FP_MAX_SERVICES - 1;
	return (int)(s->svc_expire_nodest[id >> 6] >> (id & 63)) & 1;
}

#endif /* FP_SNAPSHOT_H */
