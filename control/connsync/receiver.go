package connsync

import (
	"context"
	"errors"
	"net/netip"
	"sort"
	"sync"
	"time"
)

// Sink is where a receiver's connections go: the dataplane.
type Sink interface {
	// Check: "" when the dataplane can hold c, else why not (a counter
	// label such as no_service or no_dest).
	Check(c *Conn) string
	// Insert hands over the accepted records of one message and returns
	// how many were taken (the rest: insert_full).
	Insert(cs []Conn) int
}

// ReceiverConfig sets a Receiver up.
type ReceiverConfig struct {
	SyncID       uint8
	Key          []byte // nil: plain IPVS messages; else only authenticated ones
	ReplayWindow int    // 1..64 messages per sender (0: 64)
	Now          func() time.Time
	// OnResyncRequest is called for a valid resync request (the daemon
	// resyncs if it is master); nil ignores them.
	OnResyncRequest func(src netip.Addr)
	// Backup says whether connections are entered now: a master ignores
	// them (counted as_master), its table being the reference. nil: always.
	Backup func() bool
}

// PeerStats is what one sender sent us.
type PeerStats struct {
	Addr     netip.Addr
	Messages uint64
	LastSeq  uint64
	LastSeen time.Time
}

// ReceiverStats are a Receiver's counters.
type ReceiverStats struct {
	Messages, Records, Inserted uint64
	Rejected                    map[string]uint64 // messages and records refused, by reason
	LastMessage                 time.Time
	Peers                       []PeerStats
}

// maxPeers bounds the senders tracked; beyond, the longest silent is
// forgotten (its replay window with it).
const maxPeers = 64

type peer struct {
	PeerStats
	window replayWindow
}

// Receiver validates messages and hands their connections to a Sink.
type Receiver struct {
	cfg  ReceiverConfig
	sink Sink

	mu    sync.Mutex
	st    ReceiverStats
	peers map[netip.Addr]*peer
	conns []Conn
}

// NewReceiver makes a receiver for sink.
func NewReceiver(cfg ReceiverConfig, sink Sink) *Receiver {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ReplayWindow <= 0 || cfg.ReplayWindow > 64 {
		cfg.ReplayWindow = 64
	}
	return &Receiver{cfg: cfg, sink: sink, peers: map[netip.Addr]*peer{}, st: ReceiverStats{Rejected: map[string]uint64{}}}
}

// Handle takes one datagram from src. It never panics on any input.
func (r *Receiver) Handle(msg []byte, src netip.Addr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.Messages++
	if err := r.handle(msg, src); err != nil {
		r.st.Rejected[ReasonOf(err)]++
	}
}

func (r *Receiver) handle(msg []byte, src netip.Addr) error {
	h, err := ParseHeader(msg)
	if err != nil {
		return err
	}
	// as the kernel: a backup of sync id 0 takes every id
	if r.cfg.SyncID != 0 && h.SyncID != r.cfg.SyncID {
		return refuse("bad_syncid", "sync id %d, ours is %d", h.SyncID, r.cfg.SyncID)
	}
	body, seq := msg, uint64(0)
	switch {
	case h.Spare&SpareAuth != 0 && r.cfg.Key == nil:
		return refuse("unexpected_auth", "an authenticated message and no key configured")
	case h.Spare&SpareAuth == 0 && r.cfg.Key != nil:
		return refuse("unauthenticated", "a message without authentication")
	case h.Spare&^(SpareAuth|SpareResyncRequest) != 0:
		return refuse("bad_spare", "spare field %#x", h.Spare)
	case r.cfg.Key != nil:
		if seq, body, err = verify(r.cfg.Key, msg); err != nil {
			return err
		}
	}
	p := r.peer(src)
	if r.cfg.Key != nil && !p.window.accept(seq, r.cfg.ReplayWindow) {
		return refuse("replay", "sequence %d from %v seen or older than the window", seq, src)
	}
	now := r.cfg.Now()
	p.Messages++
	p.LastSeq, p.LastSeen = seq, now
	r.st.LastMessage = now
	if h.Spare&SpareResyncRequest != 0 {
		if h.Conns != 0 || len(body) != HeaderLen {
			return refuse("bad_resync_request", "a resync request with %d records", h.Conns)
		}
		if r.cfg.OnResyncRequest != nil {
			r.cfg.OnResyncRequest(src)
		}
		return nil
	}
	if r.cfg.Backup != nil && !r.cfg.Backup() {
		return refuse("as_master", "connections heard while master are not entered")
	}
	r.conns = r.conns[:0]
	err = DecodeRecords(body[HeaderLen:], int(h.Conns), func(c *Conn) {
		r.st.Records++
		if why := r.sink.Check(c); why != "" {
			r.st.Rejected[why]++
			return
		}
		r.conns = append(r.conns, *c)
	}, func(reason string) {
		r.st.Records++
		r.st.Rejected[reason]++
	})
	if err != nil {
		return err // a malformed message: none of it is entered
	}
	if len(r.conns) > 0 {
		n := r.sink.Insert(r.conns)
		r.st.Inserted += uint64(n)
		if n < len(r.conns) {
			r.st.Rejected["insert_full"] += uint64(len(r.conns) - n)
		}
	}
	return nil
}

// peer is src's state, made (evicting the longest silent) if new.
func (r *Receiver) peer(src netip.Addr) *peer {
	if p, ok := r.peers[src]; ok {
		return p
	}
	if len(r.peers) >= maxPeers {
		var old *peer
		for _, p := range r.peers {
			if old == nil || p.LastSeen.Before(old.LastSeen) {
				old = p
			}
		}
		delete(r.peers, old.Addr)
	}
	p := &peer{PeerStats: PeerStats{Addr: src}}
	r.peers[src] = p
	return p
}

// Stats copies the counters.
func (r *Receiver) Stats() ReceiverStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	st.Rejected = make(map[string]uint64, len(r.st.Rejected))
	for k, v := range r.st.Rejected {
		st.Rejected[k] = v
	}
	st.Peers = nil
	for _, p := range r.peers {
		st.Peers = append(st.Peers, p.PeerStats)
	}
	sort.Slice(st.Peers, func(i, j int) bool { return st.Peers[i].Addr.Less(st.Peers[j].Addr) })
	return st
}

// Run reads t until ctx is done or t is closed.
func (r *Receiver) Run(ctx context.Context, t Transport) error {
	buf := make([]byte, 65536)
	for {
		n, src, err := t.Recv(buf)
		if err != nil {
			if errors.Is(err, ErrClosed) || ctx.Err() != nil {
				return nil
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		r.Handle(buf[:n], src)
	}
}
