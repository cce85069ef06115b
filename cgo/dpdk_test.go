package dpdk_test

// These tests run the real DPDK: root, hugepages and two CPUs are required.
// A missing prerequisite fails the run (it never skips), so CI cannot go
// green without exercising the binding.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	dpdk "github.com/govs-project/govs/cgo"
)

// ealArgs: in-memory (no hugepage files left behind), no PCI scan, no
// telemetry socket, lcores 0 (main) and 1 (worker), two virtual ports.
var ealArgs = []string{
	"--in-memory", "--no-pci", "--no-telemetry", "-l", "0-1", "--file-prefix", ealPrefix, "-m", "256",
	"--vdev=net_ring0", "--vdev=net_null0",
}

const ealPrefix = "govs-cgotest"

// cpusBeforeInit is the CPU set the process had before rte_eal_init.
var cpusBeforeInit unix.CPUSet

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	if err := checkPrereqs(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: DPDK tests cannot run: %v\n", err)
		return 1
	}
	if err := unix.SchedGetaffinity(0, &cpusBeforeInit); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: sched_getaffinity: %v\n", err)
		return 1
	}
	if err := dpdk.EALInit(ealArgs); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: EALInit(%q): %v\n", ealArgs, err)
		return 1
	}
	code := m.Run()
	if err := dpdk.EALCleanup(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: EALCleanup: %v\n", err)
		code = 1
	}
	// EAL creates its runtime directory even in memory mode; it is empty now.
	_ = os.Remove("/var/run/dpdk/" + ealPrefix)
	return code
}

// checkPrereqs explains, in terms an operator can act on, what is missing.
func checkPrereqs() error {
	if os.Geteuid() != 0 {
		return errors.New("must run as root (DPDK needs hugepages and tap devices)")
	}
	if runtime.NumCPU() < 2 {
		return fmt.Errorf("need 2 CPUs for lcores 0-1, have %d", runtime.NumCPU())
	}
	mounts, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return err
	}
	if !bytes.Contains(mounts, []byte(" hugetlbfs ")) {
		return errors.New("no hugetlbfs mounted; run: mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages")
	}
	free, sizeKB, err := hugepagesFree()
	if err != nil {
		return err
	}
	if need := uint64(300 << 10); free*sizeKB < need {
		return fmt.Errorf("only %d free hugepages of %d kB (need %d MiB); run: echo 1024 > /proc/sys/vm/nr_hugepages",
			free, sizeKB, need>>10)
	}
	return nil
}

func hugepagesFree() (free, sizeKB uint64, err error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		v, _ := strconv.ParseUint(fields[1], 10, 64)
		switch fields[0] {
		case "HugePages_Free:":
			free = v
		case "Hugepagesize:":
			sizeKB = v
		}
	}
	return free, sizeKB, sc.Err()
}

func TestEALInitTwice(t *testing.T) {
	err := dpdk.EALInit(ealArgs)
	if err == nil || !strings.Contains(err.Error(), "already") {
		t.Fatalf("second EALInit = %v, want an 'already initialised' error", err)
	}
}

func TestLcores(t *testing.T) {
	if got := dpdk.MainLcore(); got != 0 {
		t.Errorf("MainLcore = %d, want 0", got)
	}
	if got := dpdk.WorkerLcores(); len(got) != 1 || got[0] != 1 {
		t.Errorf("WorkerLcores = %v, want [1]", got)
	}
	if s := dpdk.LcoreSocket(1); s < 0 {
		t.Errorf("LcoreSocket(1) = %d", s)
	}
	if s := dpdk.LcoreSocket(5000); s != -1 {
		t.Errorf("LcoreSocket(5000) = %d, want -1", s)
	}
	if hz := dpdk.TSCHz(); hz < 1e8 {
		t.Errorf("TSCHz = %d", hz)
	}
	if a, b := dpdk.RDTSC(), dpdk.RDTSC(); b <= a {
		t.Errorf("RDTSC not increasing: %d then %d", a, b)
	}
}

