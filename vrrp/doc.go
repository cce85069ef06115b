// Package vrrp implements VRRP director failover, interoperable with
// keepalived 2.2.7: RFC 3768 VRRPv2 and RFC 5798 VRRPv3 over IPv4.
//
// The pieces, each pure where it can be:
//   - the codec (advert*.go, reject*.go), below;
//   - the state machine (machine*.go, timers.go): Machine.Step is a pure
//     function of (state, event, time) to (state, actions);
//   - the transport (transport.go): a raw IPv4 socket of protocol 112 on
//     one interface, joined to 224.0.0.18, sending with TTL 255, TOS 0xC0;
//   - the instance runner (instance*.go): a Machine over a Conn (the
//     Transport, or an in-memory segment in tests), its timer and Hooks
//     that take and release the virtual addresses; notify commands and
//     OnTransition on every state change; SetTracking and Reconfigure
//     applied on its goroutine without needless transitions;
//   - tracking (track.go, script.go): Effective turns tracked objects and
//     their weights into a fault and a priority as keepalived does;
//     RunScript runs a track script with rise/fall;
//   - sync groups (syncgroup.go, machine_sync.go): members that move
//     together, led by a member's own transition, never by a forced one.
//
// The codec: Advert is one VRRP message (the IP
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
