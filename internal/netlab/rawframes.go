package netlab

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Raw frames in and out of a namespace's link, for tests that forge what
// no socket would send (bad MACs, martian or spoofed addresses,
// impossible flags) and look at bytes a Frame does not decode (lengths on
// the wire, sequence numbers, ARP).

// MaxSendFrames bounds one SendFrames call: a test that means to flood
// sends a known, finite number of frames.
const MaxSendFrames = 100000

// sendBusyLimit is how long SendFrames keeps retrying a frame the device
// refuses for want of room (ENOBUFS: a tap whose reader is behind)
// before it gives up.
const sendBusyLimit = 5 * time.Second

// SendFrames writes each frame, Ethernet header included and exactly as
// given, out of ifname inside the namespace, in order.
//
// A frame the device refuses for want of room is retried (yielding, not
// sleeping) for up to sendBusyLimit; any other refusal ends the call,
// naming the frame. What a link drops silently after accepting a frame
// (a veth peer's full backlog) is not seen here: count at the receiver.
func (n *NS) SendFrames(ifname string, frames [][]byte) error {
	if len(frames) > MaxSendFrames {
		return fmt.Errorf("SendFrames: %d frames, at most %d per call", len(frames), MaxSendFrames)
	}
	return n.Do(func() error {
		fd, ifindex, err := PacketSocket(n, ifname)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, 4<<20)
		// Protocol 0: the kernel reads each frame's EtherType from the
		// frame itself.
		to := &unix.SockaddrLinklayer{Ifindex: ifindex}
		for i, f := range frames {
			if err := sendOne(fd, f, to); err != nil {
				return fmt.Errorf("sending frame %d of %d (%d bytes) on %s in netns %s: %w", i, len(frames), len(f), ifname, n.Name, err)
			}
		}
		return nil
	})
}

func sendOne(fd int, frame []byte, to *unix.SockaddrLinklayer) error {
	var deadline time.Time
	for {
		err := unix.Sendto(fd, frame, 0, to)
		if !errors.Is(err, unix.ENOBUFS) && !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			return err
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(sendBusyLimit)
		} else if time.Now().After(deadline) {
			return fmt.Errorf("device busy for %v: %w", sendBusyLimit, err)
		}
		runtime.Gosched()
	}
}

// PacketSocket opens an AF_PACKET raw socket of protocol 0 (it receives
// nothing until bound) in the calling thread's namespace, n (call it inside
// n.Do), and returns it with ifname's index.
func PacketSocket(n *NS, ifname string) (fd, ifindex int, err error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return -1, 0, fmt.Errorf("%s in netns %s: %w", ifname, n.Name, err)
	}
	fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, fmt.Errorf("AF_PACKET socket in netns %s: %w", n.Name, err)
	}
	return fd, ifi.Index, nil
}

// RawFrame is one frame a RawCapture kept.
type RawFrame struct {
	Data     []byte // the frame, up to rawSnapLen bytes of it
	Len      int    // its length on the wire
	Outgoing bool   // sent by the host, else received
}

const (
	rawSnapLen   = 2048
	rawQueueSize = 8 << 20 // socket receive buffer: what a capture can hold
)

// RawCapture queues every frame of any protocol that one link sends and
// receives, whole, in its socket's buffer (rawQueueSize) until Drain.
type RawCapture struct {
	fd   int
	name string // "ifname in netns NS", for errors
}

// StartRawCapture starts queueing the frames of ifname in ns.
func StartRawCapture(ns *NS, ifname string) (*RawCapture, error) {
	c := &RawCapture{fd: -1, name: fmt.Sprintf("%s in netns %s", ifname, ns.Name)}
	err := ns.Do(func() error {
		fd, ifindex, err := PacketSocket(ns, ifname)
		if err != nil {
			return err
		}
		c.fd = fd
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rawQueueSize)
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex})
	})
	if err != nil {
		if c.fd >= 0 {
			unix.Close(c.fd)
		}
		return nil, fmt.Errorf("raw capture on %s: %w", c.name, err)
	}
	return c, nil
}

// Drain returns the frames queued since the start, without waiting for
// more, and closes the capture. The error says if the queue overflowed
// (the frames returned are valid either way).
func (c *RawCapture) Drain() ([]RawFrame, error) {
	if c.fd < 0 {
		return nil, fmt.Errorf("raw capture on %s: drained already", c.name)
	}
	defer func() { unix.Close(c.fd); c.fd = -1 }()
	var frames []RawFrame
	buf := make([]byte, rawSnapLen)
	for {
		n, from, err := unix.Recvfrom(c.fd, buf, unix.MSG_DONTWAIT|unix.MSG_TRUNC)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.EAGAIN) {
			break
		}
		if err != nil {
			return frames, fmt.Errorf("raw capture on %s: %w", c.name, err)
		}
		f := RawFrame{Data: append([]byte(nil), buf[:min(n, len(buf))]...), Len: n}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok {
			f.Outgoing = ll.Pkttype == unix.PACKET_OUTGOING
		}
		frames = append(frames, f)
	}
	if st, err := unix.GetsockoptTpacketStats(c.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil && st.Drops > 0 {
		return frames, fmt.Errorf("raw capture on %s: %d frames did not fit its queue", c.name, st.Drops)
	}
	return frames, nil
}