// The thread that ran rte_eal_init was pinned to lcore 0's CPU; threads Go
// runs goroutines on must all have the process's full CPU set again.
func TestAffinityRestored(t *testing.T) {
	var wg sync.WaitGroup
	release := make(chan struct{})
	counts := make(chan int, 32)
	for range 32 { // locked goroutines force Go to use (and create) threads
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var s unix.CPUSet
			if err := unix.SchedGetaffinity(0, &s); err != nil {
				t.Error(err)
			}
			counts <- s.Count()
			<-release
		}()
	}
	for range 32 {
		if n := <-counts; n != cpusBeforeInit.Count() {
			t.Errorf("a Go thread has %d CPUs in its affinity, want %d", n, cpusBeforeInit.Count())
		}
	}
	close(release)
	wg.Wait()
}

func TestLaunchOnLcore(t *testing.T) {
	worker := dpdk.WorkerLcores()[0]
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	myTid := unix.Gettid()

	var tid int
	var lcore uint
	var cpus unix.CPUSet
	if err := dpdk.LaunchOnLcore(worker, func() int {
		tid = unix.Gettid()
		lcore = dpdk.LcoreID()
		_ = unix.SchedGetaffinity(0, &cpus)
		return 42
	}); err != nil {
		t.Fatal(err)
	}
	if got := dpdk.WaitLcore(worker); got != 42 {
		t.Fatalf("WaitLcore = %d, want 42", got)
	}
	if tid == 0 || tid == myTid {
		t.Errorf("fn ran on thread %d, test thread is %d", tid, myTid)
	}
	if lcore != worker {
		t.Errorf("LcoreID inside fn = %d, want %d", lcore, worker)
	}
	if cpus.Count() != 1 || !cpus.IsSet(int(worker)) {
		t.Errorf("worker thread affinity has %d CPUs (cpu %d set: %v), want only cpu %d",
			cpus.Count(), worker, cpus.IsSet(int(worker)), worker)
	}

	// A busy lcore refuses a second launch; the main lcore is never a target.
	release := make(chan struct{})
	if err := dpdk.LaunchOnLcore(worker, func() int { <-release; return 7 }); err != nil {
		t.Fatal(err)
	}
	if err := dpdk.LaunchOnLcore(worker, func() int { return 0 }); err == nil {
		t.Error("LaunchOnLcore on a busy lcore succeeded")
	} else if !errors.Is(err, unix.EBUSY) {
		t.Errorf("LaunchOnLcore on a busy lcore: %v, want EBUSY", err)
	}
	close(release)
	if got := dpdk.WaitLcore(worker); got != 7 {
		t.Errorf("WaitLcore = %d, want 7", got)
	}
	if err := dpdk.LaunchOnLcore(dpdk.MainLcore(), func() int { return 0 }); err == nil {
		t.Error("LaunchOnLcore on the main lcore succeeded")
	}

	// A panic in fn becomes -1 instead of killing the process.
	if err := dpdk.LaunchOnLcore(worker, func() int { panic("test panic (expected)") }); err != nil {
		t.Fatal(err)
	}
	if got := dpdk.WaitLcore(worker); got != -1 {
		t.Errorf("WaitLcore after panic = %d, want -1", got)
	}
}

func TestZmalloc(t *testing.T) {
	p, err := dpdk.Zmalloc("t_zmalloc", 1<<20, 4096, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer dpdk.Free(p)
	if uintptr(p)%4096 != 0 {
		t.Errorf("Zmalloc pointer %p not 4096-aligned", p)
	}
	b := unsafe.Slice((*byte)(p), 1<<20)
	for i, c := range b {
		if c != 0 {
			t.Fatalf("byte %d = %d, want zeroed memory", i, c)
		}
	}
	b[len(b)-1] = 1

	if _, err := dpdk.Zmalloc("t_too_big", 1<<40, 0, -1); err == nil || !strings.Contains(err.Error(), "t_too_big") {
		t.Errorf("Zmalloc(1 TiB) error = %v, want one naming t_too_big", err)
	}
	dpdk.Free(nil)
}

func newPool(t *testing.T, name string, n uint32) *dpdk.Mempool {
	t.Helper()
	p, err := dpdk.NewPktMbufPool(name, n, 32, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.InUse() != 0 {
			t.Errorf("pool %s: %d mbufs leaked", name, p.InUse())
		}
		p.Free()
	})
	return p
}

