package fastpath

/*
#include <stdlib.h>
#include "fp_conn.h"
#include "fp_harness.h"
*/
import "C"

import (
	"errors"
	"time"
	"unsafe"
)

// Verdict is where the harness saw a packet go.
type Verdict uint8

const (
	VerdictDropped    Verdict = C.FP_V_DROP
	VerdictSent       Verdict = C.FP_V_TX
	VerdictPunted     Verdict = C.FP_V_PUNT
	VerdictRedirected Verdict = C.FP_V_REDIRECT
)

func (v Verdict) String() string {
	switch v {
	case VerdictDropped:
		return "dropped"
	case VerdictSent:
		return "sent"
	case VerdictPunted:
		return "punted"
	case VerdictRedirected:
		return "redirected"
	}
	return "unknown"
}

// Output is what became of one packet handed to the harness.
type Output struct {
	Verdict Verdict
	Port    int    // sent: port index; redirected: worker index; punted: out port (PuntNeigh)
	Frame   []byte // the frame as it left (sent, punted)
	Drop    Drop   // dropped: why
	Punt    Punt
	Hop     uint32 // PuntNeigh: the next hop to resolve
}

// Headroom is what a fake mbuf has in front of its frame (DPDK's default).
const Headroom = 128

// Harness runs one worker's packet handling without EAL or lcores: frames
// go in as fake mbufs, and it reports where each went and how it looked.
// It exercises the exact C code the lcores run (fp_handle_burst and
// fp_worker_flush), so frame-level tests and fuzzing need no DPDK device.
type Harness struct {
	sh    *Shared
	w     *Worker
	pub   *Publisher
	neigh *Neigh
	h     *C.struct_fp_harness
	// connection sync rings (HarnessConfig.SyncRing)
	syncOut, syncIn *SyncRing
}

// HarnessConfig sizes a harness; zero values take small defaults.
type HarnessConfig struct {
	ConnCapacity  int
	Workers       int // workers of the (simulated) dataplane, for redirects
	Index         int // which of them this one is
	NeighCapacity int
	PuntReserve   int // punt ring slots kernel-bound packets leave free (0: 256, as govsd)
	FlowAffinity  FlowAffinity
	AffinityBits  int // AffinityPrefix's prefix length
	SyncRing      int // records of each connection sync ring; 0: no sync
}

// NewHarness builds a worker in C heap memory.
func NewHarness(cfg HarnessConfig) (*Harness, error) {
	if cfg.ConnCapacity == 0 {
		cfg.ConnCapacity = 1024
	}
	if cfg.Workers == 0 {
		cfg.Workers = 1
	}
	if cfg.NeighCapacity == 0 {
		cfg.NeighCapacity = 256
	}
	if cfg.PuntReserve == 0 {
		cfg.PuntReserve = 256
	}
	mem := Heap{}
	sh, err := NewShared(mem, cfg.Workers, false)
	if err != nil {
		return nil, err
	}
	sh.SetFlowAffinity(cfg.FlowAffinity, cfg.AffinityBits)
	hs := &Harness{sh: sh, pub: NewPublisher(sh)}
	if cfg.SyncRing != 0 {
		hs.syncOut, err = NewSyncRing(mem, "harness_sync_out", cfg.SyncRing, -1)
		if err == nil {
			hs.syncIn, err = NewSyncRing(mem, "harness_sync_in", cfg.SyncRing, -1)
		}
		if err != nil {
			hs.Close()
			return nil, err
		}
	}
	if hs.w, err = NewWorker(mem, sh, WorkerConfig{Index: cfg.Index, Burst: MaxBurst, ConnCapacity: cfg.ConnCapacity, HashSeed: 0x9E3779B97F4A7C15, TSCHz: 1000, PuntReserve: cfg.PuntReserve, SyncOut: hs.syncOut, SyncIn: hs.syncIn}); err != nil {
		hs.Close()
		return nil, err
	}
	if hs.neigh, err = NewNeigh(hs.pub, mem, cfg.NeighCapacity); err != nil {
		hs.Close()
		return nil, err
	}
	hs.h = (*C.struct_fp_harness)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_fp_harness{}))))
	if hs.h == nil {
		hs.Close()
		return nil, errors.New("harness: out of memory")
	}
	hs.h.tx_accept = 1 << 30
	hs.h.punt_accept = 1 << 30
	hs.h.punt_free = 1 << 30
	return hs, nil
}

