package dataplane

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	dpdk "github.com/govs-project/govs/cgo"
	"github.com/govs-project/govs/dataplane/conntrack"
	"github.com/govs-project/govs/dataplane/neigh"
)

// Dataplane owns EAL, the ports, the mbuf pool and the worker lcores.
type Dataplane struct {
	opts  Options
	pool  *dpdk.Mempool
	ports []portInfo
	specs []PortSpec

	workers []uint // worker lcore ids
	loops   []*lcoreLoop
	tables  []unsafe.Pointer // conn table memory per worker
	neigh   *neigh.Table

	snap     atomic.Pointer[Snapshot]
	stopping atomic.Bool
	failed   chan error // a worker lcore died

	mu         sync.Mutex // serialises Apply and Stop
	ids        *idAllocator
	gen        uint64
	configured []portState // DPDK ports we configured, for cleanup
	launched   bool
	stopped    bool

	controlCPUs int
}

// Start initialises EAL with opts.EALArgs, starts the ports of spec, builds
// the first snapshot and launches the worker lcores. On error everything it
// set up is torn down again: there is no half-started dataplane.
func Start(opts Options, spec *Spec) (_ *Dataplane, err error) {
	if len(spec.Ports) == 0 {
		return nil, errors.New("ports: no port configured; add at least one port (a DPDK vdev such as net_tap0,iface=govs0 or a PCI device bound to vfio-pci)")
	}
	if len(spec.Ports) > maxPorts {
		return nil, fmt.Errorf("ports: %d configured, at most %d", len(spec.Ports), maxPorts)
	}
	if err := checkHugepages(opts.EALArgs); err != nil {
		return nil, err
	}
	// Telemetry's socket would outlive us: Go's exit skips libc's atexit.
	opts.EALArgs = append(append([]string(nil), opts.EALArgs...), "--no-telemetry")
	if err := dpdk.EALInit(opts.EALArgs); err != nil {
		return nil, fmt.Errorf("EAL init (args %q): %w", strings.Join(opts.EALArgs, " "), err)
	}
	dp := &Dataplane{opts: opts, ids: newIDAllocator(), specs: spec.Ports, workers: dpdk.WorkerLcores(), failed: make(chan error, 1)}
	defer func() {
		if err != nil {
			dp.teardown()
		}
	}()
	if len(dp.workers) == 0 {
		return nil, errors.New("eal.lcores: no worker lcore; give at least two lcores (the first runs the control plane)")
	}
	nw := len(dp.workers)
	mbufs := opts.Mbufs
	if mbufs <= 0 {
		mbufs = 16383
	}
	socket := dpdk.LcoreSocket(dpdk.MainLcore())
	room := opts.MbufDataRoom
	if room <= 0 {
		room = 2048 + 128
	}
	if dp.pool, err = dpdk.NewPktMbufPool("govs_mbufs", uint32(mbufs), 256, uint16(room), socket); err != nil {
		return nil, fmt.Errorf("mbuf pool of %d mbufs: %w (more hugepages or a smaller dataplane.mbufs)", mbufs, err)
	}
	for i, ps := range spec.Ports {
		pi, err := dp.startPort(i, ps, nw, socket)
		if err != nil {
			return nil, err
		}
		dp.ports = append(dp.ports, pi)
	}
	dp.neigh = neigh.New(4096)
	for i, ps := range spec.Ports {
		for _, sn := range ps.Static {
			if !dp.neigh.SetStatic(addrU32(sn.Addr), sn.MAC, i) {
				return nil, fmt.Errorf("ports[%d] (%s).static_neighbors: neighbour table full", i, ps.Name)
			}
		}
	}
	size := opts.ConnTableSize
	if size <= 0 {
		size = 1 << 20
	}
	for i, lc := range dp.workers {
		fp := conntrack.Footprint(size)
		mem, err := dpdk.Zmalloc(fmt.Sprintf("govs_conns_%d", i), fp, 64, dpdk.LcoreSocket(lc))
		if err != nil {
			return nil, fmt.Errorf("connection table for lcore %d (%d entries, %d MiB): %w (more hugepages or a smaller dataplane.conn_table_size)", lc, size, fp>>20, err)
		}
		dp.tables = append(dp.tables, mem)
		t, err := conntrack.New(mem, fp, size, uint64(i+1)*0x9E3779B97F4A7C15)
		if err != nil {
			return nil, fmt.Errorf("connection table for lcore %d: %w", lc, err)
		}
		w := newWorker(i, nw, t, dp.neigh, nil)
		l, err := newLcoreLoop(dp, w, uint16(i))
		if err != nil {
			return nil, fmt.Errorf("burst arrays for lcore %d: %w", lc, err)
		}
		if nw > 1 {
			if l.inbox, err = dpdk.NewRing(fmt.Sprintf("govs_inbox_%d", i), 4096, dpdk.LcoreSocket(lc), false, true); err != nil {
				return nil, fmt.Errorf("hand-off ring for lcore %d: %w", lc, err)
			}
		}
		dp.loops = append(dp.loops, l)
	}
	if err := dp.Apply(spec); err != nil {
		return nil, err
	}
	for i, lc := range dp.workers {
		l := dp.loops[i]
		l.w.setSnapshot(dp.snap.Load())
		if err := dpdk.LaunchOnLcore(lc, l.run); err != nil {
			return nil, fmt.Errorf("launch worker on lcore %d: %w", lc, err)
		}
		dp.launched = true
	}
	dp.controlCPUs = dp.confineControlThreads()
	return dp, nil
}

