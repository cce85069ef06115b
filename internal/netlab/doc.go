// Package netlab builds small test networks out of Linux network namespaces,
// veth pairs and bridges, and runs servers and clients inside them.
//
// It is used by the end-to-end tests, by cmd/govs-demo and by the bench's
// SYN-flood lab. Two topologies share their parts (Hosts: the director's
// namespace, a client, a switch namespace with a bridge, real servers
// running HTTP, line echo, UDP echo and upload sink services):
//
//   - NATLab: the client namespace holds the director's WAN port (the
//     kernel side of a DPDK net_tap port), and the real-server namespaces sit
//     on a bridge with its LAN port.
//   - DSRLab (LVS/DR and LVS/TUN): client, director port and real servers
//     share one segment; replies go from the servers straight to the client.
//
// The director always runs in the lab's director namespace (StartProcIn),
// never in the root namespace: its taps appear there and are moved into
// the lab from there (AttachPorts, AttachPort), and the kernel interfaces
// and routes it makes itself stay there, deleted with the lab. Its admin
// socket is a file and reached from anywhere; its TCP listeners (metrics)
// only from inside the director namespace.
//
// For health-check tests: a real server's HTTPServer can answer 500, stop
// (as if its process died) and come back on the same address; DropSYN
// makes a namespace silently drop SYNs to a port (nftables); an HTTPLoop
// requests a URL every 20 ms, each on a new connection, and records each
// attempt's outcome, time and answering server.
//
// Capture records what an interface of a namespace sends and receives (an
// AF_PACKET socket with a kernel filter), so tests can check frames on the
// wire: MAC addresses, IPIP headers, ICMP.
//
// Everything needs root. Names carry a per-run tag (see RunTag) so parallel
// runs never collide, and leftovers of crashed runs are removed by tag
// (see Claim, CleanTag and CleanStale).
package netlab
