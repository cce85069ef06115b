package connsync

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// DefaultGroup is IPVS's sync multicast group.
var DefaultGroup = netip.AddrFrom4([4]byte{224, 0, 0, 81})

// UDPConfig is where messages go and come from.
type UDPConfig struct {
	Interface string     // the kernel interface (SO_BINDTODEVICE); "" for none (tests on lo)
	Source    netip.Addr // our address on it: the multicast interface, the unicast source
	Group     netip.Addr // multicast group (with no Peers)
	Peers     []netip.Addr
	Port      uint16
	TTL       int
	Receive   bool // bind Port to receive (else an ephemeral port)
}

// UDP is a Transport over one UDP socket: multicast to Group (joined on
// the interface, loopback off so we never hear ourselves) or unicast to
// each of Peers (datagrams from Source itself are dropped).
type UDP struct {
	conn  *net.UDPConn
	dests []*net.UDPAddr
	self  netip.Addr
}

// OpenUDP opens the socket; in govsd it runs in the director's namespace.
func OpenUDP(c UDPConfig) (*UDP, error) {
	if !c.Source.Is4() {
		return nil, fmt.Errorf("sync: source %v is not an IPv4 address", c.Source)
	}
	if c.TTL < 1 || c.TTL > 255 {
		c.TTL = 1
	}
	multicast := len(c.Peers) == 0
	if multicast && !c.Group.IsMulticast() {
		return nil, fmt.Errorf("sync: group %v is not an IPv4 multicast address", c.Group)
	}
	var ifindex int
	if c.Interface != "" {
		ifi, err := net.InterfaceByName(c.Interface)
		if err != nil {
			return nil, fmt.Errorf("sync: interface %s: %w", c.Interface, err)
		}
		ifindex = ifi.Index
	}
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	// Unicast binds Source, so that our datagrams carry it (the peers
	// drop their own by it). A multicast receiver binds the wildcard: a
	// socket bound to a unicast address does not get the group's traffic.
	bind := netip.AddrPortFrom(c.Source, 0)
	if c.Receive {
		bind = netip.AddrPortFrom(c.Source, c.Port)
		if multicast {
			bind = netip.AddrPortFrom(netip.IPv4Unspecified(), c.Port)
		}
	}
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			s := int(fd)
			set := func(level, opt, v int) {
				if serr == nil {
					serr = unix.SetsockoptInt(s, level, opt, v)
				}
			}
			set(unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			if c.Interface != "" && serr == nil {
				serr = unix.SetsockoptString(s, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, c.Interface)
			}
			set(unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, c.TTL)
			set(unix.IPPROTO_IP, unix.IP_TTL, c.TTL)
			set(unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, 0)
			if multicast && serr == nil {
				serr = unix.SetsockoptIPMreqn(s, unix.IPPROTO_IP, unix.IP_MULTICAST_IF,
					&unix.IPMreqn{Address: c.Source.As4(), Ifindex: int32(ifindex)})
			}
		})
		return errors.Join(err, serr)
	}}
	pc, err := lc.ListenPacket(context.Background(), "udp4", bind.String())
	if err != nil {
		return nil, fmt.Errorf("sync: socket on %v: %w", bind, err)
	}
	u := &UDP{conn: pc.(*net.UDPConn), self: c.Source}
	if multicast {
		u.dests = []*net.UDPAddr{net.UDPAddrFromAddrPort(netip.AddrPortFrom(c.Group, c.Port))}
		if c.Receive {
			if err := u.join(c.Group, c.Source, ifindex); err != nil {
				u.conn.Close()
				return nil, err
			}
		}
		return u, nil
	}
	for _, p := range c.Peers {
		u.dests = append(u.dests, net.UDPAddrFromAddrPort(netip.AddrPortFrom(p, c.Port)))
	}
	return u, nil
}

func (u *UDP) join(group, src netip.Addr, ifindex int) error {
	rc, err := u.conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptIPMreqn(int(fd), unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP,
			&unix.IPMreqn{Multiaddr: group.As4(), Address: src.As4(), Ifindex: int32(ifindex)})
	})
	if err = errors.Join(err, serr); err != nil {
		return fmt.Errorf("sync: joining %v: %w", group, err)
	}
	return nil
}

// Send writes msg to the group or to every peer.
func (u *UDP) Send(msg []byte) error {
	var errs []error
	for _, d := range u.dests {
		if _, err := u.conn.WriteToUDP(msg, d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Recv reads the next datagram not sent by ourselves.
func (u *UDP) Recv(buf []byte) (int, netip.Addr, error) {
	for {
		n, from, err := u.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return 0, netip.Addr{}, ErrClosed
			}
			return 0, netip.Addr{}, err
		}
		src := from.Addr().Unmap()
		if src == u.self {
			continue
		}
		return n, src, nil
	}
}

// Close closes the socket; a blocked Recv returns ErrClosed.
func (u *UDP) Close() error { return u.conn.Close() }
