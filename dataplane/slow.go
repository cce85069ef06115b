package dataplane

import (
	"fmt"
	"time"
	"unsafe"

	dpdk "github.com/govs-project/govs/cgo"
	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/slowpath"
)

// How the slow path goroutine paces itself: ARP answers wait at most
// maxNap after arriving (frames from a kernel interface wake it at once);
// timers run every tick.
const (
	minNap   = 50 * time.Microsecond
	maxNap   = time.Millisecond
	tickTime = 50 * time.Millisecond
)

// slowRunner is the goroutine between the lcores' punt rings and the
// slow path: it takes punted packets off the rings, runs the slow path's
// timers, reclaims retired snapshots and watches the lcores. It only ever
// polls rings: nothing it does can make an lcore wait.
type slowRunner struct {
	dp     *Dataplane
	sp     *slowpath.SlowPath
	reader *fastpath.PuntReader
	buf    []fastpath.Punted
	kernel *kernelRelay

	quit, done chan struct{}
	watching   bool // set once every lcore was launched (read by run only)
	started    bool
}

func newSlowRunner(dp *Dataplane) (*slowRunner, error) {
	reader, err := fastpath.NewPuntReader(fastpath.Hugepages{})
	if err != nil {
		return nil, fmt.Errorf("punt reader: %w", err)
	}
	r := &slowRunner{dp: dp, reader: reader, buf: make([]fastpath.Punted, 64), quit: make(chan struct{}), done: make(chan struct{})}
	r.sp = slowpath.New(slowpath.Config{MaxEntries: dp.opts.NeighCapacity}, dp.neigh, wire{dp})
	inject := make([]unsafe.Pointer, len(dp.inject))
	for i, ring := range dp.inject {
		inject[i] = ring.Ptr()
	}
	r.kernel = newKernelRelay(dpdkTaps{pool: dp.pool.Ptr()}, len(dp.ports), dp.kernel, inject)
	return r, nil
}

// apply gives the slow path the view of a new configuration.
func (r *slowRunner) apply(c *compiled, spec *Spec) error {
	return r.sp.Apply(slowView(c, spec, r.dp.ports), time.Now())
}

// slowView is what the slow path acts on in configuration c.
func slowView(c *compiled, spec *Spec, ports []portInfo) slowpath.View {
	v := slowpath.View{Gen: c.gen, VIPs: c.vips, Standby: c.standby, MACs: c.macs, Wanted: c.wanted, ARPAccept: spec.ARPAccept}
	for _, p := range ports {
		v.Ports = append(v.Ports, slowpath.Port{Name: p.name, MAC: p.mac, IP: p.ip, Net: p.net, Mask: p.mask})
	}
	for i, ps := range spec.Ports {
		for _, sn := range ps.Static {
			v.Static = append(v.Static, slowpath.StaticNeighbor{IP: addrU32(sn.Addr), MAC: sn.MAC, Port: i})
		}
	}
	return v
}

func (r *slowRunner) start() {
	r.started = true
	go r.run()
}

// watch starts checking that every launched lcore keeps running.
func (r *slowRunner) watch() {
	select {
	case r.dp.watchLcores <- struct{}{}:
	default:
	}
}

func (r *slowRunner) stop() {
	if r.started {
		close(r.quit)
		<-r.done
		r.started = false
		r.flushToWire(time.Now().Add(flushTimeout))
	}
	r.reader.Free(fastpath.Hugepages{})
}

// flushTimeout bounds how long a stopping dataplane waits for what the
// kernel sent last to leave the data ports.
const flushTimeout = 200 * time.Millisecond

// flushToWire moves what the kernel sent last on its interfaces (a
// stopping VRRP master's priority-0 advert, written just before the
// dataplane stops) to the inject rings and waits, until deadline, for the
// lcores, still running, to transmit it: without this a graceful stop
// loses the advert and the backup waits out the master-down interval.
func (r *slowRunner) flushToWire(deadline time.Time) {
	for r.kernel.receive() > 0 && time.Now().Before(deadline) {
	}
	for _, ring := range r.dp.inject {
		for ring.Count() > 0 && time.Now().Before(deadline) {
			time.Sleep(minNap)
		}
	}
}

func (r *slowRunner) run() {
	defer close(r.done)
	nap := minNap
	timer := time.NewTimer(nap)
	defer timer.Stop()
	next := time.Now()
	for {
		now := time.Now()
		n := r.drain(now) + r.kernel.receive()
		if !now.Before(next) {
			r.sp.Tick(now)
			r.dp.pub.Reclaim()
			r.checkLcores()
			next = now.Add(tickTime)
		}
		if n > 0 {
			nap = minNap
		} else {
			nap = min(2*nap, maxNap)
		}
		if !r.pause(nap, timer) {
			return
		}
	}
}

// pause waits nap (less when a kernel interface has frames: they never
// wait out a nap) and reports whether the runner goes on.
func (r *slowRunner) pause(nap time.Duration, timer *time.Timer) bool {
	if r.kernel.sleep(nap) {
		select {
		case <-r.quit:
			return false
		case <-r.dp.watchLcores:
			r.watching = true
		default:
		}
		return true
	}
	timer.Reset(nap)
	select {
	case <-r.quit:
		return false
	case <-r.dp.watchLcores:
		r.watching = true
	case <-timer.C:
	}
	return true
}

// drain hands every punted packet waiting on the rings to the slow path,
// and the kernel interfaces' to their taps.
func (r *slowRunner) drain(now time.Time) int {
	total := 0
	defer r.kernel.flush()
	for i, ring := range r.dp.punt {
		for {
			n := r.reader.Read(ring.Ptr(), r.buf)
			for j := range n {
				if r.buf[j].Reason == fastpath.PuntKernel {
					r.kernel.take(r.buf[j])
					continue
				}
				p := &puntedPacket{p: r.buf[j], inject: r.dp.inject[i].Ptr()}
				switch p.p.Reason {
				case fastpath.PuntARP:
					// the kernel's copy first: the slow path may answer in place
					r.kernel.copyARP(p.p.InPort, p.p.Frame)
					r.sp.HandleARP(p, p.p.InPort, now)
				case fastpath.PuntNeigh:
					r.sp.HandleUnresolved(p, p.p.OutPort, p.p.Hop, now)
				default:
					p.Free()
				}
			}
			total += n
			if n < len(r.buf) {
				break
			}
		}
	}
	return total
}

// checkLcores reports a worker lcore whose loop returned while it should
// be running: govsd then exits rather than run with a dead lcore.
func (r *slowRunner) checkLcores() {
	if !r.watching {
		return
	}
	for i, lc := range r.dp.lcores {
		if !dpdk.LcoreRunning(lc) {
			r.dp.fail(fmt.Errorf("worker lcore %d (worker %d) stopped polling unexpectedly", lc, i))
			r.watching = false
			return
		}
	}
}

// puntedPacket is a punted mbuf as the slow path handles it; a held one
// goes back out through the inject ring of the lcore that punted it.
type puntedPacket struct {
	p      fastpath.Punted
	inject unsafe.Pointer
}

func (p *puntedPacket) Frame() []byte { return p.p.Frame }

func (p *puntedPacket) Send(port int) bool { return p.p.Send(p.inject, port) == nil }

func (p *puntedPacket) Free() { p.p.Free() }

// wire sends frames the slow path originates (ARP) through worker 0.
type wire struct{ dp *Dataplane }

func (w wire) Send(port int, frame []byte) bool {
	return fastpath.SendFrame(w.dp.inject[0].Ptr(), w.dp.pool.Ptr(), port, frame) == nil
}
