package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

func (m *Manager) makeProber(t Target) (Prober, error) {
	if m.o.NewProber != nil {
		return m.o.NewProber(t)
	}
	return newProber(t, m.o.RunCommand, &m.ping)
}

// newProber builds the real checker of t.
func newProber(t Target, run CommandRunner, ping *pingHolder) (Prober, error) {
	c := &t.Check
	switch c.Kind {
	case KindTCP:
		return &tcpProber{dialer: dialer(c), addr: connectAddr(t).String()}, nil
	case KindHTTP, KindHTTPS:
		return newHTTPProber(t)
	case KindUDP:
		return &udpProber{dialer: dialer(c), addr: connectAddr(t).String(), payload: []byte(c.Payload),
			requireReply: c.RequireReply, buf: make([]byte, 2048)}, nil
	case KindDNS:
		return newDNSProber(t)
	case KindPing:
		return &pingProber{ping: ping, dst: connectAddr(t).Addr(), src: c.SourceAddr}, nil
	case KindScript:
		if c.Command == "" {
			return nil, errors.New("script check without a command")
		}
		server := netip.AddrPortFrom(t.Addr, t.Port).String()
		return &scriptProber{run: run, command: c.Command, dynamic: c.Dynamic,
			env: []string{"GOVS_SERVICE=" + t.Service, "GOVS_SERVER=" + server}}, nil
	}
	return nil, fmt.Errorf("unknown check kind %q", c.Kind)
}

// connectAddr is where a check connects: the server unless the check says
// otherwise.
func connectAddr(t Target) netip.AddrPort {
	a, p := t.Addr, t.Port
	if t.Check.ConnectAddr.IsValid() {
		a = t.Check.ConnectAddr
	}
	if t.Check.ConnectPort != 0 {
		p = t.Check.ConnectPort
	}
	return netip.AddrPortFrom(a, p)
}

// dialer connects from the check's source address when it has one. The
// local port is then chosen at connect time (IP_BIND_ADDRESS_NO_PORT), as
// for an unbound socket: a bind-time port would be unique per address, and
// thousands of checks a second leaving TIME_WAIT behind would run out.
func dialer(c *Check) *net.Dialer {
	d := &net.Dialer{KeepAlive: -1}
	if c.SourceAddr.IsValid() {
		ip := c.SourceAddr.AsSlice()
		if c.Kind == KindUDP || c.Kind == KindDNS {
			d.LocalAddr = &net.UDPAddr{IP: ip}
		} else {
			d.LocalAddr = &net.TCPAddr{IP: ip}
			d.Control = func(_, _ string, rc syscall.RawConn) error {
				var serr error
				err := rc.Control(func(fd uintptr) {
					serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
				})
				return errors.Join(err, serr)
			}
		}
	}
	return d
}

// describe shortens a socket error to what an operator needs
// ("connect: connection refused"); a timeout says so.
func describe(ctx context.Context, err error) Result {
	if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
		return Result{Timeout: true, Err: "timeout: " + shortErr(err), Weight: -1}
	}
	return failure("%s", shortErr(err))
}

func shortErr(err error) string {
	msg := err.Error()
	var op *net.OpError
	if !errors.As(err, &op) || op.Err == nil {
		return msg
	}
	short := op.Op + ": " + op.Err.Error()
	var se *os.SyscallError
	if errors.As(op.Err, &se) {
		short = se.Syscall + ": " + se.Err.Error()
	}
	// Keep what wraps the socket error ("tls: ...", "reading the body: ...").
	return strings.Replace(msg, op.Error(), short, 1)
}
