package health

import (
	"context"
	"net"
)

// tcpProber is up when a TCP connection opens (keepalived's TCP_CHECK).
type tcpProber struct {
	dialer *net.Dialer
	addr   string
}

func (p *tcpProber) Probe(ctx context.Context) Result {
	conn, err := p.dialer.DialContext(ctx, "tcp4", p.addr)
	if err != nil {
		return describe(ctx, err)
	}
	conn.Close()
	return success()
}
