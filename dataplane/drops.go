package dataplane

import "github.com/govs-project/govs/dataplane/packet"

// Drop is why a packet was not forwarded. Every drop is counted per reason.
// The first values mirror packet.Error so a parse error maps by conversion.
type Drop uint8

const (
	dropNone Drop = iota
	DropTruncated
	DropNotIPv4
	DropBadVersion
	DropBadIHL
	DropBadTotalLen
	DropBadChecksum
	DropFragment
	DropL4Truncated
	DropBadTCPOffset
	// dataplane's own reasons
	DropVLAN            // tagged frames are not handled yet
	DropARPInvalid      // not Ethernet/IPv4 ARP, or not for us
	DropNoService       // to a VIP, but no service on that protocol/port
	DropNoConn          // TCP non-SYN that matches no connection
	DropConnTableFull   // new connection refused: table full
	DropNoDest          // service has no real server with weight > 0
	DropTTLExceeded     // TTL would reach 0
	DropNoRoute         // no connected subnet or gateway for the destination
	DropNeighUnresolved // next hop MAC unknown yet (an ARP request was sent)
	DropNotLocal        // neither to us nor part of a tracked connection
	DropLocalProto      // to our own address, protocol not served
	DropICMPUnhandled   // ICMP that is neither echo nor an error about a tracked connection
	DropRedirectFull    // hand-off ring to the owning lcore was full
	DropTxFull          // the port's tx queue did not take the packet
	DropMultiSeg        // chained mbuf: headers are expected in the first segment
	DropTooBig          // TUN: too big once encapsulated, DF set: ICMP fragmentation-needed sent
	DropTooBigNoDF      // TUN: too big once encapsulated, no DF: we do not fragment
	DropNoHeadroom      // mbuf without room for the outer header
	NumDrops
)

var dropNames = [NumDrops]string{
	dropNone:            "none",
	DropTruncated:       "truncated",
	DropNotIPv4:         "not_ipv4",
	DropBadVersion:      "bad_version",
	DropBadIHL:          "bad_ihl",
	DropBadTotalLen:     "bad_total_len",
	DropBadChecksum:     "bad_ip_checksum",
	DropFragment:        "fragment",
	DropL4Truncated:     "l4_truncated",
	DropBadTCPOffset:    "bad_tcp_offset",
	DropVLAN:            "vlan",
	DropARPInvalid:      "arp_invalid",
	DropNoService:       "no_service",
	DropNoConn:          "no_conn",
	DropConnTableFull:   "conn_table_full",
	DropNoDest:          "no_dest",
	DropTTLExceeded:     "ttl_exceeded",
	DropNoRoute:         "no_route",
	DropNeighUnresolved: "neigh_unresolved",
	DropNotLocal:        "not_local",
	DropLocalProto:      "local_proto",
	DropICMPUnhandled:   "icmp_unhandled",
	DropRedirectFull:    "redirect_full",
	DropTxFull:          "tx_full",
	DropMultiSeg:        "multi_segment",
	DropTooBig:          "too_big_frag_needed_sent",
	DropTooBigNoDF:      "too_big_no_df",
	DropNoHeadroom:      "no_headroom",
}

func (d Drop) String() string {
	if d < NumDrops {
		return dropNames[d]
	}
	return "unknown"
}

// dropForParse maps a parse error to its drop reason.
func dropForParse(e packet.Error) Drop {
	if e == packet.OK || e >= packet.NumErrors {
		return DropTruncated
	}
	return Drop(e)
}
