package vrrp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// tos is the precedence keepalived sends adverts with (internetwork
// control); the TTL is AdvertTTL and the protocol IPProtocol (advert.go).
const tos = 0xc0

// Group is VRRP's IPv4 multicast address.
var Group = netip.AddrFrom4([4]byte{224, 0, 0, 18})

// Transport sends and receives VRRP messages on one interface (in govsd: a
// port's kernel-side interface) over a raw IPv4 socket of protocol 112.
// The kernel builds the IP header: TTL 255, TOS 0xC0, the interface's
// address as source; received packets keep theirs, so the TTL and the
// addresses can be checked.
type Transport struct {
	conn    *net.IPConn
	rc      syscall.RawConn
	ifname  string
	ifindex int
}

// Packet is one received IPv4 datagram of protocol 112.
type Packet struct {
	Msg      []byte // the VRRP message, aliasing the buffer given to Recv
	Src, Dst netip.Addr
	TTL, TOS uint8
}

// Open binds a transport to ifname, sending from src (an address of
// ifname) and joined to Group there. It must be called in the network
// namespace of ifname.
func Open(ifname string, src netip.Addr) (*Transport, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("vrrp: interface %s: %w", ifname, err)
	}
	if !src.Is4() {
		return nil, fmt.Errorf("vrrp: source %v is not an IPv4 address", src)
	}
	pc, err := net.ListenPacket(fmt.Sprintf("ip4:%d", IPProtocol), "0.0.0.0")
	if err != nil {
		return nil, fmt.Errorf("vrrp: raw socket: %w", err)
	}
	t := &Transport{conn: pc.(*net.IPConn), ifname: ifname, ifindex: ifi.Index}
	if t.rc, err = t.conn.SyscallConn(); err == nil {
		err = t.setOptions(src)
	}
	if err != nil {
		t.conn.Close()
		return nil, fmt.Errorf("vrrp: %s: %w", ifname, err)
	}
	return t, nil
}

func (t *Transport) setOptions(src netip.Addr) error {
	mreq := &unix.IPMreqn{Multiaddr: Group.As4(), Address: src.As4(), Ifindex: int32(t.ifindex)}
	var serr error
	err := t.rc.Control(func(fd uintptr) {
		s := int(fd)
		for _, o := range []struct {
			name string
			set  func() error
		}{
			{"SO_BINDTODEVICE", func() error { return unix.SetsockoptString(s, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, t.ifname) }},
			{"IP_MULTICAST_IF", func() error { return unix.SetsockoptIPMreqn(s, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, mreq) }},
			{"IP_ADD_MEMBERSHIP", func() error { return unix.SetsockoptIPMreqn(s, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq) }},
			{"IP_MULTICAST_TTL", func() error { return unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, AdvertTTL) }},
			{"IP_TTL", func() error { return unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_TTL, AdvertTTL) }},
			{"IP_TOS", func() error { return unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_TOS, tos) }},
			{"IP_MULTICAST_LOOP", func() error { return unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, 0) }},
		} {
			if err := o.set(); err != nil {
				serr = fmt.Errorf("%s: %w", o.name, err)
				return
			}
		}
	})
	return errors.Join(err, serr)
}

// Send sends msg to dst: Group, or a unicast peer.
func (t *Transport) Send(msg []byte, dst netip.Addr) error {
	_, err := t.conn.WriteToIP(msg, &net.IPAddr{IP: dst.AsSlice()})
	return err
}

// Recv waits for the next datagram (or the read deadline) and returns it
// with its IP header's fields; buf must hold a whole datagram.
func (t *Transport) Recv(buf []byte) (Packet, error) {
	var n int
	var rerr error
	err := t.rc.Read(func(fd uintptr) bool {
		n, _, rerr = unix.Recvfrom(int(fd), buf, 0)
		return rerr != unix.EAGAIN
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return Packet{}, err
	}
	return parseIPv4(buf[:n])
}

// errBadIPv4 is a datagram whose IP header the kernel should not have let
// through; it is reported, not trusted.
var errBadIPv4 = errors.New("vrrp: malformed IPv4 header")

func parseIPv4(b []byte) (Packet, error) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return Packet{}, errBadIPv4
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || total < ihl || total > len(b) {
		return Packet{}, errBadIPv4
	}
	return Packet{
		Msg: b[ihl:total], TOS: b[1], TTL: b[8],
		Src: netip.AddrFrom4([4]byte(b[12:16])), Dst: netip.AddrFrom4([4]byte(b[16:20])),
	}, nil
}

// SetReadDeadline bounds the next Recv.
func (t *Transport) SetReadDeadline(d time.Time) error { return t.conn.SetReadDeadline(d) }

// Close releases the socket (and leaves the group).
func (t *Transport) Close() error { return t.conn.Close() }
