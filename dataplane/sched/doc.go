// Package sched holds the IPVS-style schedulers that pick a real server
// (destination) for a new connection of a virtual service.
//
// A Scheduler is built by the control plane from the service's destination
// weights and stored in the immutable configuration snapshot, so it is
// shared read-only by every lcore and may precompute freely. The mutable
// part of scheduling (IPVS's per-service "mark") is a single uint64 that
// each lcore owns per service and passes to Pick, so lcores never share or
// lock scheduler state. A zero state is a valid start, and a state that was
// produced by a previous snapshot's scheduler is tolerated: Pick clamps it.
//
// Destinations are identified by their index in the weights slice. A weight
// of 0 quiesces a destination, as in IPVS: it gets no new connections.
//
// Because each lcore schedules independently, the weighted shares hold per
// lcore; across lcores they hold in aggregate when lcores see similar loads.
package sched
