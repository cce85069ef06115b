/*
 * fp_layout.h - every layout the Go control plane and the C fast path share.
 *
 * This header is the only definition of the snapshot the lcores read, the
 * counters they write, the connection record, and the names of drop
 * reasons, punt reasons, connection states and forwarding methods. Go
 * includes it through cgo and reads or writes these structs in place; a Go
 * test checks the name tables against the Go side's expectations.
 *
 * Rules: fixed-size types only, explicit padding, no pointers inside
 * structs that Go fills (offsets instead), every struct that lcores write
 * padded to whole cache lines so two writers never share a line.
 */
#ifndef FP_LAYOUT_H
#define FP_LAYOUT_H

#include <stdint.h>

enum {
	FP_MAX_PORTS = 16,
	FP_MAX_SERVICES = 1024,      /* counter ids, never reused in a process */
	FP_MAX_REAL_SERVERS = 8192,
	FP_MAX_WORKERS = 16,
	FP_MAX_BURST = 256,
	FP_CACHE_LINE = 64,
	FP_MAX_VMACS = 16,           /* virtual MACs a port accepts besides its own */
};

/* ---- forwarding methods (values of lb.Method) ---- */
#define FP_METHODS(X) \
	X(NAT, "nat") \
	X(DR, "dr") \
	X(TUN, "tun")

#define FP_ENUM_METHOD(id, name) FP_METHOD_##id,
enum fp_method { FP_METHODS(FP_ENUM_METHOD) FP_NUM_METHODS };
#undef FP_ENUM_METHOD

/* ---- connection states: IPVS's TCP states in IPVS's order, then UDP ---- */
#define FP_STATES(X) \
	X(NONE, "NONE") \
	X(ESTABLISHED, "ESTABLISHED") \
	X(SYN_SENT, "SYN_SENT") \
	X(SYN_RECV, "SYN_RECV") \
	X(FIN_WAIT, "FIN_WAIT") \
	X(TIME_WAIT, "TIME_WAIT") \
	X(CLOSE, "CLOSE") \
	X(CLOSE_WAIT, "CLOSE_WAIT") \
	X(LAST_ACK, "LAST_ACK") \
	X(LISTEN, "LISTEN") \
	X(SYNACK, "SYNACK") \
	X(UDP, "UDP")

#define FP_ENUM_STATE(id, name) FP_STATE_##id,
enum fp_state { FP_STATES(FP_ENUM_STATE) FP_NUM_STATES };
#undef FP_ENUM_STATE
enum { FP_NUM_TCP_STATES = FP_STATE_UDP };

/*
 * ---- drop reasons ----
 * Every received packet the fast path does not forward, answer, punt or
 * hand to another lcore is freed and counted under exactly one of these:
 * rx = forwarded + answered + punted + redirected + the sum of drops
 * (per lcore, counting the inbox as received). The names are metric
 * labels: short, stable, snake_case.
 */
