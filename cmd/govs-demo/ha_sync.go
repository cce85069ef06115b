package main

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// The HA demo's connection sync (issue 12): long-lived connections to the
// echo service, opened through director 1, must live through both
// failovers on their real server, because director 1 synced them to
// director 2 and director 2 back to the restarted director 1.

const (
	haEchoPort  = 7000 // the demo configurations' echo service
	haLongLived = 10
)

// syncEnabled: both configurations run connection sync.
func (d *haDemo) syncEnabled() bool {
	return d.dirs[0].cfg.Sync.Enabled && d.dirs[1].cfg.Sync.Enabled
}

func (d *haDemo) echoTarget() string {
	return netip.AddrPortFrom(d.dirs[0].topo.httpVIP.Addr(), haEchoPort).String()
}

// openLongLived opens the connections and waits until director 2 holds
// every one of them (synced, no packet of them seen there).
func (d *haDemo) openLongLived() error {
	if !d.syncEnabled() {
		return nil
	}
	l, err := netlab.StartLongLived(d.lab.Client, netlab.LongLivedSpec{Target: d.echoTarget(), Conns: haLongLived,
		Interval: 50 * time.Millisecond, For: 50 * time.Second})
	if err != nil {
		return err
	}
	d.long = l
	step("%d long-lived connections to %s (a message every 50 ms each), answered by %v", haLongLived, d.echoTarget(), longLivedServers(l.Snapshot()))
	var n, synced int
	err = pollFor(d.ctx, d.dirs[1].proc, 50*time.Millisecond, 5*time.Second, func() (bool, error) {
		n, synced, err = d.echoConns(d.dirs[1])
		return n >= haLongLived, err
	})
	if err != nil {
		return fmt.Errorf("director 2 holds %d of the %d long-lived connections: %w", n, haLongLived, err)
	}
	step("director 2 (BACKUP) holds all %d, synced from director 1 (%d not yet seen a packet there)", n, synced)
	return govsctl(d.ctx, d.o.govsctl, d.dirs[1].topo.socket, "sync")
}

// echoConns counts h's ESTABLISHED echo connections.
func (d *haDemo) echoConns(h *haDirector) (n, synced int, err error) {
	vp := netip.MustParseAddrPort(d.echoTarget())
	err = h.cl.EachConnPage(admin.ConnFilter{Proto: "tcp", Virtual: vp, State: "ESTABLISHED"}, func(p admin.ConnPage) error {
		for _, c := range p.Conns {
			n++
			if c.Synced {
				synced++
			}
		}
		return nil
	})
	return n, synced, err
}

// checkLongLived waits until every connection has exchanged messages
// since before and fails unless all of them live on their first server.
func (d *haDemo) checkLongLived(what string) error {
	if d.long == nil {
		return nil
	}
	now := d.long.AwaitExchanges(d.ctx, d.long.Snapshot(), 2, 3*time.Second)
	alive, err := netlab.LongLivedAlive(now)
	step("long-lived connections after %s: %d of %d alive on the server they started on", what, alive, haLongLived)
	if alive != haLongLived {
		return fmt.Errorf("%d of %d long-lived connections lost %s:\n%v", haLongLived-alive, haLongLived, what, err)
	}
	return nil
}

func longLivedServers(cs []netlab.LongLivedConn) map[string]int {
	by := map[string]int{}
	for _, c := range cs {
		by[c.Server]++
	}
	return by
}

// showSync prints govsctl sync of both directors.
func (d *haDemo) showSync() error {
	if !d.syncEnabled() {
		return nil
	}
	for _, h := range d.dirs {
		step("%s: govsctl sync", h.name)
		if err := govsctl(d.ctx, d.o.govsctl, h.topo.socket, "sync"); err != nil {
			return fmt.Errorf("%s: %w", h.name, err)
		}
	}
	return nil
}
