package dataplane

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	dpdk "github.com/govs-project/govs/cgo"
	"github.com/govs-project/govs/dataplane/conntrack"
	"github.com/govs-project/govs/dataplane/packet"
)

const maxBurst = 256

// lcoreLoop is the poll loop of one worker lcore: it owns one rx and one tx
// queue on every port, its connection table and counters. Per burst it makes
// one cgo call per port for rx and tx, and frees dropped mbufs in bulk.
type lcoreLoop struct {
	dp     *Dataplane
	w      *worker
	queue  uint16
	burst  int
	tscPms uint64 // TSC ticks per millisecond

	// Arrays handed to C are separate allocations holding only C pointers:
	// cgo's pointer check scans the whole Go object an argument points into.
	rx      []*dpdk.Mbuf
	tx      [maxPorts][]*dpdk.Mbuf
	free    []*dpdk.Mbuf
	redir   [][]*dpdk.Mbuf // per owner worker
	inbox   *dpdk.Ring     // packets other workers hand to us (nil with one worker)
	stash   []*dpdk.Mbuf   // mbufs for frames we originate
	nStash  int
	pending *dpdk.Mbuf // the mbuf handed out by the last alloc

	// burst scratch for the batched lookups (see handle)
	pend              [maxBurst]pendingPkt
	keysIn, keysOut   [maxBurst]conntrack.Key
	connsIn, connsOut [maxBurst]*conntrack.Conn

	idleSpins   int
	sleep       time.Duration
	lastPoll    uint64 // TSC of the previous poll of port 0; 0 after a sleep
	minGapTicks uint64 // PollGapThresholds[0] in TSC ticks

	tid atomic.Int32 // the lcore thread's id, once running (for CPU confinement)
}

// measureGap records the longest time between two polls that the loop did
// not choose to sleep: what GC pauses, preemption or a slow burst cost.
func (l *lcoreLoop) measureGap(tsc uint64) {
	// Compared in TSC ticks first: no division on the common, short gap.
	if l.lastPoll != 0 && tsc > l.lastPoll && tsc-l.lastPoll > l.minGapTicks {
		if gapNs := (tsc - l.lastPoll) * 1000000 / l.tscPms; gapNs > PollGapThresholds[0] {
			c := l.w.cnt
			if gapNs > c.maxLoopGapNs {
				add(&c.maxLoopGapNs, gapNs-c.maxLoopGapNs)
			}
			for i, t := range PollGapThresholds {
				if gapNs > t {
					add(&c.pollGaps[i], 1)
				}
			}
		}
	}
	l.lastPoll = tsc
}

func newLcoreLoop(dp *Dataplane, w *worker, queue uint16) (l *lcoreLoop, err error) {
	l = &lcoreLoop{dp: dp, w: w, queue: queue, burst: dp.opts.Burst, tscPms: dpdk.TSCHz() / 1000}
	if l.burst <= 0 || l.burst > maxBurst {
		l.burst = 32
	}
	if l.tscPms == 0 {
		l.tscPms = 1
	}
	l.minGapTicks = PollGapThresholds[0] * l.tscPms / 1000000
	// Every array handed to C lives in C memory (see dpdk.MbufArray).
	arr := func(n int) []*dpdk.Mbuf {
		a, e := dpdk.MbufArray(n)
		if e != nil && err == nil {
			err = e
		}
		return a
	}
	l.rx = arr(maxBurst)
	l.stash = arr(16)
	for i := range l.tx {
		l.tx[i] = arr(2 * maxBurst)[:0]
	}
	l.free = arr(2 * maxBurst)[:0]
	l.redir = make([][]*dpdk.Mbuf, w.nWorkers)
	for i := range l.redir {
		l.redir[i] = arr(2 * maxBurst)[:0]
	}
	w.out = l
	return l, err
}

// alloc implements emitter.
func (l *lcoreLoop) alloc() []byte {
	if l.nStash == 0 {
		if err := l.dp.pool.AllocBulk(l.stash); err != nil {
			return nil
		}
		l.nStash = len(l.stash)
	}
	l.nStash--
	l.pending = l.stash[l.nStash]
	l.pending.SetLen(0)
	buf := l.pending.Buf()
	return buf[l.pending.DataOff():]
}