#define FP_DROPS(X) \
	X(NONE, "none") \
	X(TRUNCATED, "truncated")            /* shorter than its headers */ \
	X(NOT_IPV4, "not_ipv4")              /* neither IPv4 nor ARP */ \
	X(BAD_VERSION, "bad_version") \
	X(BAD_IHL, "bad_ihl") \
	X(BAD_TOTAL_LEN, "bad_total_len") \
	X(BAD_CHECKSUM, "bad_ip_checksum") \
	X(FRAGMENT, "fragment")              /* no reassembly: no ports */ \
	X(L4_TRUNCATED, "l4_truncated") \
	X(BAD_TCP_OFFSET, "bad_tcp_offset") \
	X(VLAN, "vlan")                      /* tagged frames are not handled */ \
	X(NO_SERVICE, "no_service")          /* to a VIP, no service on that port */ \
	X(NO_CONN, "no_conn")                /* TCP non-SYN without a connection */ \
	X(CONN_TABLE_FULL, "conn_table_full") \
	X(NO_DEST, "no_dest")                /* no real server with weight > 0 */ \
	X(TTL_EXCEEDED, "ttl_exceeded") \
	X(NO_ROUTE, "no_route") \
	X(NEIGH_UNRESOLVED, "neigh_unresolved") /* next hop unknown and punt ring full */ \
	X(NOT_LOCAL, "not_local")            /* neither to us nor of a connection */ \
	X(LOCAL_PROTO, "local_proto")        /* to our address, protocol not served */ \
	X(ICMP_UNHANDLED, "icmp_unhandled") \
	X(REDIRECT_FULL, "redirect_full")    /* owner lcore's inbox full */ \
	X(TX_FULL, "tx_full")                /* the port's tx queue refused it */ \
	X(MULTI_SEGMENT, "multi_segment") \
	X(TOO_BIG, "too_big")                /* over the egress MTU with DF, frag-needed not sent (rate limit) */ \
	X(TOO_BIG_NO_DF, "too_big_no_df")    /* over the egress MTU, no DF: we do not fragment */ \
	X(NO_HEADROOM, "no_headroom") \
	X(PUNT_FULL, "punt_full")            /* slow path ring full (ARP, ...) */ \
	X(BAD_DST_MAC, "bad_dst_mac")        /* not to our unicast MAC (broadcast: ARP only) */ \
	X(BAD_SRC_MAC, "bad_src_mac")        /* broadcast, multicast or zero source MAC */ \
	X(MARTIAN_SRC, "martian_src")        /* 0/8, 127/8, multicast, class E, a subnet's broadcast */ \
	X(MARTIAN_DST, "martian_dst")        /* 0/8, 127/8, multicast, class E, broadcasts */ \
	X(SPOOFED_SRC, "spoofed_src")        /* from one of our addresses or a VIP */ \
	X(RP_FILTER, "rp_filter")            /* the source does not route back out of the port */ \
	X(PORT_ZERO, "port_zero")            /* TCP/UDP from or to port 0 */ \
	X(BAD_TCP_FLAGS, "bad_tcp_flags")    /* SYN+FIN, SYN+RST, FIN without ACK, no flags */ \
	X(RST_OUT_OF_WINDOW, "rst_out_of_window") /* a client RST far from the sequence seen */ \
	X(BAD_ICMP_CHECKSUM, "bad_icmp_checksum") /* an echo request we would answer */ \
	X(ICMP_NOT_RELAYED, "icmp_not_relayed") /* errors but unreachable, quench, time exceeded */ \
	X(NEW_CONN_LIMIT, "new_conn_limit")  /* the source prefix's new connections over the limit */ \
	X(BAD_IP_OPTIONS, "bad_ip_options")  /* an option whose length leaves the header */ \
	X(SOURCE_ROUTE, "source_route")      /* loose or strict source route option */ \
	X(KERNEL_FULL, "kernel_full")        /* for the kernel interface, the punt ring down to its reserve */ \
	X(DEST_UNAVAILABLE, "dest_unavailable") /* a client packet of a connection whose real server left */ \
	X(VIP_STANDBY, "vip_standby")        /* to a VIP whose VRRP instance is not MASTER */ \
	X(REPLY_TUPLE_TAKEN, "reply_tuple_taken") /* the server-side tuple is a live connection's (same client port, another service, same server) */

#define FP_ENUM_DROP(id, name) FP_DROP_##id,
enum fp_drop { FP_DROPS(FP_ENUM_DROP) FP_NUM_DROPS };
#undef FP_ENUM_DROP

/*
 * ---- punt reasons ----
 * Packets the lcore hands to the Go slow path through its punt ring.
 * NEIGH carries a packet that is ready to go except for the next hop's
 * MAC: the slow path holds it, resolves the neighbour, and sends it.
 * KERNEL is for the kernel interface of the port it arrived on (the
 * exception path: the slow path writes it to the port's tap); it is
 * queued only while the ring keeps its reserve for ARP and NEIGH.
 */
