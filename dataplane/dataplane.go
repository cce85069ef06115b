package dataplane

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	dpdk "github.com/govs-project/govs/cgo"
	"github.com/govs-project/govs/dataplane/fastpath"
)

// Ring sizes between the lcores and the slow path. A full ring costs the
// packets that did not fit (counted), never a wait.
const (
	inboxRing  = 4096 // lcore -> lcore hand-off of flows
	puntRing   = 1024 // lcore -> slow path (ARP, packets waiting for a MAC)
	injectRing = 1024 // slow path -> lcore (ARP replies and requests, released packets, the kernel's frames)
	// puntReserve is the part of a punt ring that packets for the kernel
	// interfaces leave free, for ARP and packets waiting for a MAC.
	puntReserve = puntRing / 4
)

// Dataplane owns EAL, the ports, the mbuf pool, the worker lcores (each
// running the C fast path) and the slow path that serves them.
type Dataplane struct {
	opts  Options
	pool  *dpdk.Mempool
	ports []portInfo
	specs []PortSpec
	// kernel are the ports' kernel interfaces (the exception path)
	kernel []*kernelPort

	lcores  []uint // worker lcore ids, by worker index
	sh      *fastpath.Shared
	pub     *fastpath.Publisher
	neigh   *fastpath.Neigh
	workers []*fastpath.Worker
	inbox   []*dpdk.Ring
	punt    []*dpdk.Ring
	inject  []*dpdk.Ring
	// connection sync rings by worker (nil without sync)
	syncOut, syncIn []*fastpath.SyncRing
	syncMu          sync.Mutex // one producer of syncIn, one consumer of syncOut
	slow            *slowRunner
	failed          chan error // a worker lcore died
	// promiscuous[i]: port i's NIC is in promiscuous mode
	promiscuous []bool
	nic         *nicMACs // the virtual MACs in the NICs' filters

	watchLcores chan struct{} // tells the slow runner every lcore was launched

	cur atomic.Pointer[compiled]

	mu         sync.Mutex // serialises Apply and Stop
	ids        *idAllocator
	gen        uint64
	configured []portState // DPDK ports we configured, for cleanup
	launched   []bool
	stopped    bool

	controlCPUs int
}

// checkOptions refuses unset options: their defaults live in the
// configuration, not here.
func checkOptions(o Options) error {
	var errs []error
	need := func(name string, v, lo, hi int) {
		if v < lo || v > hi {
			errs = append(errs, fmt.Errorf("dataplane option %s: %d, want %d..%d", name, v, lo, hi))
		}
	}
	need("conn_table_size", o.ConnTableSize, 1, fastpath.MaxConnCapacity)
	need("mbufs", o.Mbufs, 1, 1<<30)
	need("mbuf_data_room", o.MbufDataRoom, dpdk.PktmbufHeadroom+64, 65535)
	need("burst", o.Burst, 1, fastpath.MaxBurst)
	need("rx_desc", o.RxDesc, 1, 65535)
	need("tx_desc", o.TxDesc, 1, 65535)
	need("neighbor_table_size", o.NeighCapacity, 1, 1<<20)
	if o.SyncRing != 0 && (o.SyncRing < 2 || o.SyncRing > fastpath.MaxSyncRing || o.SyncRing&(o.SyncRing-1) != 0) {
		errs = append(errs, fmt.Errorf("dataplane option sync ring: %d records, want 0 or a power of two in 2..%d", o.SyncRing, fastpath.MaxSyncRing))
	}
	return errors.Join(errs...)
}

