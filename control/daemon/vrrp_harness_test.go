package daemon

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/command"
	"github.com/govs-project/govs/vrrp"
)

// fakeConn is a transport on a segment where nobody else speaks: sends
// are counted, receives wait for the deadline.
type fakeConn struct {
	mu       sync.Mutex
	ifname   string
	sent     int
	deadline time.Time
	closed   chan struct{}
	once     sync.Once
}

type timeoutErr struct{}

func (timeoutErr) Error() string { return "i/o timeout" }
func (timeoutErr) Timeout() bool { return true }

func (c *fakeConn) Send([]byte, netip.Addr) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent++
	return nil
}

func (c *fakeConn) Recv([]byte) (vrrp.Packet, error) {
	c.mu.Lock()
	d := time.Until(c.deadline)
	c.mu.Unlock()
	select {
	case <-time.After(max(d, 0)):
		return vrrp.Packet{}, timeoutErr{}
	case <-c.closed:
		return vrrp.Packet{}, errors.New("closed")
	}
}

func (c *fakeConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	return nil
}

func (c *fakeConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// vrrpLab is a daemon over a fake dataplane whose VRRP instances use fake
// transports, a fast tracker and fake track scripts.
type vrrpLab struct {
	d    *Daemon
	dp   *fakeDataplane
	path string
	reg  *prometheus.Registry

	mu      sync.Mutex
	opened  map[string]int // by kernel interface
	scripts map[string]bool
}

func startVRRPLab(t *testing.T, yaml string, prepare ...func(*vrrpLab)) *vrrpLab {
	t.Helper()
	d, dp, path := testDaemon(t, yaml)
	l := &vrrpLab{d: d, dp: dp, path: path, reg: prometheus.NewRegistry(), opened: map[string]int{}, scripts: map[string]bool{}}
	for _, p := range prepare {
		p(l)
	}
	r, err := newVRRPRunner(d, l.reg, d.cfg.Load().VRRP.NotifyTimeout)
	if err != nil {
		t.Fatal(err)
	}
	r.open = func(ifname string, _ netip.Addr) (vrrp.Conn, error) {
		l.mu.Lock()
		l.opened[ifname]++
		l.mu.Unlock()
		return &fakeConn{ifname: ifname, closed: make(chan struct{})}, nil
	}
	r.track.poll = 10 * time.Millisecond
	r.track.runScript = l.runScript
	if err := d.runVRRP(r); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.stopVRRP)
	return l
}

// runScript passes or fails a script by its command, as setScript says.
func (l *vrrpLab) runScript(_ context.Context, cmd string, _ []string, _ ...string) command.Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ok, set := l.scripts[cmd]; set && !ok {
		return command.Result{ExitCode: 1}
	}
	return command.Result{}
}

func (l *vrrpLab) setScript(cmd string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.scripts[cmd] = ok
}

// instance returns the operator's view of one instance.
func (l *vrrpLab) instance(t *testing.T, name string) admin.VRRPInstance {
	t.Helper()
	for _, in := range l.d.VRRP() {
		if in.Name == name {
			return in
		}
	}
	t.Fatalf("no instance %s in %+v", name, l.d.VRRP())
	return admin.VRRPInstance{}
}

// await polls cond for up to 3s.
func await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (l *vrrpLab) awaitState(t *testing.T, name, state string) admin.VRRPInstance {
	t.Helper()
	var in admin.VRRPInstance
	await(t, name+" "+state, func() bool { in = l.instance(t, name); return in.State == state })
	return in
}

func (l *vrrpLab) openedCount(ifname string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.opened[ifname]
}

func (l *vrrpLab) reload(t *testing.T, yaml string) {
	t.Helper()
	writeConfig(t, l.path, yaml)
	if err := l.d.Reload(); err != nil {
		t.Fatal(err)
	}
}