func TestMempool(t *testing.T) {
	p := newPool(t, "t_mempool", 1023)
	if p.Avail() != 1023 || p.InUse() != 0 {
		t.Fatalf("new pool: Avail %d InUse %d", p.Avail(), p.InUse())
	}
	ms := make([]*dpdk.Mbuf, 100)
	if err := p.AllocBulk(ms); err != nil {
		t.Fatal(err)
	}
	if p.Avail() != 923 || p.InUse() != 100 {
		t.Errorf("after alloc 100: Avail %d InUse %d", p.Avail(), p.InUse())
	}
	// All or nothing: asking for more than is left fails and takes none.
	big := make([]*dpdk.Mbuf, 1000)
	if err := p.AllocBulk(big); err == nil || !strings.Contains(err.Error(), "t_mempool") {
		t.Errorf("AllocBulk(1000) with 923 left: %v", err)
	}
	if p.InUse() != 100 {
		t.Errorf("failed AllocBulk changed InUse to %d", p.InUse())
	}
	if err := p.AllocBulk(nil); err != nil {
		t.Error(err)
	}
	dpdk.FreeBulk(ms)
	dpdk.FreeBulk(nil)
	dpdk.FreeBulk([]*dpdk.Mbuf{nil})
	if p.Avail() != 1023 || p.InUse() != 0 {
		t.Errorf("after free: Avail %d InUse %d", p.Avail(), p.InUse())
	}

	if _, err := dpdk.NewPktMbufPool("t_mempool", 63, 0, 0, -1); err == nil || !strings.Contains(err.Error(), `"t_mempool"`) {
		t.Errorf("duplicate pool name: %v", err)
	}
}

func TestMbufView(t *testing.T) {
	p := newPool(t, "t_mbufview", 63)
	ms := make([]*dpdk.Mbuf, 1)
	if err := p.AllocBulk(ms); err != nil {
		t.Fatal(err)
	}
	defer dpdk.FreeBulk(ms)
	m := ms[0]

	if m.DataOff() != dpdk.PktmbufHeadroom || m.DataLen() != 0 || m.PktLen() != 0 || m.NbSegs() != 1 || m.Refcnt() != 1 {
		t.Fatalf("fresh mbuf: off %d len %d pktlen %d segs %d refcnt %d",
			m.DataOff(), m.DataLen(), m.PktLen(), m.NbSegs(), m.Refcnt())
	}
	if m.Port() != 0xffff {
		t.Errorf("fresh mbuf Port = %d, want RTE_MBUF_PORT_INVALID", m.Port())
	}
	if len(m.Buf()) != 2048+dpdk.PktmbufHeadroom {
		t.Errorf("len(Buf) = %d", len(m.Buf()))
	}

	m.SetLen(60)
	if m.DataLen() != 60 || m.PktLen() != 60 || len(m.Data()) != 60 {
		t.Fatalf("SetLen(60): data_len %d pkt_len %d len(Data) %d", m.DataLen(), m.PktLen(), len(m.Data()))
	}
	for i := range m.Data() {
		m.Data()[i] = byte(i + 1)
	}
	buf := m.Buf()
	if buf[dpdk.PktmbufHeadroom] != 1 || buf[dpdk.PktmbufHeadroom+59] != 60 {
		t.Errorf("bytes written via Data not at Buf[headroom:]: %v", buf[dpdk.PktmbufHeadroom:dpdk.PktmbufHeadroom+4])
	}
	if m.Tailroom() != uint16(len(buf))-dpdk.PktmbufHeadroom-60 {
		t.Errorf("Tailroom = %d", m.Tailroom())
	}

	m.SetDataOff(100)
	if d := m.Data(); &d[0] != &buf[100] || len(d) != 60 {
		t.Errorf("after SetDataOff(100) Data does not start at Buf[100]")
	}
	m.SetDataOff(dpdk.PktmbufHeadroom)

	// Prepend/Adj: e.g. adding and stripping a 20-byte outer IPv4 header.
	d, ok := m.Prepend(20)
	if !ok || len(d) != 80 || m.PktLen() != 80 || d[20] != 1 || m.DataOff() != dpdk.PktmbufHeadroom-20 {
		t.Errorf("Prepend(20): ok %v len %d pkt_len %d", ok, len(d), m.PktLen())
	}
	if _, ok := m.Prepend(m.Headroom() + 1); ok {
		t.Error("Prepend beyond headroom succeeded")
	}
	d, ok = m.Adj(20)
	if !ok || len(d) != 60 || d[0] != 1 || m.PktLen() != 60 {
		t.Errorf("Adj(20): ok %v len %d first %d", ok, len(d), d[0])
	}
	if _, ok := m.Adj(61); ok {
		t.Error("Adj beyond data succeeded")
	}

	// The accessors are plain memory access: no allocation.
	if n := testing.AllocsPerRun(100, func() {
		m.SetLen(m.DataLen())
		_ = m.Data()[0]
		_ = m.Buf()
	}); n != 0 {
		t.Errorf("mbuf accessors allocate: %v per run", n)
	}
}

