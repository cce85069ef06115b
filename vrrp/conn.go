package vrrp

import (
	"net/netip"
	"time"
)

// Conn is what an Instance needs of its transport: *Transport on a real
// interface, an in-memory segment in tests.
type Conn interface {
	Send(msg []byte, dst netip.Addr) error
	// Recv waits for the next datagram or the read deadline; a deadline
	// error satisfies interface{ Timeout() bool }.
	Recv(buf []byte) (Packet, error)
	SetReadDeadline(t time.Time) error
	Close() error
}

var _ Conn = (*Transport)(nil)
