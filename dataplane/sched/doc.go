// Package sched compiles the IPVS-style schedulers that pick a real server
// (destination) for a new connection of a virtual service into the tables
// the fast path's lcores read (dataplane/fastpath: fp_sched.c picks).
//
// A Table is built by the control plane from the service's destinations
// and stored in the immutable configuration snapshot, so it is shared
// read-only by every lcore and may precompute freely: rr and wrr cycles,
// the sh and dh buckets, the Maglev table of mh. The schedulers that
// depend on connection counts (lc, wlc, sed, nq, fo, ovf, twos, lblc,
// lblcr) have no table: each lcore picks from the weights and its own
// active and inactive counts of each destination (as DPVS: an lcore
// balances the connections it owns). The mutable part of scheduling
// (IPVS's per-service "mark", twos's random state, the lblc caches) is
// per lcore, so lcores never share or lock scheduler state; a state left
// by a previous snapshot's table is tolerated.
//
// Destinations are identified by their index in the Dest slice. A
// weight of 0 quiesces a destination, as in IPVS: it gets no new
// connections.
//
// Because each lcore schedules independently, the weighted shares hold per
// lcore; across lcores they hold in aggregate when lcores see similar loads.
package sched