func TestRing(t *testing.T) {
	p := newPool(t, "t_ringpool", 63)
	r, err := dpdk.NewRing("t_ring", 6, -1, true, true) // not a power of two
	if err != nil {
		t.Fatal(err)
	}
	defer r.Free()
	ms := make([]*dpdk.Mbuf, 8)
	if err := p.AllocBulk(ms); err != nil {
		t.Fatal(err)
	}
	defer dpdk.FreeBulk(ms)

	if n := r.Enqueue(ms); n != 6 || r.Count() != 6 {
		t.Fatalf("Enqueue 8 into ring of 6: n %d Count %d", n, r.Count())
	}
	if r.Enqueue(ms[6:]) != 0 || r.Enqueue(nil) != 0 {
		t.Error("Enqueue into full ring or of nothing returned non-zero")
	}
	out := make([]*dpdk.Mbuf, 4)
	if n := r.Dequeue(out); n != 4 || r.Count() != 2 {
		t.Fatalf("Dequeue 4: n %d Count %d", n, r.Count())
	}
	for i := range 4 {
		if out[i] != ms[i] {
			t.Errorf("dequeued[%d] = %p, want %p (FIFO order)", i, out[i], ms[i])
		}
	}
	if n := r.Dequeue(out); n != 2 || out[0] != ms[4] || out[1] != ms[5] || r.Count() != 0 {
		t.Errorf("second Dequeue: n %d Count %d", n, r.Count())
	}
	if r.Dequeue(out) != 0 || r.Dequeue(nil) != 0 {
		t.Error("Dequeue from empty ring returned non-zero")
	}
	if _, err := dpdk.NewRing("t_ring", 8, -1, false, false); err == nil || !strings.Contains(err.Error(), `"t_ring"`) {
		t.Errorf("duplicate ring name: %v", err)
	}
}

// startPort configures port with one rx and one tx queue and starts it.
func startPort(t *testing.T, port uint16, pool *dpdk.Mempool) {
	t.Helper()
	if err := dpdk.PortConfigure(port, dpdk.PortConf{RxQueues: 1, TxQueues: 1, RxDesc: 256, TxDesc: 256}, pool, -1); err != nil {
		t.Fatal(err)
	}
	if err := dpdk.PortStart(port); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dpdk.PortStop(port); err != nil {
			t.Error(err)
		}
	})
}