// send implements emitter.
func (l *lcoreLoop) send(port int, n int) {
	m := l.pending
	l.pending = nil
	if m == nil {
		return
	}
	if n <= 0 {
		l.freeMbuf(m)
		return
	}
	m.SetLen(uint16(n))
	l.queueTx(port, m)
}

func (l *lcoreLoop) queueTx(port int, m *dpdk.Mbuf) {
	if len(l.tx[port]) == cap(l.tx[port]) {
		l.flushPort(port)
	}
	l.tx[port] = append(l.tx[port], m)
}

func (l *lcoreLoop) flushPort(port int) {
	q := l.tx[port]
	if len(q) == 0 {
		return
	}
	sent := dpdk.TxBurst(l.dp.ports[port].dpdk, l.queue, q)
	add(&l.w.cnt.txPkts, uint64(sent))
	if sent < len(q) {
		add(&l.w.cnt.drops[DropTxFull], uint64(len(q)-sent))
	}
	l.tx[port] = q[:0]
}

// pendingPkt is a packet of the burst waiting for its connection lookup.
type pendingPkt struct {
	m      *dpdk.Mbuf
	off, n int
	p      packet.Parsed
	key    conntrack.Key
	out    bool // reply direction
}

// handle runs the worker over a burst in three passes: classify every
// packet, look up the connections of all of them in two batched calls (so
// the table's cache misses overlap), then finish each in arrival order.
func (l *lcoreLoop) handle(ms []*dpdk.Mbuf, inPort int) {
	w := l.w
	nIn, nOut, nPend := 0, 0, 0
	for _, m := range ms {
		in := inPort
		if in < 0 { // from the inbox: the mbuf remembers its port
			in = l.dp.portIndex(m.Port())
		}
		off, n := int(m.DataOff()), int(m.DataLen())
		var v verdict
		pp := &l.pend[nPend]
		w.p = &pp.p // parse straight into the burst slot: no copy
		if m.NbSegs() != 1 {
			v = w.dropped(DropMultiSeg)
		} else {
			v = w.classify(m.Buf()[:off+n], off, in)
		}
		switch v {
		case vLookupIn, vLookupOut:
			nPend++
			pp.m, pp.off, pp.n, pp.key, pp.out = m, off, n, w.key, v == vLookupOut
			if pp.out {
				l.keysOut[nOut] = w.key
				nOut++
			} else {
				l.keysIn[nIn] = w.key
				nIn++
			}
		default:
			l.dispose(m, v, off, n)
		}
	}
	if nPend == 0 {
		w.p = &w.pOwn
		return
	}
	if nIn > 0 {
		w.conns.LookupInBatch(l.keysIn[:nIn], l.connsIn[:nIn])
	}
	if nOut > 0 {
		w.conns.LookupOutBatch(l.keysOut[:nOut], l.connsOut[:nOut])
	}
	iIn, iOut := 0, 0
	for i := 0; i < nPend; i++ {
		pp := &l.pend[i]
		w.p, w.key = &pp.p, pp.key
		buf := pp.m.Buf()[:pp.off+pp.n]
		var v verdict
		if pp.out {
			v = w.finishOut(buf[pp.off:], l.connsOut[iOut])
			w.outOff, w.outLen = pp.off, pp.n
			iOut++
		} else {
			w.outOff, w.outLen = pp.off, pp.n
			v = w.finishIn(buf, pp.off, l.connsIn[iIn])
			iIn++
		}
		l.dispose(pp.m, v, pp.off, pp.n)
	}
	w.p = &w.pOwn
}

// dispose queues m according to the worker's verdict.
func (l *lcoreLoop) dispose(m *dpdk.Mbuf, v verdict, off, n int) {
	w := l.w
	switch v {
	case vForward:
		if w.outOff != off || w.outLen != n {
			m.SetDataOff(uint16(w.outOff))
			m.SetLen(uint16(w.outLen))
		}
		l.queueTx(w.outPort, m)
	case vRedirect:
		if len(l.redir[w.owner]) == cap(l.redir[w.owner]) {
			l.flushRedirect(w.owner)
		}
		l.redir[w.owner] = append(l.redir[w.owner], m)
	default:
		l.freeMbuf(m)
	}
}

