// Package packet parses and rewrites Ethernet/IPv4 frames in place.
//
// Everything here runs on the DPDK lcores once per packet, so the rules are
// strict: the frame is a []byte view of the mbuf data and is never copied;
// nothing allocates, uses maps or interfaces; and no input, however malformed,
// can panic. Every slice access is preceded by an explicit length check, and
// functions report failure through a bool or an Error instead.
//
// IPv4 addresses are uint32 in host order: the value of
// binary.BigEndian.Uint32 of the four wire bytes.
//
// Rewrites update checksums incrementally (RFC 1624) rather than recomputing
// them, so the cost does not depend on the payload size. The only full
// recomputation is the ICMP checksum after translating an ICMP error, which
// covers at most a few hundred quoted bytes.
package packet