// Start initialises EAL with opts.EALArgs, starts the ports of spec, builds
// the first snapshot and launches the worker lcores. On error everything it
// set up is torn down again: there is no half-started dataplane.
func Start(opts Options, spec *Spec) (_ *Dataplane, err error) {
	if err := checkStart(opts, spec); err != nil {
		return nil, err
	}
	if err := checkHugepages(opts.EALArgs); err != nil {
		return nil, err
	}
	// Telemetry's socket would outlive us: Go's exit skips libc's atexit.
	opts.EALArgs = append(append([]string(nil), opts.EALArgs...), "--no-telemetry")
	if err := dpdk.EALInit(opts.EALArgs); err != nil {
		return nil, fmt.Errorf("EAL init (args %q): %w", strings.Join(opts.EALArgs, " "), err)
	}
	dp := &Dataplane{opts: opts, ids: newIDAllocator(), specs: spec.Ports, lcores: dpdk.WorkerLcores(), failed: make(chan error, 1), watchLcores: make(chan struct{}, 1)}
	defer func() {
		if err != nil {
			dp.teardown()
		}
	}()
	if len(dp.lcores) == 0 {
		return nil, errors.New("eal.lcores: no worker lcore; give at least two lcores (the first runs the control plane)")
	}
	if len(dp.lcores) > fastpath.MaxWorkers {
		return nil, fmt.Errorf("eal.lcores: %d worker lcores, at most %d", len(dp.lcores), fastpath.MaxWorkers)
	}
	socket := dpdk.LcoreSocket(dpdk.MainLcore())
	if dp.pool, err = dpdk.NewPktMbufPool("govs_mbufs", uint32(opts.Mbufs), 256, uint16(opts.MbufDataRoom), socket); err != nil {
		return nil, fmt.Errorf("mbuf pool of %d mbufs: %w (more hugepages or a smaller dataplane.mbufs)", opts.Mbufs, err)
	}
	for i, ps := range spec.Ports {
		pi, err := dp.startPort(i, ps, len(dp.lcores), socket)
		if err != nil {
			return nil, err
		}
		dp.ports = append(dp.ports, pi)
	}
	for i, ps := range spec.Ports {
		if !ps.Kernel.Enabled {
			continue
		}
		k, err := dp.startKernelPort(i, ps, dp.ports[i], socket)
		if err != nil {
			return nil, err
		}
		dp.kernel = append(dp.kernel, k)
	}
	dp.nic = newNICMACs(dp.ports, dp.promiscuous)
	if err := dp.buildWorkers(); err != nil {
		return nil, err
	}
	if err := dp.Apply(spec); err != nil {
		return nil, err
	}
	dp.slow.start()
	for i, w := range dp.workers {
		if err := w.Launch(dp.lcores[i]); err != nil {
			return nil, err
		}
		dp.launched[i] = true
	}
	dp.slow.watch()
	dp.controlCPUs = dp.confineControlThreads()
	return dp, nil
}

// buildWorkers allocates what the lcores share and each worker's state.
func (dp *Dataplane) buildWorkers() (err error) {
	nw := len(dp.lcores)
	mem := fastpath.Hugepages{}
	if dp.sh, err = fastpath.NewShared(mem, nw, true); err != nil {
		return fmt.Errorf("fast path shared state: %w", err)
	}
	dp.sh.SetFlowAffinity(dp.opts.FlowAffinity, dp.opts.FlowAffinityBits)
	dp.pub = fastpath.NewPublisher(dp.sh)
	if dp.neigh, err = fastpath.NewNeigh(dp.pub, mem, dp.opts.NeighCapacity); err != nil {
		return err
	}
	dp.launched = make([]bool, nw)
	hz := dpdk.TSCHz()
	for i, lc := range dp.lcores {
		sock := dpdk.LcoreSocket(lc)
		ring := func(kind string, n uint32, sp, sc bool) (*dpdk.Ring, error) {
			r, err := dpdk.NewRing(fmt.Sprintf("govs_%s_%d", kind, i), n, sock, sp, sc)
			if err != nil {
				return nil, fmt.Errorf("%s ring of lcore %d: %w", kind, lc, err)
			}
			return r, nil
		}
		punt, err := ring("punt", puntRing, true, true)
		if err != nil {
			return err
		}
		dp.punt = append(dp.punt, punt)
		inject, err := ring("inject", injectRing, false, true)
		if err != nil {
			return err
		}
		dp.inject = append(dp.inject, inject)
		if nw > 1 {
			inbox, err := ring("inbox", inboxRing, false, true)
			if err != nil {
				return err
			}
			dp.inbox = append(dp.inbox, inbox)
			dp.sh.SetInbox(i, inbox.Ptr())
		}
		syncOut, syncIn, err := dp.syncRings(mem, i, sock)
		if err != nil {
			return fmt.Errorf("lcore %d: %w", lc, err)
		}
		w, err := fastpath.NewWorker(mem, dp.sh, fastpath.WorkerConfig{
			Index: i, Queue: i, Burst: dp.opts.Burst, ConnCapacity: dp.opts.ConnTableSize,
			HashSeed: rand.Uint64(), IdleBackoff: dp.opts.IdleBackoff, IdleSleepMax: dp.opts.IdleSleepMax,
			TSCHz: hz, Socket: sock, Punt: punt.Ptr(), Inject: inject.Ptr(), PuntReserve: puntReserve,
			SyncOut: syncOut, SyncIn: syncIn,
		})
		if err != nil {
			return fmt.Errorf("lcore %d: %w (more hugepages or a smaller dataplane.conn_table_size)", lc, err)
		}
		dp.workers = append(dp.workers, w)
	}
	dp.slow, err = newSlowRunner(dp)
	return err
}

