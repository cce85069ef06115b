package netlab

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Frame is what a Capture keeps of one Ethernet/IPv4 frame.
type Frame struct {
	Outgoing       bool // sent by the host, else received by it
	EthSrc, EthDst net.HardwareAddr
	Src, Dst       netip.Addr
	Proto          uint8
	TotalLen       int // IPv4 total length
	// ICMP: type, code and, for fragmentation needed (3/4), the next-hop MTU.
	ICMPType, ICMPCode uint8
	NextHopMTU         uint16
	// TCP and UDP: ports. TCP: flags as tcpdump writes them, S(YN), F(IN),
	// R(ST), P(SH) and "." for ACK: "S" is a SYN, "S." a SYN-ACK.
	SrcPort, DstPort uint16
	TCPFlags         string
	// Inner is the encapsulated datagram of an IPIP frame (Proto 4); it has
	// no Ethernet addresses.
	Inner *Frame
	// At is when the capture read the frame (Stop's frames; zero for
	// ParseFrame's).
	At time.Time
}

// IP protocol numbers for capture filters and Frame.Proto.
const (
	ProtoICMP = 1
	ProtoIPIP = 4
	ProtoTCP  = 6
	ProtoUDP  = 17
)

func (f Frame) String() string {
	dir := "in "
	if f.Outgoing {
		dir = "out"
	}
	s := fmt.Sprintf("%s %v > %v %v > %v proto %d len %d", dir, f.EthSrc, f.EthDst, f.Src, f.Dst, f.Proto, f.TotalLen)
	switch f.Proto {
	case ProtoICMP:
		s += fmt.Sprintf(" icmp %d/%d mtu %d", f.ICMPType, f.ICMPCode, f.NextHopMTU)
	case ProtoTCP:
		s += fmt.Sprintf(" tcp %d > %d [%s]", f.SrcPort, f.DstPort, f.TCPFlags)
	case ProtoUDP:
		s += fmt.Sprintf(" udp %d > %d", f.SrcPort, f.DstPort)
	}
	if f.Inner != nil {
		s += fmt.Sprintf(" [inner %v > %v proto %d len %d]", f.Inner.Src, f.Inner.Dst, f.Inner.Proto, f.Inner.TotalLen)
	}
	return s
}

// tcpFlagLetters writes the flags byte of a TCP header as tcpdump does
// (the ECN bits left out).
func tcpFlagLetters(flags uint8) string {
	var b strings.Builder
	for _, fl := range []struct {
		bit    uint8
		letter byte
	}{{0x02, 'S'}, {0x01, 'F'}, {0x04, 'R'}, {0x08, 'P'}, {0x10, '.'}} {
		if flags&fl.bit != 0 {
			b.WriteByte(fl.letter)
		}
	}
	return b.String()
}

// ParseFrame decodes an Ethernet frame carrying IPv4; ok is false for
// anything else or a truncated frame.
func ParseFrame(b []byte) (f Frame, ok bool) {
	if len(b) < 14 || binary.BigEndian.Uint16(b[12:]) != 0x0800 {
		return f, false
	}
	f.EthDst = net.HardwareAddr(append([]byte(nil), b[0:6]...))
	f.EthSrc = net.HardwareAddr(append([]byte(nil), b[6:12]...))
	if !parseIPv4(b[14:], &f) {
		return f, false
	}
	return f, true
}

func parseIPv4(b []byte, f *Frame) bool {
	if len(b) < 20 || b[0]>>4 != 4 {
		return false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl {
		return false
	}
	f.TotalLen = int(binary.BigEndian.Uint16(b[2:]))
	f.Proto = b[9]
	f.Src = netip.AddrFrom4([4]byte(b[12:16]))
	f.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	l4 := b[ihl:]
	switch f.Proto {
	case ProtoICMP:
		if len(l4) >= 8 {
			f.ICMPType, f.ICMPCode = l4[0], l4[1]
			if f.ICMPType == 3 && f.ICMPCode == 4 {
				f.NextHopMTU = binary.BigEndian.Uint16(l4[6:])
			}
		}
	case ProtoTCP, ProtoUDP:
		if len(l4) >= 4 {
			f.SrcPort, f.DstPort = binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:])
		}
		if f.Proto == ProtoTCP && len(l4) >= 14 {
			f.TCPFlags = tcpFlagLetters(l4[13])
		}
	case ProtoIPIP:
		var in Frame
		if parseIPv4(l4, &in) {
			f.Inner = &in
		}
	}
	return true
}

// maxFrames bounds what a Capture keeps.
const maxFrames = 200000

// Capture records the IPv4 frames one interface of a namespace sends and
// receives (an AF_PACKET socket, like tcpdump).
type Capture struct {
	fd      int
	stop    atomic.Bool
	done    chan struct{}
	mu      sync.Mutex
	frames  []Frame
	readErr error
}

