// Package vrrp implements VRRP director failover, interoperable with
// keepalived 2.2.7: RFC 3768 VRRPv2 and RFC 5798 VRRPv3 over IPv4.
//
// This part is the advertisement codec. Advert is one VRRP message (the IP
// payload of a protocol 112 packet): Marshal builds it, Parse decodes it and
// rejects what keepalived drops on the wire (TTL, version, type, length,
// checksum), and Advert.Check rejects what keepalived drops because it does
// not match the local instance (VRID, interval, addresses, authentication).
// Every rejection is a *RejectError whose Reason has a stable snake_case name
// for metrics; RejectLog counts them and logs each reason at most once a
// minute, so a misconfigured peer cannot flood the log.
//
// The codec is pure: no sockets and no clock. The IPv4 header (TTL 255,
// TOS 0xC0, destination 224.0.0.18) belongs to the transport, which hands
// Parse the payload and the header fields the checks need.
package vrrp
