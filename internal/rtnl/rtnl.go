// Package rtnl is a minimal rtnetlink client: the link, address and route
// changes govs makes to the kernel (real-server setup, the dataplane's
// kernel interfaces). Lookups use the net package, which reads netlink too.
//
// A Conn's socket belongs to the network namespace of the thread that
// opened it: changes go there whichever thread later uses the Conn.
package rtnl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Conn is an rtnetlink socket. It is not safe for concurrent use.
type Conn struct {
	fd  int
	seq uint32
}

// Open opens an rtnetlink socket in the calling thread's namespace.
func Open() (*Conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("open rtnetlink socket: %w", err)
	}
	tv := unix.Timeval{Sec: 5}
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind rtnetlink socket: %w", err)
	}
	return &Conn{fd: fd}, nil
}

// Close closes the socket.
func (r *Conn) Close() error { return unix.Close(r.fd) }

// attr encodes one netlink attribute, padded to 4 bytes.
func attr(typ uint16, data []byte) []byte {
	l := unix.SizeofRtAttr + len(data)
	b := make([]byte, (l+3)&^3)
	binary.NativeEndian.PutUint16(b[0:2], uint16(l))
	binary.NativeEndian.PutUint16(b[2:4], typ)
	copy(b[4:], data)
	return b
}

func u32(v uint32) []byte {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, v)
	return b
}

// do sends one request and waits for its acknowledgement.
func (r *Conn) do(typ, flags uint16, body []byte) error {
	r.seq++
	msg := make([]byte, unix.SizeofNlMsghdr+len(body))
	binary.NativeEndian.PutUint32(msg[0:4], uint32(len(msg)))
	binary.NativeEndian.PutUint16(msg[4:6], typ)
	binary.NativeEndian.PutUint16(msg[6:8], flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	binary.NativeEndian.PutUint32(msg[8:12], r.seq)
	copy(msg[unix.SizeofNlMsghdr:], body)
	if err := unix.Sendto(r.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 8192)
	for {
		n, _, err := unix.Recvfrom(r.fd, buf, 0)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) {
				return errors.New("no answer from the kernel within 5s")
			}
			return err
		}
		for b := buf[:n]; len(b) >= unix.SizeofNlMsghdr; {
			l := int(binary.NativeEndian.Uint32(b[0:4]))
			if l < unix.SizeofNlMsghdr || l > len(b) {
				return errors.New("malformed netlink answer")
			}
			mtyp := binary.NativeEndian.Uint16(b[4:6])
			seq := binary.NativeEndian.Uint32(b[8:12])
			if seq == r.seq && mtyp == unix.NLMSG_ERROR && l >= unix.SizeofNlMsghdr+4 {
				if e := int32(binary.NativeEndian.Uint32(b[16:20])); e != 0 {
					return unix.Errno(-e)
				}
				return nil
			}
			b = b[(l+3)&^3:]
		}
	}
}

func ifinfomsg(index int32, flags, change uint32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	b[0] = unix.AF_UNSPEC
	binary.NativeEndian.PutUint32(b[4:8], uint32(index))
	binary.NativeEndian.PutUint32(b[8:12], flags)
	binary.NativeEndian.PutUint32(b[12:16], change)
	return b
}

// LinkIndex is the interface index of the named link.
func LinkIndex(name string) (int32, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return 0, fmt.Errorf("interface %s: %w", name, err)
	}
	return int32(ifi.Index), nil
}

// SetLinkUp sets or clears IFF_UP on the link.
func (r *Conn) SetLinkUp(name string, up bool) error {
	idx, err := LinkIndex(name)
	if err != nil {
		return err
	}
	var flags uint32
	if up {
		flags = unix.IFF_UP
	}
	if err := r.do(unix.RTM_NEWLINK, 0, ifinfomsg(idx, flags, unix.IFF_UP)); err != nil {
		return fmt.Errorf("set link %s up=%v: %w", name, up, err)
	}
	return nil
}

// SetLinkMTU sets the link's MTU.
func (r *Conn) SetLinkMTU(name string, mtu int) error {
	idx, err := LinkIndex(name)
	if err != nil {
		return err
	}
	body := append(ifinfomsg(idx, 0, 0), attr(unix.IFLA_MTU, u32(uint32(mtu)))...)
	if err := r.do(unix.RTM_NEWLINK, 0, body); err != nil {
		return fmt.Errorf("set mtu %d on %s: %w", mtu, name, err)
	}
	return nil
}

// SetLinkMAC sets the link's hardware address.
func (r *Conn) SetLinkMAC(name string, mac [6]byte) error {
	idx, err := LinkIndex(name)
	if err != nil {
		return err
	}
	body := append(ifinfomsg(idx, 0, 0), attr(unix.IFLA_ADDRESS, mac[:])...)
	if err := r.do(unix.RTM_NEWLINK, 0, body); err != nil {
		return fmt.Errorf("set MAC %s on %s: %w", net.HardwareAddr(mac[:]), name, err)
	}
	return nil
}