#define FP_PUNTS(X) \
	X(ARP, "arp") \
	X(NEIGH, "neigh_unresolved") \
	X(KERNEL, "kernel")

#define FP_ENUM_PUNT(id, name) FP_PUNT_##id,
enum fp_punt { FP_PUNTS(FP_ENUM_PUNT) FP_NUM_PUNTS };
#undef FP_ENUM_PUNT

/* Poll-gap thresholds (ns): a gap longer than an rx ring's worth of
 * traffic drops packets on a real NIC (1024 descriptors at 5 Mpps: 205 us). */
#define FP_GAP_THRESHOLDS_NS(X) X(50000) X(200000) X(1000000) X(10000000)
#define FP_COUNT_ONE(x) +1
enum { FP_NUM_GAP_THRESHOLDS = 0 FP_GAP_THRESHOLDS_NS(FP_COUNT_ONE) };
#undef FP_COUNT_ONE

/* ---- ingress rules and flood defence (the snapshot's security block) ---- */
enum fp_rp_filter {
	FP_RP_STRICT = 0, /* the source must route back out of the receiving port */
	FP_RP_LOOSE = 1,  /* ... out of some port */
	FP_RP_OFF = 2,
};

struct fp_security {
	uint8_t rp_filter;        /* enum fp_rp_filter */
	uint8_t mac_filter;       /* 1: only frames to our unicast MAC (broadcast: ARP) */
	uint8_t rst_check;        /* 1: client RSTs must be near the sequence seen */
	uint8_t _pad0;
	uint32_t icmp_rate;       /* ICMP errors we originate, per second per lcore */
	uint32_t icmp_burst;
	uint32_t flood_pct;       /* table use (%) above which half-open entries give way */
	uint32_t flood_syn_ms;    /* SYN_RECV timeout while over flood_pct */
	uint32_t src_limit;       /* new connections per source prefix per second per lcore; 0: off */
	uint8_t src_prefix;       /* the prefix length those are counted by */
	uint8_t _pad1[3];
};

/* ---- scheduler kinds (how a service's table in the snapshot is read) ---- */
enum fp_sched_kind {
	FP_SCHED_SEQ = 0,      /* replay a precomputed cycle of dest indices */
	FP_SCHED_WRR_STEP = 1, /* IPVS's wrr stepped at pick time (long cycles) */
	/* Picked from the dests' weights and this lcore's own active and
	 * inactive counts of each (struct fp_traffic of the lcore, as DPVS):
	 * no table, sched_len 0. */
	FP_SCHED_LC = 2,       /* least active*256 + inactive */
	FP_SCHED_WLC = 3,      /* ... divided by weight */
	FP_SCHED_SED = 4,      /* least (active + 1) / weight */
	FP_SCHED_NQ = 5,       /* an idle dest, else as sed */
	FP_SCHED_FO = 6,       /* the highest weight */
	FP_SCHED_OVF = 7,      /* the highest weight whose active <= weight */
	FP_SCHED_TWOS = 8,     /* two weighted random draws, the less loaded (wlc) */
	/* A bucket table of dest indices (FP_SCHED_NO_DEST: none), hashed by
	 * the client's address (sh, mh) or the destination address (dh);
	 * FP_SVC_F_SCHED_PORT mixes in the client's port, FP_SVC_F_SCHED_FALLBACK
	 * goes on to other buckets while a bucket's dest has weight 0. */
	FP_SCHED_SH = 9,       /* FP_SCHED_HASH_BUCKETS buckets */
	FP_SCHED_DH = 10,      /* FP_SCHED_HASH_BUCKETS buckets */
	FP_SCHED_MH = 11,      /* Maglev lookup table, a prime number of entries */
	/* Locality-based (no table): the lcore caches a server (lblc) or a set
	 * of them (lblcr) per destination address, kept until overloaded. */
	FP_SCHED_LBLC = 12,
	FP_SCHED_LBLCR = 13,
	FP_SCHED_LAST = FP_SCHED_LBLCR,
};

