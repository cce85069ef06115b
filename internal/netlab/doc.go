// Package netlab builds small test networks out of Linux network namespaces,
// veth pairs and bridges, and runs servers and clients inside them.
//
// It is used by the end-to-end tests and by cmd/govs-demo: a client
// namespace holds the director's WAN port (the kernel side of a DPDK net_tap
// port), and real-server namespaces sit on a bridge with its LAN port.
//
// Everything needs root. Names carry a per-run tag (see RunTag) so parallel
// runs never collide, and leftovers of crashed runs are removed by tag
// (see Claim, CleanTag and CleanStale).
package netlab
