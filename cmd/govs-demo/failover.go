package main

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// failoverRun is what the failure-and-recovery step needs of the demo.
type failoverRun struct {
	ctx     context.Context
	govsd   *netlab.Proc
	lab     *netlab.NATLab
	topo    demoTopo
	cl      *admin.Client
	govsctl string
}

// failoverTimes are the moments the requests are sorted by.
type failoverTimes struct {
	kill    time.Time // the server's HTTP process stopped
	down    time.Time // govsd's server_down event
	out     time.Time // the snapshot without the server seen applied
	restart time.Time // the server's HTTP back
	up      time.Time // govsd's server_up event
	in      time.Time // the snapshot with the server seen applied
}

// eventHead is how long a govsctl events watch runs before the action it
// waits for (see eventWatch).
const eventHead = 300 * time.Millisecond

// backAnswers is how many answers of the restarted server the client loop
// waits for before it stops.
const backAnswers = 5

// showFailover stops one real server's HTTP under a client loop making a
// request every 20 ms, shows govsd taking it out and bringing it back, and
// counts the requests that failed meanwhile: some while govsd detects the
// failure, none once the server is out.
func showFailover(r failoverRun) error {
	f := r.topo.fail
	if !f.valid() {
		step("no tcp or http check on the tcp service: no failure and recovery to show")
		return nil
	}
	victim := labServer(r.lab, f.server)
	if victim == nil || victim.HTTP == nil {
		return fmt.Errorf("failover: no HTTP server of the lab at %v", f.server)
	}
	url := fmt.Sprintf("http://%s/", r.topo.httpVIP)
	loop, err := netlab.StartHTTPLoop(r.lab.Client, netlab.HTTPLoopSpec{URL: url, For: time.Minute})
	if err != nil {
		return err
	}
	defer loop.Stop()
	step("a client loop: GET %s every 20 ms, each on a new connection", url)

	var t failoverTimes
	if err := r.fail(victim, &t); err != nil {
		return fmt.Errorf("failover, %s down: %w", victim.Ident, err)
	}
	if err := govsctl(r.ctx, r.govsctl, r.topo.socket, "list"); err != nil {
		return err
	}
	if err := r.recover(victim, loop, &t); err != nil {
		return fmt.Errorf("failover, %s back: %w", victim.Ident, err)
	}
	if err := reportFailover(loop.Stop(), t, victim.Ident); err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	return govsctl(r.ctx, r.govsctl, r.topo.socket, "checks")
}

// fail stops the victim's HTTP and waits for govsd to take it out: its
// server_down event, then the snapshot without it.
func (r failoverRun) fail(victim *netlab.Server, t *failoverTimes) error {
	c := r.topo.fail.check
	bound := c.Interval + time.Duration(c.Fall-1)*c.RetryDelay + c.Timeout
	var err error
	t.kill, t.down, t.out, err = r.changeAndAwait("server_down", bound, func() error {
		victim.HTTP.Stop()
		step("stopped %s's HTTP server (%v): its process is gone, connections to it are refused", victim.Ident, r.topo.fail.server)
		return nil
	})
	if err != nil {
		return err
	}
	took := t.down.Sub(t.kill)
	step("%s down %v after the kill (bound: interval + (fall-1) x retry_delay + timeout = %v); out of the lcores' snapshot %v later",
		victim.Ident, took.Round(time.Millisecond), bound, t.out.Sub(t.down).Round(time.Millisecond))
	// a loaded 2-core host may start a check late by a few scheduling rounds
	if slack := 250 * time.Millisecond; took > bound+slack {
		return fmt.Errorf("detection took %v, more than %v + %v of slack", took, bound, slack)
	}
	return nil
}

// changeAndAwait makes change to the victim once a watcher listens for
// govsd's events, then waits for the event kind about the victim (within
// bound, plus slack) and for the snapshot that follows it. It returns when
// the change was made, the event's time and when the snapshot was seen.
func (r failoverRun) changeAndAwait(kind string, bound time.Duration, change func() error) (at, event, applied time.Time, err error) {
	gen, err := r.generation()
	if err != nil {
		return at, event, applied, err
	}
	w, err := watchEvent(r.govsctl, r.topo.socket, eventHead+bound+time.Second)
	if err != nil {
		return at, event, applied, err
	}
	defer w.stop()
	if err := sleep(r.ctx, eventHead); err != nil {
		return at, event, applied, err
	}
	if err := change(); err != nil {
		return at, event, applied, err
	}
	at = time.Now()
	ev, err := w.wait(kind, r.topo.fail.server.String())
	if err != nil {
		return at, event, applied, err
	}
	if applied, err = r.waitGeneration(gen); err != nil {
		return at, ev.time, applied, fmt.Errorf("the snapshot after %s: %w", kind, err)
	}
	return at, ev.time, applied, nil
}

// recover restarts the victim's HTTP and waits for govsd to bring it back
// (server_up, the snapshot with it) and for the loop to be served by it.
func (r failoverRun) recover(victim *netlab.Server, loop *netlab.HTTPLoop, t *failoverTimes) error {
	c := r.topo.fail.check
	bound := time.Duration(c.Rise)*c.Interval + c.Timeout
	var err error
	t.restart, t.up, t.in, err = r.changeAndAwait("server_up", bound, func() error {
		if err := victim.HTTP.Start(); err != nil {
			return err
		}
		step("restarted %s's HTTP server", victim.Ident)
		return nil
	})
	if err != nil {
		return err
	}
	step("%s up %v after the restart (%d good checks); back in the lcores' snapshot %v later",
		victim.Ident, t.up.Sub(t.restart).Round(time.Millisecond), c.Rise, t.in.Sub(t.up).Round(time.Millisecond))
	if err := pollFor(r.ctx, r.govsd, 20*time.Millisecond, 3*time.Second, func() (bool, error) {
		return loop.Attempts().Since(t.in).ByServer()[victim.Ident] >= backAnswers, nil
	}); err != nil {
		return fmt.Errorf("waiting for the loop to be answered by %s: %w", victim.Ident, err)
	}
	return nil
}

// generation is the number of snapshots the dataplane has applied; every
// health state change applies one.
func (r failoverRun) generation() (uint64, error) {
	st, err := r.cl.Status()
	return st.Generation, err
}

// waitGeneration waits for a snapshot after generation gen and returns
// when it was seen applied (a few ms at most after it was).
func (r failoverRun) waitGeneration(gen uint64) (time.Time, error) {
	var seen time.Time
	err := pollFor(r.ctx, r.govsd, 2*time.Millisecond, 2*time.Second, func() (bool, error) {
		g, err := r.generation()
		seen = time.Now()
		return g > gen, err
	})
	return seen, err
}

// labServer is the lab's real server whose HTTP service is at ap.
func labServer(lab *netlab.NATLab, ap netip.AddrPort) *netlab.Server {
	for _, s := range lab.Servers {
		if s.HTTP != nil && s.IP == ap.Addr() && int(ap.Port()) == lab.Spec.HTTPPort {
			return s
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