// StartCapture starts capturing on ifname inside ns the IPv4 frames whose
// protocol is one of protos (every IPv4 frame if none are given). The
// kernel filters, so busy traffic of other protocols costs nothing.
func StartCapture(ns *NS, ifname string, protos ...uint8) (*Capture, error) {
	c := &Capture{fd: -1, done: make(chan struct{})}
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		// Protocol 0 receives nothing until bind: the filter is in place
		// before the first frame arrives.
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("AF_PACKET socket: %w", err)
		}
		c.fd = fd
		prog := captureFilter(protos)
		if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
			&unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}); err != nil {
			return fmt.Errorf("attaching the capture filter: %w", err)
		}
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20)
		tv := unix.NsecToTimeval(int64(50 * time.Millisecond))
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index})
	})
	if err != nil {
		if c.fd >= 0 {
			unix.Close(c.fd)
		}
		return nil, fmt.Errorf("capture on %s in netns %s: %w", ifname, ns.Name, err)
	}
	go c.read()
	return c, nil
}

func (c *Capture) read() {
	defer close(c.done)
	buf := make([]byte, 256) // headers are enough
	for !c.stop.Load() {
		n, from, err := unix.Recvfrom(c.fd, buf, unix.MSG_TRUNC)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			c.mu.Lock()
			c.readErr = err
			c.mu.Unlock()
			return
		}
		f, ok := ParseFrame(buf[:min(n, len(buf))])
		if !ok {
			continue
		}
		f.At = time.Now()
		if ll, isLL := from.(*unix.SockaddrLinklayer); isLL {
			f.Outgoing = ll.Pkttype == unix.PACKET_OUTGOING
		}
		c.mu.Lock()
		if len(c.frames) < maxFrames {
			c.frames = append(c.frames, f)
		}
		c.mu.Unlock()
	}
}

// Frames returns the frames captured so far.
func (c *Capture) Frames() []Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Frame(nil), c.frames...)
}

// Stop ends the capture and returns every frame captured. The error says
// if the kernel dropped frames (the socket's buffer overflowed) or reading
// failed; the frames are valid either way.
func (c *Capture) Stop() ([]Frame, error) {
	if c.stop.Swap(true) {
		<-c.done
		return c.Frames(), nil
	}
	<-c.done // within one receive timeout
	var errs []error
	if st, err := unix.GetsockoptTpacketStats(c.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil && st.Drops > 0 {
		errs = append(errs, fmt.Errorf("capture: the kernel dropped %d frames", st.Drops))
	}
	unix.Close(c.fd)
	c.mu.Lock()
	if c.readErr != nil {
		errs = append(errs, fmt.Errorf("capture: %w", c.readErr))
	}
	c.mu.Unlock()
	return c.Frames(), errors.Join(errs...)
}

// captureFilter is a classic BPF program accepting IPv4 frames whose
// protocol is in protos (any protocol if protos is empty).
func captureFilter(protos []uint8) []unix.SockFilter {
	const (
		ldh    = unix.BPF_LD | unix.BPF_H | unix.BPF_ABS
		ldb    = unix.BPF_LD | unix.BPF_B | unix.BPF_ABS
		jeq    = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret    = unix.BPF_RET | unix.BPF_K
		accept = 0x40000
	)
	n := uint8(len(protos))
	if n == 0 {
		return []unix.SockFilter{
			{Code: ldh, K: 12},
			{Code: jeq, Jt: 0, Jf: 1, K: 0x0800},
			{Code: ret, K: accept},
			{Code: ret, K: 0},
		}
	}
	// 0 ldh [12]; 1 jeq IPv4 else reject; 2 ldb [23] (protocol);
	// 3..3+n-1 jeq proto_k -> accept; 3+n reject; 4+n accept.
	prog := []unix.SockFilter{
		{Code: ldh, K: 12},
		{Code: jeq, Jt: 0, Jf: n + 1, K: 0x0800},
		{Code: ldb, K: 23},
	}
	for k, p := range protos {
		prog = append(prog, unix.SockFilter{Code: jeq, Jt: n - uint8(k), Jf: 0, K: uint32(p)})
	}
	return append(prog, unix.SockFilter{Code: ret, K: 0}, unix.SockFilter{Code: ret, K: accept})
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// FormatFrames lists up to max frames, one per line, for test failure
// messages.
func FormatFrames(frames []Frame, max int) string {
	var b strings.Builder
	for i, f := range frames {
		if i == max {
			fmt.Fprintf(&b, "... and %d more\n", len(frames)-max)
			break
		}
		fmt.Fprintln(&b, f)
	}
	return b.String()
}