// net_ring's rx queue reads the very ring its tx queue writes: what TxBurst
// sends, RxBurst receives (same mbufs, unmodified).
func TestPortRingLoopback(t *testing.T) {
	pool := newPool(t, "t_ringport", 4095)
	port, err := dpdk.PortByName("net_ring0")
	if err != nil {
		t.Fatal(err)
	}
	if name := dpdk.PortName(port); name != "net_ring0" {
		t.Errorf("PortName(%d) = %q", port, name)
	}
	startPort(t, port, pool)
	before, err := dpdk.Stats(port)
	if err != nil {
		t.Fatal(err)
	}
	if up, _, err := dpdk.LinkStatus(port); err != nil || !up {
		t.Errorf("LinkStatus = %v, %v; want up", up, err)
	}
	if _, err := dpdk.MACAddr(port); err != nil { // net_ring's MAC is all zeros
		t.Errorf("MACAddr: %v", err)
	}

	tx := make([]*dpdk.Mbuf, 16)
	if err := pool.AllocBulk(tx); err != nil {
		t.Fatal(err)
	}
	sent := append([]*dpdk.Mbuf(nil), tx...)
	for i, m := range tx {
		m.SetLen(64)
		m.Data()[0] = byte(i)
	}
	if n := dpdk.TxBurst(port, 0, tx); n != 16 {
		t.Fatalf("TxBurst sent %d of 16", n)
	}
	t0 := dpdk.RDTSC()
	rx := make([]*dpdk.Mbuf, 32)
	n, tsc := dpdk.RxBurst(port, 0, rx)
	if n != 16 {
		t.Fatalf("RxBurst got %d, want 16", n)
	}
	if tsc < t0 {
		t.Errorf("RxBurst tsc %d before %d", tsc, t0)
	}
	for i, m := range rx[:n] {
		if m != sent[i] || m.DataLen() != 64 || m.Data()[0] != byte(i) {
			t.Errorf("rx[%d]: %p len %d first byte %d; want %p, 64, %d", i, m, m.DataLen(), m.Data()[0], sent[i], i)
		}
	}
	dpdk.FreeBulk(rx[:n])
	after, err := dpdk.Stats(port)
	if err != nil {
		t.Fatal(err)
	}
	if after.OPackets-before.OPackets != 16 || after.IPackets-before.IPackets != 16 {
		t.Errorf("stats delta: opackets %d ipackets %d, want 16 and 16",
			after.OPackets-before.OPackets, after.IPackets-before.IPackets)
	}
	if n, _ := dpdk.RxBurst(port, 0, nil); n != 0 {
		t.Error("RxBurst into nothing returned packets")
	}
	if dpdk.TxBurst(port, 0, nil) != 0 {
		t.Error("TxBurst of nothing sent packets")
	}
}

// When the PMD cannot take everything (net_ring's ring is full), TxBurst
// frees the rest itself: the pool gets them back.
func TestTxBurstFreesUnsent(t *testing.T) {
	pool := newPool(t, "t_txfree", 8191)
	port, err := dpdk.PortByName("net_ring0")
	if err != nil {
		t.Fatal(err)
	}
	startPort(t, port, pool)
	inRing := 0
	burst := make([]*dpdk.Mbuf, 64)
	for range 100 { // far more than the ring holds
		if err := pool.AllocBulk(burst); err != nil {
			t.Fatal(err)
		}
		n := dpdk.TxBurst(port, 0, burst)
		inRing += n
		if n < len(burst) {
			break
		}
	}
	if inRing == 0 || inRing >= 6400 {
		t.Fatalf("ring took %d mbufs; expected it to fill up", inRing)
	}
	if got := pool.InUse(); got != uint32(inRing) {
		t.Errorf("InUse = %d, want %d (only the mbufs sitting in the ring)", got, inRing)
	}
	t.Logf("net_ring0 queue filled after %d packets", inRing)
	for {
		n, _ := dpdk.RxBurst(port, 0, burst)
		if n == 0 {
			break
		}
		dpdk.FreeBulk(burst[:n])
	}
}