#define FP_SCHED_HASH_BUCKETS 256u     /* IPVS's sh and dh table size */
#define FP_SCHED_MH_MAX 65521u         /* largest Maglev table (a prime) */
#define FP_SCHED_NO_DEST 0xffffffffu   /* a bucket with no dest */

/* ---- the snapshot: immutable configuration, published by pointer swap ---- */

/* One port as the lcores see it. */
struct fp_port {
	uint32_t ip;       /* the director's address, host byte order */
	uint32_t net;      /* ip & mask */
	uint32_t mask;
	uint32_t gateway;  /* 0 = none */
	uint16_t dpdk_id;
	uint16_t mtu;
	uint8_t mac[6];
	uint8_t kernel;    /* 1: the port has a kernel interface (the exception path) */
	uint8_t _pad;
};

/* The virtual MACs (VRRP's 00:00:5e:00:01:VRID) a port accepts frames to
 * under mac_filter, besides its own: its MASTER addresses' ARP is answered
 * with them. What the port sends keeps the port's MAC as source. */
struct fp_vmacs {
	uint8_t n;         /* <= FP_MAX_VMACS */
	uint8_t _pad;
	uint8_t mac[FP_MAX_VMACS][6];
};

/* One real server of a service, its route precomputed. 28 bytes. */
struct fp_dest {
	uint32_t ip;
	uint32_t next_hop;  /* the server itself, or a gateway */
	uint32_t weight;
	uint16_t port;
	uint16_t id;        /* stable counter id */
	uint8_t method;     /* enum fp_method */
	uint8_t out_port;   /* port index towards the server */
	uint8_t _pad[2];
	/* IPVS's connection thresholds (ipvsadm -x/-y), per lcore: at upper
	 * connections (active + inactive) the server is overloaded and gets
	 * no new ones until it is below lower. 0: none. Go sets lower
	 * (3/4 of upper when the operator gave none, as IPVS). */
	uint32_t upper;
	uint32_t lower;
};

/* One virtual service. Its dests are dests[first_dest .. first_dest+n_dests),
 * its scheduler table sched[sched_off .. sched_off+sched_len) (uint32).
 * Port 0 serves every port of the VIP that no other service has (IPVS's
 * port-0 persistent service); a dest of port 0 then takes the client's
 * destination port. */
struct fp_service {
	uint32_t vip;
	uint16_t port;
	uint8_t proto;
	uint8_t sched_kind; /* enum fp_sched_kind */
	uint16_t id;        /* stable counter id, indexes per-lcore state too */
	uint8_t vip_port;   /* port that owns the VIP (answers ARP for it) */
	uint8_t flags;      /* FP_SVC_F_* */
	uint32_t first_dest;
	uint32_t n_dests;
	uint32_t sched_off;
	uint32_t sched_len;
	uint32_t wrr_max;   /* FP_SCHED_WRR_STEP: largest normalised weight */
	/* Persistence (ipvsadm -p): a new connection from a client network
	 * (client & persist_mask) goes to the server its template names;
	 * the template lasts persist_ms after the last connection it made.
	 * 0: not persistent. */
	uint32_t persist_ms;
	uint32_t persist_mask;
	/* Services of one VIP with the same persist_group (> 0) share their
	 * templates, which then pin a server address (IPVS's fwmark services).
	 * (44 bytes in all.) */
	uint16_t persist_group;
	uint8_t _pad1[2];
};

