// Package health runs the director's health checks of real servers and
// keeps their state, as keepalived's checkers do for LVS.
//
// Each checked server has one checker: a timer that runs its probe (tcp,
// http, https, udp, dns, ping or script), bounded by the check's timeout,
// then feeds the result to a small state machine (rise successes bring a
// server up, fall failures take it down). Services add up the weights of
// their healthy servers against a quorum with hysteresis. Every change is
// published as an Event, counted in metrics, handed to the notify commands
// and signalled through Options.OnChange, so the daemon can publish a new
// dataplane snapshot; the checks themselves are ordinary sockets of the
// director's network namespace and never touch the fast path.
//
// The package is pure Go and knows nothing of DPDK or of the
// configuration file: the daemon maps its configuration to a Spec.
package health
