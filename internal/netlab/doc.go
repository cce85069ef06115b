// Package netlab builds small test networks out of Linux network namespaces,
// veth pairs and bridges, and runs servers and clients inside them.
//
// It is used by the end-to-end tests and by cmd/govs-demo. Two topologies
// share their parts (Hosts: a client, a switch namespace with a bridge, real
// servers running HTTP, line echo, UDP echo and upload sink services):
//
//   - NATLab: the client namespace holds the director's WAN port (the
//     kernel side of a DPDK net_tap port), and the real-server namespaces sit
//     on a bridge with its LAN port.
//   - DSRLab (LVS/DR and LVS/TUN): client, director port and real servers
//     share one segment; replies go from the servers straight to the client.
//
// Capture records what an interface of a namespace sends and receives (an
// AF_PACKET socket with a kernel filter), so tests can check frames on the
// wire: MAC addresses, IPIP headers, ICMP.
//
// Everything needs root. Names carry a per-run tag (see RunTag) so parallel
// runs never collide, and leftovers of crashed runs are removed by tag
// (see Claim, CleanTag and CleanStale).
package netlab