enum {
	/* IPVS expire_nodest_conn: a connection whose real server left the
	 * configuration is removed at its next client packet. */
	FP_SVC_F_EXPIRE_NODEST = 0x01,
	/* The VIP's VRRP instance is not MASTER here: nothing to the VIP is
	 * answered or forwarded (the VIP is standby when any of its services
	 * has the flag; Go sets it on all of them). */
	FP_SVC_F_STANDBY = 0x02,
	/* Hash schedulers (sh, mh): a bucket whose dest has weight 0 gives
	 * way to the next bucket with one (IPVS's sh-fallback, mh-fallback). */
	FP_SVC_F_SCHED_FALLBACK = 0x04,
	/* Hash schedulers (sh, mh): the client's port is hashed too
	 * (sh-port, mh-port). */
	FP_SVC_F_SCHED_PORT = 0x08,
	/* IPVS's expire_quiescent_template: a template whose server has
	 * weight 0 is replaced (rescheduled) rather than followed. */
	FP_SVC_F_EXPIRE_QUIESCENT = 0x10,
	/* One-packet scheduling (ipvsadm -o, UDP): every datagram is
	 * scheduled and sent, no connection entry is kept. */
	FP_SVC_F_ONE_PACKET = 0x20,
	/* Some dest has an upper threshold: schedule() keeps their overload
	 * state and the pick skips overloaded ones. */
	FP_SVC_F_THRESHOLDS = 0x40,
	FP_SVC_F_ALL = FP_SVC_F_EXPIRE_NODEST | FP_SVC_F_STANDBY | FP_SVC_F_SCHED_FALLBACK |
		FP_SVC_F_SCHED_PORT | FP_SVC_F_EXPIRE_QUIESCENT | FP_SVC_F_ONE_PACKET | FP_SVC_F_THRESHOLDS,
};

/*
 * The snapshot is one block: this header, then the arrays at the given byte
 * offsets from its start. Go computes the layout and fills it, then calls
 * fp_snapshot_index() to build the lookup slots.
 */
struct fp_snapshot {
	uint64_t gen;
	uint32_t size;          /* bytes of the whole block */
	uint16_t n_ports;
	uint16_t min_mtu;       /* derived by fp_snapshot_index: the smallest port MTU */
	uint32_t n_services;
	uint32_t n_dests;
	uint32_t n_sched;
	uint32_t n_slots;       /* power of two, >= 2 * n_services, >= 16 */
	uint32_t timeouts_ms[FP_NUM_STATES];
	uint32_t off_services;  /* struct fp_service[n_services] */
	uint32_t off_dests;     /* struct fp_dest[n_dests] */
	uint32_t off_sched;     /* uint32_t[n_sched] */
	uint32_t off_svc_slots; /* uint32_t[n_slots]: service index + 1, 0 = empty */
	uint32_t off_vip_slots; /* uint64_t[n_slots]: vip << 32 | standby << 8 | vip_port + 1 */
	uint32_t _pad1;
	struct fp_security sec;
	struct fp_port ports[FP_MAX_PORTS];
	struct fp_vmacs vmacs[FP_MAX_PORTS]; /* by port index */
	/* IPVS's sync_threshold: a connection is synced when its client
	 * packets % sync_period == sync_threshold (sync_period 0: once, at
	 * sync_threshold); state changes to FIN_WAIT, CLOSE_WAIT, TIME_WAIT
	 * and CLOSE at once. */
	uint8_t sync_threshold;
	uint8_t sync_period;
	uint8_t _pad2[2];
	/* derived by fp_snapshot_index from the dests and services: bit id of
	 * rs_avail is set when real server id is in the snapshot (any weight:
	 * weight 0 drains), bit id of svc_expire_nodest when service id has
	 * FP_SVC_F_EXPIRE_NODEST */
	uint64_t rs_avail[FP_MAX_REAL_SERVERS / 64];
	uint64_t svc_expire_nodest[FP_MAX_SERVICES / 64];
};

/* Why a backup's lcore did not take a received record. */
#define FP_SYNC_REJECTS(X) \
	X(NO_SERVICE, "no_service")   /* no such service in our configuration */ \
	X(NO_DEST, "no_dest")         /* the service has no such real server */ \
	X(BAD_STATE, "bad_state")     /* a state the protocol cannot have */ \
	X(TABLE_FULL, "table_full")   /* no room (established connections are never evicted) */ \
	X(TUPLE_TAKEN, "tuple_taken") /* its reply tuple is another live connection's */