// Close frees everything.
func (hs *Harness) Close() {
	if hs.h != nil {
		C.free(unsafe.Pointer(hs.h))
		hs.h = nil
	}
	if hs.neigh != nil {
		hs.neigh.Close()
	}
	hs.pub.Close()
	if hs.w != nil {
		hs.w.Free()
	}
	hs.syncOut.Free()
	hs.syncIn.Free()
	hs.sh.Free()
}

// Apply publishes a snapshot built from spec in C heap memory.
func (hs *Harness) Apply(spec *SnapshotSpec) error {
	s, err := BuildSnapshot(spec, Heap{}, -1)
	if err != nil {
		return err
	}
	hs.pub.Snapshot(s)
	return nil
}

// Neigh is the harness's neighbour mirror.
func (hs *Harness) Neigh() *Neigh { return hs.neigh }

// Counters are the worker's counters.
func (hs *Harness) Counters() Counters { return hs.w.cnt }

// SetNow sets the worker's millisecond clock.
func (hs *Harness) SetNow(ms uint32) { hs.w.ptr.now = C.uint32_t(ms) }

// Now is the worker's millisecond clock.
func (hs *Harness) Now() uint32 { return uint32(hs.w.ptr.now) }

// LimitTx makes every tx call take at most n packets (to provoke tx_full).
func (hs *Harness) LimitTx(n int) { hs.h.tx_accept = C.uint32_t(n) }

// LimitPunt makes every punt call take at most n packets (a full ring).
func (hs *Harness) LimitPunt(n int) { hs.h.punt_accept = C.uint32_t(n) }

// SetPuntFree gives the simulated punt ring n free slots; punted packets
// use them up (nothing drains it), kernel-bound ones only down to the
// worker's reserve.
func (hs *Harness) SetPuntFree(n int) { hs.h.punt_free = C.uint32_t(n) }

// Housekeep runs the worker's between-bursts work (expiry).
func (hs *Harness) Housekeep(idle bool) {
	i := C.int(0)
	if idle {
		i = 1
	}
	C.fp_housekeep(hs.w.ptr, i)
}

// Process handles one frame received on inPort.
func (hs *Harness) Process(frame []byte, inPort int) Output {
	return hs.Burst([][]byte{frame}, inPort)[0]
}

// Burst handles frames as one burst received on port inPort and reports
// each frame's fate in input order.
func (hs *Harness) Burst(frames [][]byte, inPort int) []Output {
	return hs.run(frames, inPort, false)
}

// FromInbox handles frames as a burst from the worker's inbox, as if
// another worker had handed them over after receiving them on port.
func (hs *Harness) FromInbox(frames [][]byte, port int) []Output {
	ms := hs.fakes(frames)
	for _, m := range ms {
		C.fp_meta_set(m, 0, C.uint8_t(port), 0, 0)
	}
	return hs.handle(ms, -1, false)
}

// Inject hands frames to the worker as the slow path would, to be sent on
// port.
func (hs *Harness) Inject(frames [][]byte, port int) []Output {
	ms := hs.fakes(frames)
	for _, m := range ms {
		C.fp_meta_set(m, 0, 0, C.uint8_t(port), 0)
	}
	return hs.handle(ms, 0, true)
}

func (hs *Harness) run(frames [][]byte, inPort int, inject bool) []Output {
	if len(frames) > MaxBurst {
		panic("harness: burst larger than MaxBurst")
	}
	return hs.handle(hs.fakes(frames), inPort, inject)
}

func (hs *Harness) fakes(frames [][]byte) []*C.struct_rte_mbuf {
	ms := make([]*C.struct_rte_mbuf, len(frames))
	for i, f := range frames {
		var p *C.uint8_t
		if len(f) > 0 {
			p = (*C.uint8_t)(unsafe.Pointer(&f[0]))
		}
		ms[i] = C.fp_fake_mbuf(p, C.uint16_t(len(f)), Headroom)
		if ms[i] == nil {
			panic("harness: out of memory")
		}
	}
	return ms
}

