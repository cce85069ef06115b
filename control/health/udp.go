package health

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"time"
)

// udpProber sends one datagram on a connected socket (keepalived's
// UDP_CHECK). An ICMP port unreachable shows on a connected socket as
// ECONNREFUSED: down. With RequireReply a reply must come back within the
// timeout; without, silence until the timeout is up.
type udpProber struct {
	dialer       *net.Dialer
	addr         string
	payload      []byte
	requireReply bool
	buf          []byte // one check at a time per prober
}

func (p *udpProber) Probe(ctx context.Context) Result {
	conn, err := p.dialer.DialContext(ctx, "udp4", p.addr)
	if err != nil {
		return describe(ctx, err)
	}
	defer conn.Close()
	_, err = exchange(ctx, conn, p.payload, p.buf, nil)
	switch {
	case err == nil:
		return success()
	case errors.Is(err, syscall.ECONNREFUSED):
		return failure("port unreachable (ICMP)")
	case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != context.Canceled:
		if p.requireReply {
			return Result{Timeout: true, Err: "no reply", Weight: -1}
		}
		return success() // no ICMP error within the timeout
	}
	return describe(ctx, err)
}

// exchange writes req on a connected datagram socket and reads until
// accept takes a reply (nil accepts any), the deadline or an error.
func exchange(ctx context.Context, conn net.Conn, req, buf []byte, accept func([]byte) bool) (int, error) {
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(req); err != nil {
		return 0, err
	}
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return 0, err
		}
		if accept == nil || accept(buf[:n]) {
			return n, nil
		}
	}
}
