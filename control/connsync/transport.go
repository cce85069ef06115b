package connsync

import (
	"errors"
	"net/netip"
)

// ErrClosed is Recv's error once the transport is closed.
var ErrClosed = errors.New("sync transport closed")

// Transport carries messages: the sender's Send, the receiver's Recv.
type Transport interface {
	Send(msg []byte) error
	// Recv blocks for the next datagram; after Close it returns ErrClosed.
	Recv(buf []byte) (n int, src netip.Addr, err error)
	Close() error
}