// ControlCPUs is how many CPUs the control plane's threads were confined to,
// off the worker lcores' CPUs (0: not confined).
func (dp *Dataplane) ControlCPUs() int { return dp.controlCPUs }

func (dp *Dataplane) startPort(i int, ps PortSpec, queues int, socket int) (portInfo, error) {
	field := fmt.Sprintf("ports[%d] (%s)", i, ps.Name)
	if ps.MTU < 68 || ps.MTU > 65535 {
		return portInfo{}, fmt.Errorf("%s.mtu: %d", field, ps.MTU)
	}
	var id uint16
	var err error
	if strings.HasPrefix(ps.Device, "net_") {
		id, err = dpdk.PortByName(strings.SplitN(ps.Device, ",", 2)[0])
		if err != nil { // not created by --vdev: probe it now
			id, err = dpdk.ProbeVdev(ps.Device)
		}
	} else {
		id, err = dpdk.PortByName(ps.Device)
	}
	if err != nil {
		return portInfo{}, fmt.Errorf("%s.device %q: %w", field, ps.Device, err)
	}
	conf := dpdk.PortConf{RxQueues: uint16(queues), TxQueues: uint16(queues), RxDesc: uint16(dp.opts.RxDesc), TxDesc: uint16(dp.opts.TxDesc), MTU: uint16(ps.MTU)}
	// Closed on teardown even when configuration fails half-way: a port's
	// queues may already hold mbufs of our pool (net_pcap loads its file
	// at queue setup), and EAL's cleanup would close it after the pool is
	// gone.
	dp.configured = append(dp.configured, portState{id: id})
	if err := dpdk.PortConfigure(id, conf, dp.pool, socket); err != nil {
		return portInfo{}, fmt.Errorf("%s: %w", field, err)
	}
	if err := dpdk.PortStart(id); err != nil {
		return portInfo{}, fmt.Errorf("%s: %w", field, err)
	}
	dp.configured[len(dp.configured)-1].started = true
	// Promiscuous so that frames for MACs we answer for (the virtual MACs,
	// broadcasts) arrive whatever the NIC filters; not every vdev supports
	// it, and those that do not get the virtual MACs in their filter
	// (nicmac.go).
	_ = dpdk.SetPromiscuous(id, true)
	promiscuous, err := dpdk.Promiscuous(id)
	dp.promiscuous = append(dp.promiscuous, err == nil && promiscuous)
	mac, err := dpdk.MACAddr(id)
	if err != nil {
		return portInfo{}, fmt.Errorf("%s: %w", field, err)
	}
	return newPortInfo(ps, id, mac), nil
}

// portState is a DPDK port the dataplane configured.
type portState struct {
	id      uint16
	started bool
}

// Apply compiles spec and swaps it in atomically. Established connections
// keep their real server. Ports cannot change without a restart. On error the
// running snapshot stays. Every error is a refusal of the configuration.
func (dp *Dataplane) Apply(spec *Spec) error {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	if dp.stopped {
		return errors.New("dataplane stopped")
	}
	if err := samePorts(dp.specs, spec.Ports); err != nil {
		return err
	}
	c, err := compile(dp.gen+1, spec, dp.ports, dp.ids)
	if err != nil {
		return err
	}
	snap, err := fastpath.BuildSnapshot(&c.fp, fastpath.Hugepages{}, dpdk.LcoreSocket(dpdk.MainLcore()))
	if err != nil {
		return err
	}
	// The NICs receive the new virtual MACs before anything answers ARP
	// with them.
	if err := dp.nic.admit(c); err != nil {
		snap.Free()
		return err
	}
	// The slow path next: it refuses a view it cannot serve, and then
	// nothing has changed yet (but the NICs' extra MACs, taken back).
	if err := dp.slow.apply(c, spec); err != nil {
		snap.Free()
		dp.nic.prune(dp.cur.Load())
		return err
	}
	dp.gen++
	dp.pub.Snapshot(snap)
	dp.cur.Store(c)
	dp.nic.prune(c)
	return nil
}

