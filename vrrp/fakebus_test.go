package vrrp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/command"
)

// segment is an in-memory Ethernet segment: every message sent by one
// attached conn reaches every other one (multicast to Group, or unicast to
// its address) as the kernel would hand it over: TTL 255, TOS 0xC0, the
// sender's address as source.
type segment struct {
	mu    sync.Mutex
	conns []*fakeConn
}

func (s *segment) attach(addr string) *fakeConn {
	c := &fakeConn{seg: s, addr: netip.MustParseAddr(addr), in: make(chan Packet, 256), done: make(chan struct{})}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	return c
}

// fakeConn is one router's Conn on a segment.
type fakeConn struct {
	seg   *segment
	addr  netip.Addr
	in    chan Packet
	done  chan struct{}
	once  sync.Once
	muted atomic.Bool // sends are lost (a one-way failure)

	mu       sync.Mutex
	deadline time.Time
}

var errConnClosed = errors.New("fake conn closed")

type deadlineErr struct{}

func (deadlineErr) Error() string { return "i/o timeout" }
func (deadlineErr) Timeout() bool { return true }

func (c *fakeConn) Send(msg []byte, dst netip.Addr) error {
	select {
	case <-c.done:
		return errConnClosed
	default:
	}
	if c.muted.Load() {
		return nil
	}
	c.seg.mu.Lock()
	defer c.seg.mu.Unlock()
	for _, o := range c.seg.conns {
		if o == c || (dst != Group && dst != o.addr) {
			continue
		}
		select {
		case o.in <- Packet{Msg: slices.Clone(msg), Src: c.addr, Dst: dst, TTL: AdvertTTL, TOS: tos}:
		default: // a receiver this far behind loses packets, as a socket would
		}
	}
	return nil
}

func (c *fakeConn) Recv(buf []byte) (Packet, error) {
	c.mu.Lock()
	d := c.deadline
	c.mu.Unlock()
	var timeout <-chan time.Time
	if !d.IsZero() {
		t := time.NewTimer(time.Until(d))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case p := <-c.in:
		n := copy(buf, p.Msg)
		p.Msg = buf[:n]
		return p, nil
	case <-timeout:
		return Packet{}, deadlineErr{}
	case <-c.done:
		return Packet{}, errConnClosed
	}
}

func (c *fakeConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}

func (c *fakeConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return nil
}

// nextAdvert reads the next valid advert for vrid seen on a sniffer conn.
func (c *fakeConn) nextAdvert(t *testing.T, vrid uint8, within time.Duration) (Advert, netip.Addr) {
	t.Helper()
	buf := make([]byte, 1500)
	c.SetReadDeadline(time.Now().Add(within))
	for {
		p, err := c.Recv(buf)
		if err != nil {
			t.Fatalf("no advert for VRID %d within %v: %v", vrid, within, err)
		}
		a, err := Parse(p.Msg, p.Src, p.Dst, p.TTL)
		if err == nil && a.VRID == vrid {
			return a, p.Src
		}
	}
}

// drain forgets what a sniffer has seen so far.
func (c *fakeConn) drain() {
	for {
		select {
		case <-c.in:
		default:
			return
		}
	}
}

// notifyLog is a fake command.Runner recording the commands run, in order.
type notifyLog struct {
	mu  sync.Mutex
	ran []string
}

func (l *notifyLog) run(_ context.Context, cmd string, env []string, args ...string) command.Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := cmd
	if len(args) > 0 {
		s += " " + strings.Join(args, " ")
	}
	l.ran = append(l.ran, s+" "+fmt.Sprint(env))
	return command.Result{}
}

func (l *notifyLog) got() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ran)
}

// transitions records OnTransition calls.
type transitions struct {
	mu  sync.Mutex
	got []Transition
}

func (r *transitions) record(t Transition) {
	r.mu.Lock()
	r.got = append(r.got, t)
	r.mu.Unlock()
}

func (r *transitions) list() []Transition {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// path is the states a recorder went through: "init>backup>master".
func (r *transitions) path() string {
	l := r.list()
	if len(l) == 0 {
		return ""
	}
	parts := []string{l[0].From.String()}
	for _, t := range l {
		parts = append(parts, t.To.String())
	}
	return strings.Join(parts, ">")
}

// eventually polls cond until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not %s within %v", what, within)
		}
	}
}

// fakeRouter is one instance on a segment, running until stopped.
type fakeRouter struct {
	in     *Instance
	conn   *fakeConn
	hooks  *recordHooks
	trans  *transitions
	cancel context.CancelFunc
	done   chan error
}

// fakeConfig is a VRRPv3 instance with 100 ms adverts for VRID vrid.
func fakeConfig(name string, vrid uint8, addr string, prio uint8, vip string) InstanceConfig {
	return InstanceConfig{Name: name, VRID: vrid, Addrs: []netip.Addr{netip.MustParseAddr(vip)},
		Machine: Config{Version: 3, Priority: prio, AdvertInterval: fakeInterval, PrimaryAddr: netip.MustParseAddr(addr)}}
}

const fakeInterval = 100 * time.Millisecond

// newFakeRouter builds (but does not run) an instance on seg.
func newFakeRouter(t *testing.T, seg *segment, cfg InstanceConfig) *fakeRouter {
	t.Helper()
	r := &fakeRouter{conn: seg.attach(cfg.Machine.PrimaryAddr.String()), hooks: &recordHooks{}, trans: &transitions{}}
	user := cfg.OnTransition
	cfg.OnTransition = func(tr Transition) {
		r.trans.record(tr)
		if user != nil {
			user(tr)
		}
	}
	var err error
	if r.in, err = NewInstance(cfg, r.conn, r.hooks, quietLog()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.stop)
	return r
}

func (r *fakeRouter) start() *fakeRouter {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan error, 1)
	go func() { r.done <- r.in.Run(ctx) }()
	return r
}

// stop stops gracefully (a master sends priority 0).
func (r *fakeRouter) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}

// kill silences the router at once, as SIGKILL would.
func (r *fakeRouter) kill() {
	r.conn.Close()
	r.stop()
}

func (r *fakeRouter) state() State { return r.in.Status().State }
