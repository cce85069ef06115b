package dataplane

import (
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/govs-project/govs/dataplane/fastpath"
)

// The relay between the lcores and the kernel interfaces, run by the
// slow-path goroutine: packets the lcores punted for the kernel (and a
// copy of every ARP frame on such a port) are written to the port's tap
// in bursts; what the kernel sent on a tap goes to an lcore's inject ring,
// to leave the data port. The lcores never make a syscall or wait for
// it: they punt into their ring while it keeps a reserve, and count the
// rest (kernel_full).

// relayBurst is the most packets one cgo call moves to or from a tap.
const relayBurst = 64

// fromKernelBursts bounds the bursts taken from one tap per iteration,
// so a busy kernel cannot keep the slow path from its other work.
const fromKernelBursts = 4

// tapIO moves frames between the slow path and the taps: DPDK in
// production (dpdkTaps), fakes in tests.
type tapIO interface {
	// toKernel writes pkts to the tap; the ones it refused are freed.
	toKernel(tap uint16, pkts []fastpath.Punted) (sent int, bytes uint64)
	// copyFrame is a new packet holding a copy of frame, for port's tap.
	copyFrame(frame []byte, port int) (fastpath.Punted, error)
	// fromKernel hands what the kernel sent on the tap to inject.
	fromKernel(tap uint16, inject unsafe.Pointer, port, max int) fastpath.FromKernelResult
}

// dpdkTaps is tapIO on the DPDK ports and the dataplane's mempool.
type dpdkTaps struct{ pool unsafe.Pointer }

func (d dpdkTaps) toKernel(tap uint16, pkts []fastpath.Punted) (int, uint64) {
	return fastpath.ToKernel(tap, pkts)
}

func (d dpdkTaps) copyFrame(frame []byte, port int) (fastpath.Punted, error) {
	return fastpath.CopyFrame(d.pool, frame, port)
}

func (d dpdkTaps) fromKernel(tap uint16, inject unsafe.Pointer, port, max int) fastpath.FromKernelResult {
	return fastpath.FromKernel(tap, inject, port, max)
}

// kernelCounters are one kernel interface's counters, written by the
// slow-path goroutine, read by status.
type kernelCounters struct {
	toPkts, toBytes, tapFull, toNoMbuf        atomic.Uint64
	fromPkts, fromBytes, injectFull, multiSeg atomic.Uint64
}

// status reads k's counters; kernelFull (the lcores' refusals) and
// rxNoMbuf (the tap's) are counted elsewhere.
func (k *kernelPort) status(kernelFull, rxNoMbuf uint64) KernelStatus {
	c := &k.cnt
	return KernelStatus{
		Name: k.name, Port: k.port,
		ToKernel: KernelTraffic{Packets: c.toPkts.Load(), Bytes: c.toBytes.Load(), Drops: map[string]uint64{
			KernelDropFull: kernelFull, KernelDropTapFull: c.tapFull.Load(), KernelDropNoMbuf: c.toNoMbuf.Load(),
		}},
		FromKernel: KernelTraffic{Packets: c.fromPkts.Load(), Bytes: c.fromBytes.Load(), Drops: map[string]uint64{
			KernelDropInjectFull: c.injectFull.Load(), KernelDropMultiSeg: c.multiSeg.Load(), KernelDropNoMbuf: rxNoMbuf,
		}},
	}
}

// kernelRelay is the slow path's side of every kernel interface.
type kernelRelay struct {
	io     tapIO
	ports  []*kernelPort       // by data port index; nil: no kernel interface
	inject []unsafe.Pointer    // the lcores' inject rings
	batch  [][]fastpath.Punted // by data port index: waiting for the tap
	wake   []unix.PollFd       // the taps' rx queue fds (sleep)
}

