package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"time"
	"unsafe"

	"github.com/govs-project/govs/internal/netlab"
	"golang.org/x/sys/unix"
)

// The flooder: spoofed SYNs to VIP:80 written onto the client's side of the
// WAN tap by an AF_PACKET socket, in batches of sendmmsg, paced to a rate.

const (
	floodBatch = 64 // frames per sendmmsg
	// floodMaxLag is how far the flooder may fall behind its schedule
	// before it gives up on the frames it missed (counted, not sent):
	// catching up later would send a burst instead of a rate.
	floodMaxLag = 50 * time.Millisecond
	// spoofed sources: 172.16.0.0/12 (the bench's client space), any port
	spoofBase, spoofSpan = 0xac100000, 1 << 20
)

// floodSender owns the socket and the frames of one flood.
type floodSender struct {
	fd     int
	frames [floodBatch][frameLen]byte
	iov    [floodBatch]unix.Iovec
	msgs   [floodBatch]unix.Mmsghdr
	tmpl   tcpFrame
	rng    *rand.Rand
}

// sendStats is what the flooder did. Wanted = Sent + Refused + Missed +
// Failed at the end of a run.
type sendStats struct {
	Wanted  uint64 // rate × the time it ran
	Sent    uint64 // taken by the kernel (on the tap's queue to govsd)
	Refused uint64 // the tap's queue was full (ENOBUFS): govsd did not keep up
	Missed  uint64 // not sent at all: the flooder itself fell behind
	Failed  uint64 // other send errors
	Secs    float64
	Err     string // the first other error
}

// openFloodSender opens a raw socket on ifname in ns that sends frames to
// dstMAC (the director's port). It receives nothing (protocol 0) and
// bypasses the qdisc, so a full tap queue shows as ENOBUFS.
func openFloodSender(ns *netlab.NS, ifname string, dstMAC net.HardwareAddr) (*floodSender, error) {
	if len(dstMAC) != 6 {
		return nil, fmt.Errorf("director MAC %v: not an Ethernet address", dstMAC)
	}
	s := &floodSender{fd: -1, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x5f1d))}
	s.tmpl = tcpFrame{srcMAC: gatewayMAC, dstMAC: [6]byte(dstMAC), dst: u32(vipIP), dstPort: vipPort, flags: tcpSYN}
	err := ns.Do(func() error {
		fd, ifindex, err := netlab.PacketSocket(ns, ifname)
		if err != nil {
			return err
		}
		s.fd = fd
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1); err != nil {
			return fmt.Errorf("PACKET_QDISC_BYPASS: %w", err)
		}
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, 4<<20)
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: 0, Ifindex: ifindex})
	})
	if err != nil {
		s.close()
		return nil, fmt.Errorf("flood socket on %s in netns %s: %w", ifname, ns.Name, err)
	}
	for i := range s.msgs {
		s.iov[i] = unix.Iovec{Base: &s.frames[i][0]}
		s.iov[i].SetLen(frameLen)
		s.msgs[i].Hdr.Iov = &s.iov[i]
		s.msgs[i].Hdr.SetIovlen(1)
	}
	return s, nil
}

func (s *floodSender) close() {
	if s.fd >= 0 {
		unix.Close(s.fd)
		s.fd = -1
	}
}

// fill writes n fresh SYNs: random source address, port and sequence.
func (s *floodSender) fill(n int) {
	f := s.tmpl
	for i := range n {
		f.src = spoofBase + 1 + s.rng.Uint32N(spoofSpan-2)
		f.srcPort = uint16(1024 + s.rng.Uint32N(65536-1024))
		f.seq = s.rng.Uint32()
		f.encode(s.frames[i][:])
	}
}

// sendmmsg sends msgs; n is how many the kernel took before an error.
func sendmmsg(fd int, msgs []unix.Mmsghdr) (n int, err error) {
	r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&msgs[0])), uintptr(len(msgs)), 0, 0, 0)
	runtime.KeepAlive(msgs)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// run floods at rate SYNs per second for d (or until stop is closed).
func (s *floodSender) run(rate int, d time.Duration, stop <-chan struct{}) sendStats {
	var st sendStats
	p := pacer{rate: float64(rate), maxLag: floodMaxLag}
	start := time.Now()
	for {
		el := time.Since(start)
		if el >= d || closed(stop) {
			st.Secs = el.Seconds()
			break
		}
		due, missed := p.due(el)
		st.Missed += missed
		if due == 0 {
			time.Sleep(200 * time.Microsecond)
			continue
		}
		n := min(due, floodBatch)
		s.fill(n)
		k, err := sendmmsg(s.fd, s.msgs[:n])
		st.Sent += uint64(k)
		p.done += uint64(k)
		switch {
		case err == nil:
		case errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.EAGAIN):
			st.Refused++ // the first frame of the batch is lost; the rest go again
			p.done++
		case errors.Is(err, unix.EINTR):
		default:
			st.Failed++
			p.done++
			if st.Err == "" {
				st.Err = err.Error()
			}
		}
	}
	st.Wanted = uint64(float64(rate) * st.Secs)
	// what was due but neither sent nor refused nor failed (the last
	// interval, rounding) counts as missed
	if acc := st.Sent + st.Refused + st.Failed + st.Missed; st.Wanted > acc {
		st.Missed += st.Wanted - acc
	} else {
		st.Wanted = acc
	}
	return st
}

// pacer spreads frames over time: due is how many should have gone by
// elapsed, less those done; a lag over maxLag is dropped (missed).
type pacer struct {
	rate   float64
	maxLag time.Duration
	done   uint64 // frames sent, refused, failed or skipped so far
}

func (p *pacer) due(elapsed time.Duration) (due int, missed uint64) {
	want := uint64(p.rate * elapsed.Seconds())
	if want <= p.done {
		return 0, 0
	}
	lag := want - p.done
	if limit := max(1, uint64(p.rate*p.maxLag.Seconds())); lag > limit {
		missed = lag - limit
		p.done += missed
		lag = limit
	}
	return int(lag), missed
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