#define FP_ENUM_SYNC_REJECT(id, name) FP_SYNC_REJECT_##id,
enum fp_sync_reject { FP_SYNC_REJECTS(FP_ENUM_SYNC_REJECT) FP_NUM_SYNC_REJECTS };
#undef FP_ENUM_SYNC_REJECT

/* ---- counters: one block per lcore, written by that lcore only ---- */

/* Per service or per real server. Directions: 0 in (client to server),
 * 1 out (server to client: NAT replies). 64 bytes. */
struct fp_traffic {
	uint64_t conns;
	uint64_t pkts[2];
	uint64_t bytes[2];
	uint64_t active;    /* connections now ESTABLISHED (ipvsadm ActiveConn) */
	uint64_t inactive;  /* in any other state (InActConn) */
	uint64_t _pad;
};

struct fp_pkts {
	uint64_t pkts;
	uint64_t bytes;
};

struct fp_lcore_counters {
	uint64_t rx_pkts;
	uint64_t tx_pkts;
	uint64_t created;
	uint64_t redirected;
	uint64_t live;             /* connections in the table now */
	uint64_t encapsulated;     /* IPIP headers added (TUN) */
	uint64_t frag_needed_sent; /* ICMP fragmentation-needed we originated */
	uint64_t max_poll_gap_ns;  /* longest time between two polls */
	uint64_t poll_gaps[FP_NUM_GAP_THRESHOLDS];
	uint64_t reused;           /* SYNs that replaced a TIME_WAIT/CLOSE connection */
	uint64_t injected;         /* frames the slow path gave us, sent */
	uint64_t iterations;       /* poll loop iterations */
	uint64_t inbox_pkts;       /* received from other lcores (they own the flows) */
	/* the outcomes of what was received, with punted, redirected and drops */
	uint64_t forwarded;        /* sent on to a real server or a client */
	uint64_t answered;         /* turned into our ICMP reply in place (echo, errors) */
	uint64_t time_exceeded_sent;
	uint64_t icmp_rate_limited; /* ICMP errors not sent: over security.icmp_rate */
	uint64_t inject_failed;    /* injected frames not sent: bad port or tx queue full */
	uint64_t evicted;          /* half-open connections evicted to make room (flood) */
	uint64_t flood_active;     /* 1 while over security.flood_pct (a gauge) */
	uint64_t nodest_expired;   /* connections removed: real server gone, expire_nodest_conn */
	uint64_t templates;        /* persistence templates in the table now (not in live) */
	uint64_t sync_emitted;     /* records put on the sync ring (master) */
	uint64_t sync_ring_full;   /* records the full sync ring refused */
	uint64_t sync_inserted;    /* received records that made a connection (backup) */
	uint64_t sync_updated;     /* received records that refreshed one */
	uint64_t _pad0[1];
	struct fp_pkts method[FP_NUM_METHODS];
	uint64_t punted[FP_NUM_PUNTS];
	uint64_t drops[FP_NUM_DROPS];
	uint64_t kernel_full[FP_MAX_PORTS]; /* drops[KERNEL_FULL] by receiving port */
	uint64_t sync_rejected[FP_NUM_SYNC_REJECTS];
	struct fp_traffic svc[FP_MAX_SERVICES] __attribute__((aligned(FP_CACHE_LINE)));
	struct fp_traffic rs[FP_MAX_REAL_SERVERS];
} __attribute__((aligned(FP_CACHE_LINE)));

/* ---- the connection record (IPVS's ip_vs_conn, 32 bytes) ---- */
struct fp_conn {
	uint32_t client_ip;
	uint32_t vip;
	uint32_t rs_ip;
	uint16_t client_port;
	uint16_t vport;
	uint16_t rs_port;
	uint8_t proto;
	uint8_t state;      /* enum fp_state */
	uint8_t sync_pkts;  /* client packets counted towards the next sync record (IPVS in_pkts % sync_period) */
	uint8_t flags;      /* FP_CONN_F_*; bits 6-7: the transmit function bound at creation (enum fp_method) */
	uint16_t svc_id;
	uint16_t rs_id;
	uint16_t cseq_hi;   /* TCP: the client's next sequence number >> 16 (RST check) */
	uint32_t expire;    /* absolute ms, wrapping; free-list link when unused */
};