func samePorts(old, new []PortSpec) error {
	if len(old) != len(new) {
		return fmt.Errorf("ports: %d configured, %d running; changing ports needs a restart of govsd", len(new), len(old))
	}
	for i := range old {
		if old[i].Kernel != new[i].Kernel {
			return fmt.Errorf("ports[%d] (%s).kernel: changed (enabled %v, name %q -> enabled %v, name %q); the kernel interface is created at start, changing it needs a restart of govsd",
				i, new[i].Name, old[i].Kernel.Enabled, old[i].Kernel.Name, new[i].Kernel.Enabled, new[i].Kernel.Name)
		}
		if !reflect.DeepEqual(old[i], new[i]) {
			return fmt.Errorf("ports[%d] (%s): changed; changing ports needs a restart of govsd", i, new[i].Name)
		}
	}
	return nil
}

// Failed delivers the error of a worker lcore that stopped unexpectedly.
func (dp *Dataplane) Failed() <-chan error { return dp.failed }

func (dp *Dataplane) fail(err error) {
	select {
	case dp.failed <- err:
	default:
	}
}

// Generation is the number of snapshots applied so far.
func (dp *Dataplane) Generation() uint64 {
	if c := dp.cur.Load(); c != nil {
		return c.gen
	}
	return 0
}

// Stop stops the slow path, the workers, the ports and EAL. It is safe to
// call twice.
func (dp *Dataplane) Stop() error {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	if dp.stopped {
		return nil
	}
	return dp.teardown()
}

func (dp *Dataplane) teardown() error {
	dp.stopped = true
	if dp.slow != nil {
		dp.slow.stop() // nothing injects or reads the rings from here on
	}
	if dp.sh != nil {
		dp.sh.Stop()
	}
	for i, running := range dp.launched {
		if running {
			dpdk.WaitLcore(dp.lcores[i])
		}
	}
	for _, rings := range [][]*dpdk.Ring{dp.punt, dp.inject, dp.inbox} {
		for _, r := range rings {
			fastpath.DrainRing(r.Ptr())
		}
	}
	var errs []error
	for _, ps := range dp.configured {
		if ps.started {
			if err := dpdk.PortStop(ps.id); err != nil {
				errs = append(errs, err)
			}
		}
		if err := dpdk.PortClose(ps.id); err != nil {
			errs = append(errs, err)
		}
	}
	for _, rings := range [][]*dpdk.Ring{dp.punt, dp.inject, dp.inbox} {
		for _, r := range rings {
			r.Free()
		}
	}
	for _, w := range dp.workers {
		w.Free()
	}
	for _, r := range append(dp.syncOut, dp.syncIn...) {
		r.Free()
	}
	if dp.neigh != nil {
		dp.neigh.Close()
	}
	if dp.pub != nil {
		dp.pub.Close()
	}
	if dp.sh != nil {
		dp.sh.Free()
	}
	if dp.pool != nil {
		dp.pool.Free()
	}
	if err := dpdk.EALCleanup(); err != nil {
		errs = append(errs, err)
	}
	removeRuntimeDir(dp.opts.EALArgs)
	return errors.Join(errs...)
}

// removeRuntimeDir removes EAL's per-prefix runtime directory if it is empty
// (it is, with --in-memory and no telemetry), so runs leave nothing behind.
func removeRuntimeDir(args []string) {
	prefix := "rte"
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--file-prefix="); ok {
			prefix = v
		} else if a == "--file-prefix" && i+1 < len(args) {
			prefix = args[i+1]
		}
	}
	_ = os.Remove(filepath.Join("/var/run/dpdk", prefix))
}
