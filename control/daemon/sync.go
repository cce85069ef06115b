package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/control/connsync"
	"github.com/govs-project/govs/dataplane"
)

// Connection synchronisation (issue 12): IPVS's sync daemon, following a
// VRRP instance or sync group as keepalived's lvs_sync_daemon does. While
// master, the lcores emit records (dataplane.SetSyncSend) that a pump
// moves into the sender, which batches and paces them into IPVS version 1
// messages; a full-table resync, bounded in rate, repairs what was
// dropped and keeps the backups' timers from running out. While backup,
// received messages are checked and their connections handed to the
// lcores that own them.

const (
	syncPumpEvery  = 2 * time.Millisecond // how often the lcores' rings are drained
	syncPumpBatch  = 4096                 // records taken per drain call
	syncResyncPage = 1024                 // table records read per resync step
	// resyncRequestGap: resync requests this close together share one
	// resync (every backup asks when it starts or becomes backup).
	resyncRequestGap = time.Second
)

// syncDataplane is what connection sync needs of the dataplane.
type syncDataplane interface {
	SyncEnabled() bool
	SetSyncSend(on bool)
	SyncTake(out []dataplane.SyncRecord) int
	SyncDeliver(recs []dataplane.SyncRecord) int
	SyncTable(cursor dataplane.ConnCursor, max int) ([]dataplane.SyncRecord, dataplane.ConnCursor, bool)
	SyncCounters() dataplane.SyncCounters
}

var _ syncDataplane = (*dataplane.Dataplane)(nil)