enum {
	FP_CONN_F_USED = 0x01, /* in the table */
	/* A persistence template (IPVS's): client_ip is the client network,
	 * client_port 0 (TCP/UDP from port 0 is dropped on ingress, so no
	 * connection has that key), vport the service's port, rs_* the server
	 * it pins; state NONE. Indexed by that client key only (no packet is
	 * its reply), so repointing it in place keeps it indexed. Not counted
	 * as a connection (active, inactive, live, traffic). */
	FP_CONN_F_TEMPLATE = 0x02,
	/* The client has acknowledged something after its SYN: from then on
	 * its RSTs must be in window (before, its RST answers a stray ACK,
	 * e.g. a server's TIME_WAIT challenge ACK to a reused port, with that
	 * ACK's number: RFC 793's reset in SYN-SENT). */
	FP_CONN_F_CLIENT_ACKED = 0x04,
	/* The connection came from the master's sync messages (IPVS's
	 * IP_VS_CONN_F_SYNC): listed as such until a packet of it passes. */
	FP_CONN_F_SYNCED = 0x08,
	FP_CONN_METHOD_SHIFT = 6, /* enum fp_method in the top two bits of flags */
	FP_CONN_F_MASK = 0x3f,
};
_Static_assert(FP_NUM_METHODS <= 4, "a conn's method rides in two bits of its flags");

/* ---- connection synchronisation (IPVS's sync daemon, issue 12) ---- */

/* One connection or template as the sync rings carry it, both ways:
 * lcore -> Go (what the master sends) and Go -> lcore (what a backup
 * received). 32 bytes. */
struct fp_sync_rec {
	uint32_t client_ip;
	uint32_t vip;
	uint32_t rs_ip;
	uint16_t client_port;
	uint16_t vport;
	uint16_t rs_port;
	uint8_t proto;
	uint8_t state;      /* enum fp_state */
	uint8_t flags;      /* FP_SYNC_F_* */
	uint8_t method;     /* enum fp_method (what the master uses; the backup uses its own dest's) */
	uint16_t _pad;
	uint32_t timeout_ms; /* how long the copy lives without a refresh */
	uint32_t _pad2;
};

enum {
	FP_SYNC_F_TEMPLATE = 0x01,
};

/* A single-producer single-consumer ring of records in shared memory:
 * head is written by the producer only, tail by the consumer only. */
struct fp_sync_ring {
	uint32_t size;      /* records, a power of two */
	uint32_t _pad0[15];
	uint32_t head;      /* next record the producer writes */
	uint32_t tail_seen; /* the producer's last look at tail */
	uint32_t _pad1[14];
	uint32_t tail;      /* next record the consumer reads */
	uint32_t _pad2[15];
	struct fp_sync_rec recs[];
};


/* ---- slow path interface ---- */

/* A packet taken from a punt ring, with what the lcore knew about it. */
struct fp_punted {
	void *mbuf;         /* struct rte_mbuf *; the slow path owns it now */
	uint8_t *data;      /* the frame */
	uint16_t len;
	uint8_t reason;     /* enum fp_punt */
	uint8_t in_port;    /* port index it arrived on */
	uint8_t out_port;   /* FP_PUNT_NEIGH: port index to send it on */
	uint8_t _pad[3];
	uint32_t hop;       /* FP_PUNT_NEIGH: the next hop to resolve */
};

/* A frame the slow path asks an lcore to transmit. */
struct fp_inject {
	void *mbuf;         /* struct rte_mbuf * with the frame and its length set */
	uint8_t port;       /* port index */
	uint8_t _pad[7];
};

#endif /* FP_LAYOUT_H */