func newKernelRelay(io tapIO, nports int, kernel []*kernelPort, inject []unsafe.Pointer) *kernelRelay {
	r := &kernelRelay{io: io, ports: make([]*kernelPort, nports), inject: inject, batch: make([][]fastpath.Punted, nports)}
	for _, k := range kernel {
		r.ports[k.index] = k
		r.batch[k.index] = make([]fastpath.Punted, 0, relayBurst)
		if k.rxFD >= 0 {
			r.wake = append(r.wake, unix.PollFd{Fd: int32(k.rxFD), Events: unix.POLLIN})
		}
	}
	return r
}

// sleep waits up to d, less when the kernel sends on a tap (its rx
// queue's fd polls readable): a frame from the kernel never waits out the
// slow path's nap, and ppoll's timeout is as fine as asked (Go timers
// wake about a millisecond late). false, at once, when no tap has an fd:
// the caller naps on a timer.
func (r *kernelRelay) sleep(d time.Duration) bool {
	if len(r.wake) == 0 {
		return false
	}
	deadline := time.Now().Add(d)
	for {
		ts := unix.NsecToTimespec(max(time.Until(deadline), 0).Nanoseconds())
		if _, err := unix.Ppoll(r.wake, &ts, nil); err != unix.EINTR || !time.Now().Before(deadline) {
			return true
		}
	}
}

func (r *kernelRelay) port(i int) *kernelPort {
	if i < 0 || i >= len(r.ports) {
		return nil
	}
	return r.ports[i]
}

// take queues a packet an lcore punted for the kernel interface of the
// port it came in on; a full batch goes to the tap at once.
func (r *kernelRelay) take(p fastpath.Punted) {
	k := r.port(p.InPort)
	if k == nil { // lcores punt only for ports that have one
		p.Free()
		return
	}
	r.batch[k.index] = append(r.batch[k.index], p)
	if len(r.batch[k.index]) == relayBurst {
		r.flushPort(k)
	}
}

// copyARP gives port's kernel interface a copy of an ARP frame the slow
// path handles: the kernel resolves its own neighbours (its health-check
// sockets' next hops) and needs the replies to its requests.
func (r *kernelRelay) copyARP(port int, frame []byte) {
	k := r.port(port)
	if k == nil {
		return
	}
	p, err := r.io.copyFrame(frame, port)
	if err != nil {
		k.cnt.toNoMbuf.Add(1)
		return
	}
	r.take(p)
}

// flush writes every waiting batch to its tap.
func (r *kernelRelay) flush() {
	for _, k := range r.ports {
		if k != nil && len(r.batch[k.index]) > 0 {
			r.flushPort(k)
		}
	}
}

func (r *kernelRelay) flushPort(k *kernelPort) {
	b := r.batch[k.index]
	sent, bytes := r.io.toKernel(k.tap, b)
	k.cnt.toPkts.Add(uint64(sent))
	k.cnt.toBytes.Add(bytes)
	k.cnt.tapFull.Add(uint64(len(b) - sent))
	clear(b) // the mbufs are the tap's or freed: no references kept
	r.batch[k.index] = b[:0]
}

// receive moves what the kernel sent on every tap to an lcore's inject
// ring (port i's through worker i mod workers, so one tap's frames keep
// their order) and reports how many frames it moved.
func (r *kernelRelay) receive() int {
	if len(r.inject) == 0 {
		return 0
	}
	total := 0
	for _, k := range r.ports {
		if k == nil {
			continue
		}
		ring := r.inject[k.index%len(r.inject)]
		for range fromKernelBursts {
			res := r.io.fromKernel(k.tap, ring, k.index, relayBurst)
			k.cnt.fromPkts.Add(uint64(res.Pkts))
			k.cnt.fromBytes.Add(res.Bytes)
			k.cnt.injectFull.Add(uint64(res.RingFull))
			k.cnt.multiSeg.Add(uint64(res.MultiSeg))
			got := res.Pkts + res.RingFull + res.MultiSeg
			total += got
			if got < relayBurst {
				break
			}
		}
	}
	return total
}