// AddLink creates a link of the given rtnetlink kind ("ipip").
func (r *Conn) AddLink(name, kind string) error {
	info := attr(unix.IFLA_INFO_KIND, []byte(kind))
	body := ifinfomsg(0, 0, 0)
	body = append(body, attr(unix.IFLA_IFNAME, append([]byte(name), 0))...)
	body = append(body, attr(unix.IFLA_LINKINFO, info)...)
	return r.do(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL, body)
}

// DelLink deletes the link.
func (r *Conn) DelLink(name string) error {
	idx, err := LinkIndex(name)
	if err != nil {
		return err
	}
	if err := r.do(unix.RTM_DELLINK, 0, ifinfomsg(idx, 0, 0)); err != nil {
		return fmt.Errorf("delete link %s: %w", name, err)
	}
	return nil
}

func ifaddrmsg(p netip.Prefix, index int32) []byte {
	b := make([]byte, unix.SizeofIfAddrmsg)
	b[0] = unix.AF_INET
	b[1] = byte(p.Bits())
	b[3] = unix.RT_SCOPE_UNIVERSE // what "ip addr add" gives a non-127/8 address
	binary.NativeEndian.PutUint32(b[4:8], uint32(index))
	a := p.Addr().As4()
	b = append(b, attr(unix.IFA_LOCAL, a[:])...)
	return append(b, attr(unix.IFA_ADDRESS, a[:])...)
}

// AddAddr adds the IPv4 address p (e.g. VIP/32, or 10.0.0.1/24 with its
// connected route) to the link. An existing one is an error (EEXIST);
// callers check with HasAddr first.
func (r *Conn) AddAddr(name string, p netip.Prefix) error {
	idx, err := LinkIndex(name)
	if err != nil {
		return err
	}
	if err := r.do(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, ifaddrmsg(p, idx)); err != nil {
		return fmt.Errorf("add address %s to %s: %w", p, name, err)
	}
	return nil
}

// DelAddr removes p from the link.
func (r *Conn) DelAddr(name string, p netip.Prefix) error {
	idx, err := LinkIndex(name)
	if err != nil {
		return err
	}
	if err := r.do(unix.RTM_DELADDR, 0, ifaddrmsg(p, idx)); err != nil {
		return fmt.Errorf("remove address %s from %s: %w", p, name, err)
	}
	return nil
}

// ErrRouteExists is returned by AddDefaultRoute when the main table holds
// that route already (same gateway and metric).
var ErrRouteExists = errors.New("route exists")

// AddDefaultRoute adds 0.0.0.0/0 via the IPv4 gateway gw out of the link
// to the main table with the given metric (priority), as "ip route add
// default via GW dev NAME metric M" does. Default routes of other metrics
// may coexist; the same one again is ErrRouteExists.
func (r *Conn) AddDefaultRoute(name string, gw netip.Addr, metric uint32) error {
	if !gw.Is4() {
		return fmt.Errorf("default route via %v: not an IPv4 gateway", gw)
	}
	idx, err := LinkIndex(name)
	if err != nil {
		return err
	}
	b := make([]byte, unix.SizeofRtMsg)
	b[0] = unix.AF_INET           // family
	b[4] = unix.RT_TABLE_MAIN     // table
	b[5] = unix.RTPROT_STATIC     // protocol
	b[6] = unix.RT_SCOPE_UNIVERSE // scope
	b[7] = unix.RTN_UNICAST       // type
	g := gw.As4()
	b = append(b, attr(unix.RTA_GATEWAY, g[:])...)
	b = append(b, attr(unix.RTA_OIF, u32(uint32(idx)))...)
	b = append(b, attr(unix.RTA_PRIORITY, u32(metric))...)
	err = r.do(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL, b)
	if errors.Is(err, unix.EEXIST) {
		return ErrRouteExists
	}
	if err != nil {
		return fmt.Errorf("add default route via %s dev %s metric %d: %w", gw, name, metric, err)
	}
	return nil
}

// HasAddr reports whether the link holds exactly p.
func HasAddr(name string, p netip.Prefix) (bool, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return false, fmt.Errorf("interface %s: %w", name, err)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return false, fmt.Errorf("addresses of %s: %w", name, err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ones, _ := n.Mask.Size()
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == p.Addr() && ones == p.Bits() {
				return true, nil
			}
		}
	}
	return false, nil
}

// LinkUp reports whether the link exists and has IFF_UP.
func LinkUp(name string) (exists, up bool) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return false, false
	}
	return true, ifi.Flags&net.FlagUp != 0
}