func (hs *Harness) handle(ms []*C.struct_rte_mbuf, inPort int, inject bool) []Output {
	out := make([]Output, len(ms))
	if len(ms) == 0 {
		return out
	}
	arr := (**C.struct_rte_mbuf)(C.malloc(C.size_t(len(ms)) * C.size_t(unsafe.Sizeof(uintptr(0)))))
	defer C.free(unsafe.Pointer(arr))
	copy(unsafe.Slice(arr, len(ms)), ms)
	C.fp_harness_reset(hs.h)
	C.fp_worker_begin(hs.w.ptr)
	if inject {
		C.fp_queue_injected(hs.w.ptr, arr, C.uint16_t(len(ms)))
	} else {
		C.fp_handle_burst(hs.w.ptr, arr, C.uint16_t(len(ms)), C.int(inPort))
	}
	C.fp_harness_flush(hs.w.ptr, hs.h)
	seen := make(map[*C.struct_rte_mbuf]int, len(ms))
	for i := range int(hs.h.n_out) {
		o := &hs.h.out[i]
		seen[o.m]++
		for j, m := range ms {
			if m == o.m {
				out[j] = describe(o)
			}
		}
	}
	for _, m := range ms {
		if seen[m] != 1 {
			panic("harness: an mbuf did not end in exactly one queue")
		}
		C.fp_fake_mbuf_free(m)
	}
	return out
}

func describe(o *C.struct_fp_harness_out) Output {
	var reason, in, outPort C.uint8_t
	var hop C.uint32_t
	C.fp_meta_get(o.m, &reason, &in, &outPort, &hop)
	r := Output{Verdict: Verdict(o.verdict), Port: int(o.target)}
	switch r.Verdict {
	case VerdictDropped:
		r.Drop = Drop(reason)
		return r
	case VerdictPunted:
		r.Punt, r.Hop, r.Port = Punt(reason), uint32(hop), int(outPort)
	}
	var n C.uint16_t
	d := C.fp_fake_mbuf_data(o.m, &n)
	r.Frame = C.GoBytes(unsafe.Pointer(d), C.int(n))
	return r
}

// ConnKey names one direction of a connection.
type ConnKey struct {
	SrcIP, DstIP     uint32
	SrcPort, DstPort uint16
	Proto            uint8
	Out              bool // the reply direction (real server -> client)
}

// Conn is a connection as the harness reports it.
type Conn struct {
	ClientIP, VIP, RSIP       uint32
	ClientPort, VPort, RSPort uint16
	Proto, State, Method      uint8
	SvcID, RSID               uint16
	Expire                    uint32
	Template                  bool // a persistence template (FP_CONN_F_TEMPLATE)
	Synced                    bool // entered from a sync record, no packet since (FP_CONN_F_SYNCED)
}

// Lookup finds a connection in the worker's table.
func (hs *Harness) Lookup(k ConnKey) (Conn, bool) {
	ck := C.struct_fp_key{src_ip: C.uint32_t(k.SrcIP), dst_ip: C.uint32_t(k.DstIP), src_port: C.uint16_t(k.SrcPort), dst_port: C.uint16_t(k.DstPort), proto: C.uint8_t(k.Proto)}
	if k.Out {
		ck.dir = C.FP_DIR_OUT
	}
	c := C.fp_conn_lookup(&hs.w.ptr.conns, &ck)
	if c == nil {
		return Conn{}, false
	}
	return goConn(c), true
}

// Conns is the number of connections in the worker's table.
func (hs *Harness) Conns() int { return int(hs.w.ptr.conns.count) }

// Bench runs the fast path over frames (all of one length) rounds times,
// entirely in C (fp_harness_bench), and reports how many packets were
// sent and how long it took: the per-packet cost without a PMD.
func (hs *Harness) Bench(frames [][]byte, inPort, burst, rounds int) (sent uint64, elapsed time.Duration) {
	n := len(frames) / burst * burst
	if n == 0 {
		return 0, 0
	}
	flen := len(frames[0])
	ms := hs.fakes(frames[:burst])
	defer func() {
		for _, m := range ms {
			C.fp_fake_mbuf_free(m)
		}
	}()
	arr := (**C.struct_rte_mbuf)(C.malloc(C.size_t(burst) * C.size_t(unsafe.Sizeof(uintptr(0)))))
	defer C.free(unsafe.Pointer(arr))
	copy(unsafe.Slice(arr, burst), ms)
	buf := (*C.uint8_t)(C.malloc(C.size_t(n * flen)))
	defer C.free(unsafe.Pointer(buf))
	all := unsafe.Slice((*byte)(unsafe.Pointer(buf)), n*flen)
	for i, f := range frames[:n] {
		copy(all[i*flen:], f)
	}
	start := time.Now()
	sent = uint64(C.fp_harness_bench(hs.w.ptr, arr, buf, C.uint16_t(flen), C.uint32_t(n), C.uint32_t(burst), C.uint32_t(rounds), C.int(inPort)))
	return sent, time.Since(start)
}