// freeMbuf queues m to be freed with the burst's others, keeping the queue
// within its C array.
func (l *lcoreLoop) freeMbuf(m *dpdk.Mbuf) {
	if len(l.free) == cap(l.free) {
		dpdk.FreeBulk(l.free)
		l.free = l.free[:0]
	}
	l.free = append(l.free, m)
}

// run is the body of a worker lcore; it returns when the dataplane stops.
// A panic (a bug: no input may cause one) is reported to the daemon, which
// exits rather than keep a director with a dead lcore.
func (l *lcoreLoop) run() (ret int) {
	defer func() {
		if p := recover(); p != nil {
			l.dp.fail(fmt.Errorf("worker lcore %d: panic: %v\n%s", l.dp.workers[l.w.index], p, debug.Stack()))
			ret = -1
		}
	}()
	// A cgo callback's goroutine is only internally locked to its thread,
	// and Go clones new threads straight from such a thread: they would
	// inherit the worker's CPU pin and compete with it. Locked explicitly,
	// the runtime creates new threads through its template thread instead
	// (started by EALInit before EAL pinned anything; confined to the
	// control CPUs by confineControlThreads).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	l.tid.Store(int32(unix.Gettid()))
	w, dp := l.w, l.dp
	nPorts := len(dp.ports)
	for !dp.stopping.Load() {
		w.setSnapshot(dp.snap.Load())
		got := 0
		for p := 0; p < nPorts; p++ {
			n, tsc := dpdk.RxBurst(dp.ports[p].dpdk, l.queue, l.rx[:l.burst])
			w.now = uint32(tsc / l.tscPms)
			if p == 0 {
				l.measureGap(tsc)
			}
			if n == 0 {
				continue
			}
			got += n
			add(&w.cnt.rxPkts, uint64(n))
			l.handle(l.rx[:n], p)
		}
		if l.inbox != nil {
			if n := l.inbox.Dequeue(l.rx[:l.burst]); n > 0 {
				got += n
				l.handle(l.rx[:n], -1)
			}
		}
		l.flush()
		w.housekeep(got == 0)
		l.flush() // frames originated by housekeeping
		l.idle(got == 0)
	}
	l.flush()
	if l.nStash > 0 {
		dpdk.FreeBulk(l.stash[:l.nStash])
		l.nStash = 0
	}
	return 0
}

func (l *lcoreLoop) flush() {
	for p := range l.dp.ports {
		l.flushPort(p)
	}
	for o := range l.redir {
		l.flushRedirect(o)
	}
	if len(l.free) > 0 {
		dpdk.FreeBulk(l.free)
		l.free = l.free[:0]
	}
}

// flushRedirect hands the packets queued for worker o to its inbox.
func (l *lcoreLoop) flushRedirect(o int) {
	q := l.redir[o]
	if len(q) == 0 {
		return
	}
	n := l.dp.loops[o].inbox.Enqueue(q)
	add(&l.w.cnt.redirected, uint64(n))
	if n < len(q) {
		add(&l.w.cnt.drops[DropRedirectFull], uint64(len(q)-n))
		for _, m := range q[n:] {
			l.freeMbuf(m)
		}
	}
	l.redir[o] = q[:0]
}

// idle backs off exponentially while nothing arrives, when configured; the
// default is to busy-poll as DPDK applications do.
func (l *lcoreLoop) idle(empty bool) {
	if !l.dp.opts.IdleBackoff {
		return
	}
	if !empty {
		l.idleSpins, l.sleep = 0, 0
		return
	}
	l.idleSpins++
	if l.idleSpins < 64 {
		return
	}
	max := l.dp.opts.IdleSleepMax
	if max <= 0 {
		max = 200 * time.Microsecond
	}
	switch {
	case l.sleep == 0:
		l.sleep = 5 * time.Microsecond
	case l.sleep < max:
		l.sleep *= 2
		if l.sleep > max {
			l.sleep = max
		}
	}
	time.Sleep(l.sleep)
	l.lastPoll = 0
}
