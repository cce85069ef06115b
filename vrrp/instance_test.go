package vrrp

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// recordHooks records what the instance did with its addresses.
type recordHooks struct {
	mu     sync.Mutex
	master bool
	calls  []string
}

func (h *recordHooks) BecomeMaster() {
	h.mu.Lock()
	h.master = true
	h.calls = append(h.calls, "master")
	h.mu.Unlock()
}
func (h *recordHooks) Release(to State) {
	h.mu.Lock()
	h.master = false
	h.calls = append(h.calls, "release:"+to.String())
	h.mu.Unlock()
}
func (h *recordHooks) isMaster() bool { h.mu.Lock(); defer h.mu.Unlock(); return h.master }

type runningInstance struct {
	in     *Instance
	hooks  *recordHooks
	tr     *Transport
	cancel context.CancelFunc
	done   chan error
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startInstance runs a VRID 51 instance for 10.77.0.100 on ifname in ns.
func startInstance(t *testing.T, ns *netlab.NS, ifname, addr string, version uint8, prio uint8, interval time.Duration, nopreempt bool) *runningInstance {
	t.Helper()
	src := netip.MustParseAddr(addr)
	var tr *Transport
	if err := ns.Do(func() (err error) { tr, err = Open(ifname, src); return err }); err != nil {
		t.Fatal(err)
	}
	cfg := InstanceConfig{Name: "VI_51", VRID: 51, Addrs: []netip.Addr{netip.MustParseAddr("10.77.0.100")},
		Machine: Config{Version: version, Priority: prio, AdvertInterval: interval, PrimaryAddr: src, Nopreempt: nopreempt, InitialState: StateBackup}}
	r := &runningInstance{hooks: &recordHooks{}, tr: tr, done: make(chan error, 1)}
	var err error
	if r.in, err = NewInstance(cfg, tr, r.hooks, quietLog()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.in.Run(ctx) }()
	t.Cleanup(func() { r.stop(); tr.Close() })
	return r
}

// stop stops the instance gracefully (priority-0 advert when master).
func (r *runningInstance) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}

// kill makes the instance fall silent at once, as a SIGKILLed process:
// its socket goes first, so not even the priority-0 advert leaves.
func (r *runningInstance) kill() {
	r.tr.Close()
	r.stop()
}

// waitState waits until the instance is in want, and returns when.
func waitState(t *testing.T, r *runningInstance, want State, within time.Duration) time.Time {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(2 * time.Millisecond) {
		if st := r.in.Status(); st.State == want {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance not %v within %v: %+v", want, within, r.in.Status())
		}
	}
}

// Two govs instances (VRRPv3, 100 ms adverts) on a veth pair: the higher
// priority is master and holds the addresses; killed, the backup takes
// over within 3 x advert + skew (+ the stated scheduling margin); the old
// master back takes over again (preempt); a graceful stop hands over
// within skew.
func TestInstancesElectAndFailOver(t *testing.T) {
	t.Parallel()
	a, b := vethPair(t, "i")
	const interval = 100 * time.Millisecond
	const margin = 50 * time.Millisecond
	hi := startInstance(t, a, "va", "10.77.0.1", 3, 150, interval, false)
	lo := startInstance(t, b, "vb", "10.77.0.2", 3, 100, interval, false)
	waitState(t, hi, StateMaster, 5*time.Second)
	waitState(t, lo, StateBackup, time.Second)
	time.Sleep(5 * interval) // a few adverts: the backup stays backup
	if lo.in.Status().State != StateBackup || !hi.hooks.isMaster() || lo.hooks.isMaster() {
		t.Fatalf("after settling: hi %+v, lo %+v", hi.in.Status(), lo.in.Status())
	}
	if st := lo.in.Status(); st.AdvertsReceived == 0 || len(st.Rejected) > 0 && sum(st.Rejected) > 0 {
		t.Errorf("backup's counters: %+v", st)
	}

	killed := time.Now()
	hi.kill()
	took := waitState(t, lo, StateMaster, 3*time.Second).Sub(killed)
	bound := MasterDownInterval(3, 100, interval)
	t.Logf("takeover after SIGKILL-like silence: %v (bound 3 x advert + skew = %v, + margin %v)", took.Round(time.Millisecond), bound, margin)
	if took > bound+margin || !lo.hooks.isMaster() {
		t.Errorf("takeover took %v, bound %v + %v", took, bound, margin)
	}

	back := startInstance(t, a, "va", "10.77.0.1", 3, 150, interval, false)
	waitState(t, back, StateMaster, 5*time.Second)
	waitState(t, lo, StateBackup, time.Second)

	stopped := time.Now()
	back.stop()
	took = waitState(t, lo, StateMaster, 3*time.Second).Sub(stopped)
	skew := SkewTime(3, 100, interval)
	t.Logf("takeover after a graceful stop: %v (bound skew = %v, + margin %v)", took.Round(time.Millisecond), skew, margin)
	if took > skew+margin {
		t.Errorf("takeover after the priority-0 advert took %v, bound %v + %v", took, skew, margin)
	}
}

// With nopreempt the recovered higher priority router stays backup.
func TestInstanceNopreemptStaysBackup(t *testing.T) {
	t.Parallel()
	a, b := vethPair(t, "n")
	const interval = 100 * time.Millisecond
	lo := startInstance(t, b, "vb", "10.77.0.2", 3, 100, interval, false)
	waitState(t, lo, StateMaster, 5*time.Second)
	hi := startInstance(t, a, "va", "10.77.0.1", 3, 150, interval, true)
	waitState(t, hi, StateBackup, time.Second)
	time.Sleep(2 * MasterDownInterval(3, 150, interval))
	if hi.in.Status().State != StateBackup || lo.in.Status().State != StateMaster {
		t.Errorf("nopreempt: hi %v, lo %v; want backup, master", hi.in.Status().State, lo.in.Status().State)
	}
}

func sum(m map[string]uint64) (n uint64) {
	for _, v := range m {
		n += v
	}
	return n
}
