package realserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// A minimal rtnetlink client: just the link and address changes this
// package makes. Lookups use the net package (which reads netlink too).

type rtnl struct {
	fd  int
	seq uint32
}

func openRTNL() (*rtnl, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("open rtnetlink socket: %w", err)
	}
	tv := unix.Timeval{Sec: 5}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind rtnetlink socket: %w", err)
	}
	return &rtnl{fd: fd}, nil
}

func (r *rtnl) Close() error { return unix.Close(r.fd) }

// nlAttr encodes one netlink attribute, padded to 4 bytes.
func nlAttr(typ uint16, data []byte) []byte {
	l := unix.SizeofRtAttr + len(data)
	b := make([]byte, (l+3)&^3)
	binary.NativeEndian.PutUint16(b[0:2], uint16(l))
	binary.NativeEndian.PutUint16(b[2:4], typ)
	copy(b[4:], data)
	return b
}

// do sends one request and waits for its acknowledgement.
func (r *rtnl) do(typ, flags uint16, body []byte) error {
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

func linkIndex(name string) (int32, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return 0, fmt.Errorf("interface %s: %w", name, err)
	}
	return int32(ifi.Index), nil
}

// SetLinkUp sets or clears IFF_UP on the link.
func (r *rtnl) SetLinkUp(name string, up bool) error {
	idx, err := linkIndex(name)
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
func (r *rtnl) SetLinkMTU(name string, mtu int) error {
	idx, err := linkIndex(name)
	if err != nil {
		return err
	}
	v := make([]byte, 4)
	binary.NativeEndian.PutUint32(v, uint32(mtu))
	body := append(ifinfomsg(idx, 0, 0), nlAttr(unix.IFLA_MTU, v)...)
	if err := r.do(unix.RTM_NEWLINK, 0, body); err != nil {
		return fmt.Errorf("set mtu %d on %s: %w", mtu, name, err)
	}
	return nil
}

// AddLink creates a link of the given rtnetlink kind ("ipip").
func (r *rtnl) AddLink(name, kind string) error {
	info := nlAttr(unix.IFLA_INFO_KIND, []byte(kind))
	body := ifinfomsg(0, 0, 0)
	body = append(body, nlAttr(unix.IFLA_IFNAME, append([]byte(name), 0))...)
	body = append(body, nlAttr(unix.IFLA_LINKINFO, info)...)
	return r.do(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL, body)
}

// DelLink deletes the link.
func (r *rtnl) DelLink(name string) error {
	idx, err := linkIndex(name)
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
	b = append(b, nlAttr(unix.IFA_LOCAL, a[:])...)
	return append(b, nlAttr(unix.IFA_ADDRESS, a[:])...)
}

// AddAddr adds p (e.g. VIP/32) to the link. An existing one is an error
// (EEXIST); callers check with hasAddr first.
func (r *rtnl) AddAddr(name string, p netip.Prefix) error {
	idx, err := linkIndex(name)
	if err != nil {
		return err
	}
	if err := r.do(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, ifaddrmsg(p, idx)); err != nil {
		return fmt.Errorf("add address %s to %s: %w", p, name, err)
	}
	return nil
}

// DelAddr removes p from the link.
func (r *rtnl) DelAddr(name string, p netip.Prefix) error {
	idx, err := linkIndex(name)
	if err != nil {
		return err
	}
	if err := r.do(unix.RTM_DELADDR, 0, ifaddrmsg(p, idx)); err != nil {
		return fmt.Errorf("remove address %s from %s: %w", p, name, err)
	}
	return nil
}

// hasAddr reports whether the link holds exactly p.
func hasAddr(name string, p netip.Prefix) (bool, error) {
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

// linkUp reports whether the link exists and has IFF_UP.
func linkUp(name string) (exists, up bool) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return false, false
	}
	return true, ifi.Flags&net.FlagUp != 0
}