type syncRunner struct {
	d      *Daemon
	log    *slog.Logger
	cfg    config.Sync
	ifname string

	tr     connsync.Transport
	sender *connsync.Sender
	recv   *connsync.Receiver

	master     atomic.Bool
	mu         sync.Mutex // guards since, lastResync, resyncRuns, lastKick
	since      time.Time
	lastResync time.Time
	resyncRuns uint64
	lastKick   time.Time // the last resync a request started

	kick   chan struct{} // start a resync now
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// withSync runs use with the dataplane's sync side, unless it has none or
// has stopped.
func (s *syncRunner) withSync(use func(syncDataplane)) bool {
	return s.d.withDataplane(func() {
		if sd, ok := s.d.dp.(syncDataplane); ok && sd.SyncEnabled() {
			use(sd)
		}
	})
}

// startSync opens the sync socket on the configured port's kernel
// interface and starts the sender, the receiver and the role that follows
// VRRP. Without a sync section it does nothing.
func (d *Daemon) startSync() error {
	cfg := d.cfg.Load()
	if !cfg.Sync.Enabled {
		return nil
	}
	s, err := newSyncRunner(d, cfg)
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	d.syncer.Store(s)
	s.start()
	return nil
}

func (d *Daemon) stopSync() {
	if s := d.syncer.Load(); s != nil {
		s.stop()
	}
}

func newSyncRunner(d *Daemon, cfg *config.Config) (*syncRunner, error) {
	sc := cfg.Sync
	var port *config.Port
	for i := range cfg.Ports {
		if cfg.Ports[i].Name == sc.Port {
			port = &cfg.Ports[i]
		}
	}
	if port == nil || !port.Kernel.Enabled {
		return nil, fmt.Errorf("port %q has no kernel interface", sc.Port)
	}
	tr, err := connsync.OpenUDP(connsync.UDPConfig{Interface: port.Kernel.Name, Source: port.Address.Addr(),
		Group: sc.Group, Peers: sc.UnicastPeers, Port: uint16(sc.UDPPort), TTL: sc.TTL, Receive: true})
	if err != nil {
		return nil, err
	}
	var key []byte
	if len(sc.AuthKey) > 0 {
		key = []byte(sc.AuthKey)
	}
	s := &syncRunner{d: d, log: d.log, cfg: sc, ifname: port.Kernel.Name, tr: tr, kick: make(chan struct{}, 1)}
	s.sender = connsync.NewSender(connsync.SenderConfig{SyncID: uint8(sc.SyncID), MaxMessage: sc.MessageSize(port.MTU),
		Rate: sc.MaxRate, Queue: sc.Queue, FlushDelay: sc.FlushDelay, ResyncRate: sc.ResyncRate, Key: key}, tr)
	s.recv = connsync.NewReceiver(connsync.ReceiverConfig{SyncID: uint8(sc.SyncID), Key: key, ReplayWindow: sc.ReplayWindow,
		Backup: func() bool { return !s.master.Load() }, OnResyncRequest: s.onResyncRequest}, &syncSink{s: s})
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

func (s *syncRunner) start() {
	s.setMaster(s.wantMaster(), "start")
	s.wg.Add(4)
	go func() { defer s.wg.Done(); s.sender.Run(s.ctx) }() //nolint:errcheck // ends with ctx
	go func() { defer s.wg.Done(); s.receive() }()
	go func() { defer s.wg.Done(); s.pump() }()
	go func() { defer s.wg.Done(); s.resync() }()
	s.followVRRP()
}

func (s *syncRunner) stop() {
	s.cancel()
	s.tr.Close()
	s.wg.Wait()
	s.withSync(func(sd syncDataplane) { sd.SetSyncSend(false) })
}

// setMaster switches the role: the lcores emit only while master, and a
// new master resyncs its whole table at once (what it holds may have come
// from the old master, and a returning director needs all of it).
func (s *syncRunner) setMaster(on bool, why string) {
	if s.master.Swap(on) == on && why != "start" {
		return
	}
	s.withSync(func(sd syncDataplane) { sd.SetSyncSend(on) })
	s.mu.Lock()
	s.since = time.Now()
	s.mu.Unlock()
	role := "backup"
	if on {
		role = "master"
		select {
		case s.kick <- struct{}{}:
		default:
		}
	} else {
		s.askForTable()
	}
	s.log.Info("sync: role", "role", role, "follows", s.follows(), "why", why)
	s.d.publishSyncRole(role, s.follows())
}

// receive reads messages until the socket closes. The receiver enters
// connections only while backup (a master's table is the reference) and
// passes resync requests on while master.
func (s *syncRunner) receive() {
	s.recv.Run(s.ctx, s.tr) //nolint:errcheck // ends when the socket closes
}

// onResyncRequest: a backup asked for the whole table (it just started or
// just became backup). A master resyncs at once; requests closer than
// resyncRequestGap to the last resync start are served by it.
func (s *syncRunner) onResyncRequest(src netip.Addr) {
	if !s.master.Load() {
		return
	}
	s.mu.Lock()
	recent := time.Since(s.lastKick) < resyncRequestGap
	if !recent {
		s.lastKick = time.Now()
	}
	s.mu.Unlock()
	if recent {
		return
	}
	s.log.Info("sync: resync requested", "by", src)
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// askForTable sends a resync request, as a director that became backup.
func (s *syncRunner) askForTable() {
	if err := s.sender.RequestResync(); err != nil {
		s.log.Warn("sync: resync request", "err", err)
	}
}

// pump moves what the lcores emitted into the sender; what it cannot
// take is counted there (queue_full), the ring's own overflow on the
// lcores (ring_full).
func (s *syncRunner) pump() {
	t := time.NewTicker(syncPumpEvery)
	defer t.Stop()
	recs := make([]dataplane.SyncRecord, syncPumpBatch)
	conns := make([]connsync.Conn, 0, syncPumpBatch)
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		for {
			n := 0
			s.withSync(func(sd syncDataplane) { n = sd.SyncTake(recs) })
			if n == 0 {
				break
			}
			conns = conns[:0]
			for _, r := range recs[:n] {
				conns = append(conns, wireConn(r))
			}
			s.sender.Offer(conns)
			if n < len(recs) {
				break
			}
		}
	}
}

// resync sends the whole table every resync_period while master, and at
// once on becoming master, at the sender's resync rate.
func (s *syncRunner) resync() {
	var tick <-chan time.Time
	if s.cfg.ResyncPeriod > 0 {
		t := time.NewTicker(s.cfg.ResyncPeriod)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick:
		case <-s.kick:
			s.mu.Lock()
			s.lastKick = time.Now()
			s.mu.Unlock()
		}
		if s.master.Load() {
			s.resyncOnce()
		}
	}
}

func (s *syncRunner) resyncOnce() {
	var cursor dataplane.ConnCursor
	conns := make([]connsync.Conn, 0, syncResyncPage)
	for s.master.Load() && s.ctx.Err() == nil {
		var recs []dataplane.SyncRecord
		done := true
		if !s.withSync(func(sd syncDataplane) { recs, cursor, done = sd.SyncTable(cursor, syncResyncPage) }) {
			return
		}
		conns = conns[:0]
		for _, r := range recs {
			conns = append(conns, wireConn(r))
		}
		for len(conns) > 0 {
			n := s.sender.OfferResync(conns)
			conns = conns[n:]
			if len(conns) == 0 {
				break
			}
			select { // the resync queue is full: the sender paces it
			case <-s.ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
			if !s.master.Load() {
				return
			}
		}
		if done {
			break
		}
	}
	s.mu.Lock()
	s.lastResync = time.Now()
	s.resyncRuns++
	s.mu.Unlock()
}

func (s *syncRunner) follows() string {
	switch {
	case s.cfg.VRRPInstance != "":
		return "instance " + s.cfg.VRRPInstance
	case s.cfg.VRRPSyncGroup != "":
		return "group " + s.cfg.VRRPSyncGroup
	}
	return "role"
}

// syncSink is the receiver's way into the dataplane.
type syncSink struct {
	s    *syncRunner
	recs []dataplane.SyncRecord
	svcs atomic.Pointer[syncServices]
}

func (k *syncSink) Check(c *connsync.Conn) string {
	if _, why := recordOf(*c); why != "" {
		return why
	}
	return k.services().check(c)
}

func (k *syncSink) Insert(cs []connsync.Conn) int {
	k.recs = k.recs[:0]
	for _, c := range cs {
		if r, why := recordOf(c); why == "" {
			k.recs = append(k.recs, r)
		}
	}
	n := 0
	k.s.withSync(func(sd syncDataplane) { n = sd.SyncDeliver(k.recs) })
	return n
}

// services is the configured services' index, rebuilt when the
// configuration changed.
func (k *syncSink) services() *syncServices {
	cfg := k.s.d.cfg.Load()
	if cur := k.svcs.Load(); cur != nil && cur.cfg == cfg {
		return cur
	}
	ss := newSyncServices(cfg)
	k.svcs.Store(ss)
	return ss
}

type svcKey struct {
	vip   netip.Addr
	proto uint8
	port  uint16
}

// syncServices answers whether a received connection belongs to a
// configured service and real server.
type syncServices struct {
	cfg    *config.Config
	dests  map[svcKey]map[netip.AddrPort]bool
	groups map[netip.Addr]bool // VIPs with a persistence group
}