// net_null receives as many (empty) packets as asked and drops what it is
// sent: the per-burst round trip must not allocate on the Go heap.
func TestPortNullNoAlloc(t *testing.T) {
	pool := newPool(t, "t_nullport", 4095)
	port, err := dpdk.PortByName("net_null0")
	if err != nil {
		t.Fatal(err)
	}
	startPort(t, port, pool)
	var pkts [32]*dpdk.Mbuf
	allocs := testing.AllocsPerRun(1000, func() {
		n, _ := dpdk.RxBurst(port, 0, pkts[:])
		for _, m := range pkts[:n] {
			m.Data()
		}
		dpdk.TxBurst(port, 0, pkts[:n])
	})
	if allocs != 0 {
		t.Errorf("rx+tx burst allocates %v times per burst", allocs)
	}
	if n, _ := dpdk.RxBurst(port, 0, pkts[:]); n != len(pkts) {
		t.Errorf("net_null RxBurst = %d, want %d", n, len(pkts))
	} else {
		dpdk.FreeBulk(pkts[:n])
	}
}

func TestPortErrors(t *testing.T) {
	pool := newPool(t, "t_errpool", 63)
	err := dpdk.PortConfigure(31, dpdk.PortConf{}, pool, -1)
	if err == nil || !strings.Contains(err.Error(), "port 31") || !errors.Is(err, unix.ENODEV) {
		t.Errorf("PortConfigure(31) = %v, want ENODEV naming port 31", err)
	}
	t.Logf("PortConfigure(31): %v", err)
	var de *dpdk.Error
	if !errors.As(err, &de) || de.Msg == "" {
		t.Errorf("error %v is not a *dpdk.Error with rte_strerror text", err)
	}
	if _, err := dpdk.PortByName("net_nope9"); err == nil || !strings.Contains(err.Error(), "net_nope9") {
		t.Errorf("PortByName(net_nope9) = %v", err)
	}
	// --no-pci: a PCI address is tried with a probe, which must fail cleanly.
	if _, err := dpdk.PortByName("0000:ff:1f.7"); err == nil || !strings.Contains(err.Error(), "0000:ff:1f.7") {
		t.Errorf("PortByName(PCI) = %v", err)
	}
	if _, err := dpdk.ProbeVdev("net_bogus0"); err == nil || !strings.Contains(err.Error(), "net_bogus0") {
		t.Errorf("ProbeVdev(net_bogus0) = %v", err)
	}
	if name := dpdk.PortName(31); name != "" {
		t.Errorf("PortName(31) = %q", name)
	}
	if _, err := dpdk.Stats(31); err == nil || !strings.Contains(err.Error(), "port 31") {
		t.Errorf("Stats(31) = %v", err)
	}
	if err := dpdk.PortStart(31); err == nil || !strings.Contains(err.Error(), "port 31") {
		t.Errorf("PortStart(31) = %v", err)
	}
	port, err := dpdk.PortByName("net_ring0")
	if err != nil {
		t.Fatal(err)
	}
	err = dpdk.PortConfigure(port, dpdk.PortConf{RxQueues: 1, TxQueues: 1}, nil, -1)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("port %d", port)) {
		t.Errorf("PortConfigure without pool = %v", err)
	}
}

func BenchmarkNullRxTxBurst32(b *testing.B) {
	pool, err := dpdk.NewPktMbufPool("b_null", 4095, 256, 0, -1)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Free()
	port, err := dpdk.PortByName("net_null0")
	if err != nil {
		b.Fatal(err)
	}
	if err := dpdk.PortConfigure(port, dpdk.PortConf{}, pool, -1); err != nil {
		b.Fatal(err)
	}
	if err := dpdk.PortStart(port); err != nil {
		b.Fatal(err)
	}
	defer dpdk.PortStop(port)
	var pkts [32]*dpdk.Mbuf
	b.ResetTimer()
	for b.Loop() {
		n, _ := dpdk.RxBurst(port, 0, pkts[:])
		dpdk.TxBurst(port, 0, pkts[:n])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/32, "ns/pkt")
}