// ControlCPUs is how many CPUs the control plane's threads were confined to,
// off the worker lcores' CPUs (0: not confined).
func (dp *Dataplane) ControlCPUs() int { return dp.controlCPUs }

func (dp *Dataplane) startPort(i int, ps PortSpec, queues int, socket int) (portInfo, error) {
	field := fmt.Sprintf("ports[%d] (%s)", i, ps.Name)
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
	if conf.RxDesc == 0 {
		conf.RxDesc = 1024
	}
	if conf.TxDesc == 0 {
		conf.TxDesc = 1024
	}
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
	// Promiscuous so that frames for MACs we answer for (and broadcasts) arrive
	// whatever the NIC filters; not every vdev supports it.
	_ = dpdk.SetPromiscuous(id, true)
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

// portIndex maps a DPDK port id to our port index.
func (dp *Dataplane) portIndex(id uint16) int {
	for i := range dp.ports {
		if dp.ports[i].dpdk == id {
			return i
		}
	}
	return 0
}

// Apply compiles spec and swaps it in atomically. Established connections
// keep their real server. Ports cannot change without a restart. On error the
// running snapshot stays.
func (dp *Dataplane) Apply(spec *Spec) error {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	if err := samePorts(dp.specs, spec.Ports); err != nil {
		return err
	}
	s, err := buildSnapshot(dp.gen+1, spec, dp.ports, dp.ids)
	if err != nil {
		return err
	}
	dp.gen++
	dp.snap.Store(s)
	for _, n := range s.wanted {
		dp.neigh.Want(n.ip, int(n.port))
	}
	return nil
}

func samePorts(old, new []PortSpec) error {
	if len(old) != len(new) {
		return fmt.Errorf("ports: %d configured, %d running; changing ports needs a restart of govsd", len(new), len(old))
	}
	for i := range old {
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
	if s := dp.snap.Load(); s != nil {
		return s.gen
	}
	return 0
}

// Stop stops the workers, the ports and EAL. It is safe to call twice.
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
	dp.stopping.Store(true)
	if dp.launched {
		for _, lc := range dp.workers {
			dpdk.WaitLcore(lc)
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
	for _, l := range dp.loops {
		if l.inbox != nil {
			l.inbox.Free()
		}
	}
	for _, m := range dp.tables {
		dpdk.Free(m)
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
