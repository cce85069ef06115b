package dataplane

import (
	"errors"
	"fmt"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/govs-project/govs/dataplane/fastpath"
)

// The relay between the lcores and the kernel interfaces, with fake taps:
// what goes to which tap, in what batches, and what is counted.

// fakeTaps records what the relay writes and replays what "the kernel
// sent".
type fakeTaps struct {
	accept  int                 // frames a toKernel call takes; the rest are refused
	written map[uint16][]string // frames each tap took, in order
	calls   int                 // toKernel calls
	noMbuf  bool                // copyFrame fails
	sent    map[uint16][]fastpath.FromKernelResult
	rings   map[uint16][]unsafe.Pointer // the inject ring of each fromKernel call
}

func newFakeTaps() *fakeTaps {
	return &fakeTaps{accept: 1 << 30, written: map[uint16][]string{}, sent: map[uint16][]fastpath.FromKernelResult{}, rings: map[uint16][]unsafe.Pointer{}}
}

func (f *fakeTaps) toKernel(tap uint16, pkts []fastpath.Punted) (int, uint64) {
	f.calls++
	n := min(len(pkts), f.accept)
	var bytes uint64
	for _, p := range pkts[:n] {
		f.written[tap] = append(f.written[tap], string(p.Frame))
		bytes += uint64(len(p.Frame))
	}
	for i := range pkts {
		pkts[i].Free()
	}
	return n, bytes
}

func (f *fakeTaps) copyFrame(frame []byte, port int) (fastpath.Punted, error) {
	if f.noMbuf {
		return fastpath.Punted{}, errors.New("no mbuf")
	}
	return fastpath.Punted{Frame: append([]byte(nil), frame...), Reason: fastpath.PuntKernel, InPort: port}, nil
}

func (f *fakeTaps) fromKernel(tap uint16, inject unsafe.Pointer, port, max int) fastpath.FromKernelResult {
	f.rings[tap] = append(f.rings[tap], inject)
	q := f.sent[tap]
	if len(q) == 0 {
		return fastpath.FromKernelResult{}
	}
	f.sent[tap] = q[1:]
	return q[0]
}

// Data ports 0 and 2 of three have kernel interfaces (taps 10 and 12);
// three lcores.
func newTestRelay(f *fakeTaps) (*kernelRelay, []*kernelPort, []unsafe.Pointer) {
	ks := []*kernelPort{{index: 0, port: "wan", name: "govs-wan", tap: 10, rxFD: -1}, {index: 2, port: "dmz", name: "govs-dmz", tap: 12, rxFD: -1}}
	rings := []unsafe.Pointer{unsafe.Pointer(new(byte)), unsafe.Pointer(new(byte)), unsafe.Pointer(new(byte))}
	return newKernelRelay(f, 3, ks, rings), ks, rings
}

func kernelPunt(port int, text string) fastpath.Punted {
	return fastpath.Punted{Frame: []byte(text), Reason: fastpath.PuntKernel, InPort: port}
}

func TestRelayWritesEachPortsPacketsToItsTap(t *testing.T) {
	f := newFakeTaps()
	r, ks, _ := newTestRelay(f)
	r.take(kernelPunt(0, "a1"))
	r.take(kernelPunt(2, "c1"))
	r.take(kernelPunt(0, "a2"))
	r.take(kernelPunt(1, "b1")) // no kernel interface: freed, written nowhere
	if f.calls != 0 {
		t.Fatalf("%d tap writes before the flush, want the packets batched", f.calls)
	}
	r.flush()
	if got := fmt.Sprint(f.written); got != "map[10:[a1 a2] 12:[c1]]" {
		t.Fatalf("taps took %s", got)
	}
	if f.calls != 2 {
		t.Fatalf("%d tap writes, want one per tap", f.calls)
	}
	st := ks[0].status(0, 0)
	if st.ToKernel.Packets != 2 || st.ToKernel.Bytes != 4 || st.Name != "govs-wan" || st.Port != "wan" {
		t.Fatalf("wan's kernel status %+v", st)
	}
	r.flush()
	if f.calls != 2 {
		t.Fatal("an empty flush wrote to a tap")
	}
}

func TestRelayFlushesFullBatches(t *testing.T) {
	f := newFakeTaps()
	r, _, _ := newTestRelay(f)
	for i := range relayBurst + 1 {
		r.take(kernelPunt(0, fmt.Sprint(i)))
	}
	if f.calls != 1 || len(f.written[10]) != relayBurst {
		t.Fatalf("after %d packets: %d writes of %d frames, want one burst of %d", relayBurst+1, f.calls, len(f.written[10]), relayBurst)
	}
	r.flush()
	if w := f.written[10]; len(w) != relayBurst+1 || w[relayBurst] != fmt.Sprint(relayBurst) || w[0] != "0" {
		t.Fatalf("tap took %d frames (first %q), want all in order", len(w), w[0])
	}
}

func TestRelayCountsWhatTheTapRefuses(t *testing.T) {
	f := newFakeTaps()
	f.accept = 2
	r, ks, _ := newTestRelay(f)
	for _, s := range []string{"x", "y", "z"} {
		r.take(kernelPunt(0, s))
	}
	r.flush()
	st := ks[0].status(5, 0)
	if st.ToKernel.Packets != 2 || st.ToKernel.Drops[KernelDropTapFull] != 1 || st.ToKernel.Drops[KernelDropFull] != 5 {
		t.Fatalf("to kernel %+v, want 2 packets, tap_full 1, kernel_full 5 (the lcores')", st.ToKernel)
	}
}

