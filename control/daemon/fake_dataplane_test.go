package daemon

import (
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/govs-project/govs/dataplane"
	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/slowpath"
)

// fakeDataplane stands in for a started dataplane. It records the order in
// which calls finish, and every call after Stop (with EAL, a crash).
type fakeDataplane struct {
	mu        sync.Mutex
	applyErr  error
	applied   int
	stopped   bool
	events    []string
	afterStop []string

	announced []netip.Addr
	announces []announceCall
	lastSpec  *dataplane.Spec

	lastConnQuery dataplane.ConnQuery

	// ports, when set, is what Ports reports (link states for tracking);
	// iterations is every lcore's loop counter, which moves on each read
	// unless stalled.
	ports      []dataplane.PortStatus
	iterations uint64
	stalled    bool

	// With inLcores set, Lcores signals it and blocks until release closes.
	inLcores, release chan struct{}
}

var errApply = errors.New(`services[0]: scheduler "lc" not implemented yet`)

func (f *fakeDataplane) event(e string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		f.afterStop = append(f.afterStop, e)
	}
	f.events = append(f.events, e)
}

// record returns the calls in the order they finished, and those after Stop.
func (f *fakeDataplane) record() (events, afterStop []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events), slices.Clone(f.afterStop)
}

func (f *fakeDataplane) Apply(s *dataplane.Spec) error {
	f.event("apply")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastSpec = s
	if f.applyErr != nil {
		return f.applyErr
	}
	f.applied++
	return nil
}

func (f *fakeDataplane) Generation() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return uint64(f.applied)
}

func (f *fakeDataplane) Ports() []dataplane.PortStatus {
	f.event("ports")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ports != nil {
		return slices.Clone(f.ports)
	}
	return []dataplane.PortStatus{{Name: "wan"}}
}

// setLink sets a port's link state as Ports reports it.
func (f *fakeDataplane) setLink(port string, up bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.ports, func(p dataplane.PortStatus) bool { return p.Name == port })
	if i < 0 {
		f.ports = append(f.ports, dataplane.PortStatus{Name: port})
		i = len(f.ports) - 1
	}
	f.ports[i].LinkUp = up
}

type announceCall struct {
	addrs []netip.Addr
	times int
}

func (f *fakeDataplane) Neighbors() []dataplane.NeighborStatus { f.event("neighbors"); return nil }
func (f *fakeDataplane) AnnounceTimes(addrs []netip.Addr, times int) error {
	f.event("announce")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.announced = append(f.announced, addrs...)
	f.announces = append(f.announces, announceCall{slices.Clone(addrs), times})
	return nil
}

// announceCalls returns the AnnounceTimes calls so far.
func (f *fakeDataplane) announceCalls() []announceCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.announces)
}

// spec returns the last snapshot applied.
func (f *fakeDataplane) spec() *dataplane.Spec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastSpec
}

func (f *fakeDataplane) KernelInterfaces() []dataplane.KernelStatus {
	f.event("kernel")
	return []dataplane.KernelStatus{{Name: "govs-wan", Port: "wan", ToKernel: dataplane.KernelTraffic{Packets: 3, Bytes: 180}}}
}

func (f *fakeDataplane) Services() []dataplane.ServiceStatus {
	f.event("services")
	return []dataplane.ServiceStatus{{Name: "dns", Proto: 17, Port: 53, Scheduler: "rr"}}
}

func (f *fakeDataplane) Lcores() []dataplane.LcoreStatus {
	if f.inLcores != nil {
		f.inLcores <- struct{}{}
		<-f.release
	}
	f.event("lcores")
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.stalled {
		f.iterations++
	}
	return []dataplane.LcoreStatus{{Lcore: 1, LcoreStats: fastpath.LcoreStats{Iterations: f.iterations}}}
}

func (f *fakeDataplane) SlowPath() slowpath.Stats { f.event("slowpath"); return slowpath.Stats{} }

func (f *fakeDataplane) Failed() <-chan error { return nil }
func (f *fakeDataplane) ControlCPUs() int     { return 1 }

func (f *fakeDataplane) Stop() error {
	f.event("stop")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	return nil
}

// testDaemon runs over a fake dataplane with the configuration yaml, written
// to a file so that Reload can re-read it.
func testDaemon(t *testing.T, yaml string) (*Daemon, *fakeDataplane, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "govsd.yaml")
	writeConfig(t, path, yaml)
	dp := &fakeDataplane{}
	return newDaemon(path, parse(t, yaml), dp, slog.New(slog.NewTextHandler(io.Discard, nil))), dp, path
}

func writeConfig(t *testing.T, path, yaml string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
}