func TestRelayCopiesARPToTheKernel(t *testing.T) {
	f := newFakeTaps()
	r, ks, _ := newTestRelay(f)
	arp := []byte("arp-reply")
	r.copyARP(0, arp)
	r.copyARP(1, arp) // no kernel interface on port 1
	arp[0] = 'X'      // the slow path may answer in place: the kernel has its own copy
	r.flush()
	if got := fmt.Sprint(f.written); got != "map[10:[arp-reply]]" {
		t.Fatalf("taps took %s", got)
	}
	f.noMbuf = true
	r.copyARP(2, arp)
	r.flush()
	if st := ks[1].status(0, 0); st.ToKernel.Drops[KernelDropNoMbuf] != 1 || st.ToKernel.Packets != 0 {
		t.Fatalf("dmz to kernel %+v, want no_mbuf 1", st.ToKernel)
	}
}

func TestRelayHandsTheKernelsFramesToAnLcore(t *testing.T) {
	f := newFakeTaps()
	r, ks, rings := newTestRelay(f)
	full := fastpath.FromKernelResult{Pkts: relayBurst - 2, Bytes: 6400, RingFull: 1, MultiSeg: 1}
	f.sent[10] = []fastpath.FromKernelResult{full, full, {Pkts: 3, Bytes: 300}, {Pkts: 9}}
	f.sent[12] = []fastpath.FromKernelResult{{Pkts: 1, Bytes: 60}}
	if n := r.receive(); n != 2*relayBurst+3+1 {
		t.Fatalf("receive moved %d frames, want %d", n, 2*relayBurst+3+1)
	}
	// tap 10 was read until a short burst; the last result waits
	if len(f.sent[10]) != 1 || len(f.rings[10]) != 3 {
		t.Fatalf("tap 10 read %d times, %d results left", len(f.rings[10]), len(f.sent[10]))
	}
	// port i's frames go through lcore i mod 3: one tap's keep their order
	for tap, want := range map[uint16]unsafe.Pointer{10: rings[0], 12: rings[2]} {
		for _, ring := range f.rings[tap] {
			if ring != want {
				t.Fatalf("tap %d's frames went to another lcore's ring", tap)
			}
		}
	}
	st := ks[0].status(0, 7)
	fk := st.FromKernel
	if fk.Packets != 2*(relayBurst-2)+3 || fk.Bytes != 2*6400+300 || fk.Drops[KernelDropInjectFull] != 2 || fk.Drops[KernelDropMultiSeg] != 2 || fk.Drops[KernelDropNoMbuf] != 7 {
		t.Fatalf("wan from kernel %+v", fk)
	}
	if fk := ks[1].status(0, 0).FromKernel; fk.Packets != 1 || fk.Bytes != 60 {
		t.Fatalf("dmz from kernel %+v", fk)
	}
}

// fromKernelBursts bounds what one tap takes of an iteration.
func TestRelayBoundsBurstsPerIteration(t *testing.T) {
	f := newFakeTaps()
	r, _, _ := newTestRelay(f)
	for range 2 * fromKernelBursts {
		f.sent[10] = append(f.sent[10], fastpath.FromKernelResult{Pkts: relayBurst})
	}
	if n := r.receive(); n != fromKernelBursts*relayBurst {
		t.Fatalf("one receive moved %d frames, want at most %d", n, fromKernelBursts*relayBurst)
	}
}

func TestRelayWithoutLcores(t *testing.T) {
	r := newKernelRelay(newFakeTaps(), 1, []*kernelPort{{index: 0, tap: 1, rxFD: -1}}, nil)
	if n := r.receive(); n != 0 {
		t.Fatalf("receive without inject rings moved %d", n)
	}
}

// Every drop reason is reported, zero or not, so dashboards see 0.
func TestKernelStatusHasEveryReason(t *testing.T) {
	st := (&kernelPort{name: "k", port: "p"}).status(0, 0)
	for _, r := range []string{KernelDropFull, KernelDropTapFull, KernelDropNoMbuf} {
		if _, ok := st.ToKernel.Drops[r]; !ok {
			t.Errorf("to-kernel drops lack %s", r)
		}
	}
	for _, r := range []string{KernelDropInjectFull, KernelDropMultiSeg, KernelDropNoMbuf} {
		if _, ok := st.FromKernel.Drops[r]; !ok {
			t.Errorf("from-kernel drops lack %s", r)
		}
	}
}

// The slow path sleeps on the taps' rx fds: a frame from the kernel
// (here: a byte in a pipe) ends the nap at once; without fds it naps on
// its timer instead.
func TestRelaySleepWakesOnKernelFrames(t *testing.T) {
	if newKernelRelay(newFakeTaps(), 1, []*kernelPort{{index: 0, rxFD: -1}}, nil).sleep(time.Hour) {
		t.Fatal("slept without an fd to wake on")
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	r := newKernelRelay(newFakeTaps(), 1, []*kernelPort{{index: 0, rxFD: p[0]}}, nil)
	start := time.Now()
	if !r.sleep(20 * time.Millisecond) {
		t.Fatal("did not sleep on the fd")
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("an idle nap of 20ms ended after %v", d)
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		unix.Write(p[1], []byte{1})
	}()
	start = time.Now()
	r.sleep(5 * time.Second)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("a frame from the kernel did not end a 5s nap (%v)", d)
	}
}
