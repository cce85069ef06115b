package connsync

import (
	"context"
	"sync"
	"time"
)

// SenderConfig sets a sender's framing and pacing.
type SenderConfig struct {
	SyncID      uint8
	MaxMessage  int           // payload bytes of one datagram (MTU - 28); 0: 1472
	Rate        int           // incremental records per second at most; 0: unlimited
	Queue       int           // incremental records waiting at most; 0: 65536
	ResyncQueue int           // resync records waiting at most; 0: one second of ResyncRate (or Queue)
	FlushDelay  time.Duration // a partly filled message waits at most this long; 0: 10ms
	ResyncRate  int           // resync records per second at most; 0: Rate
	Key         []byte        // shared key; nil: unauthenticated (IPVS)
	Now         func() time.Time
}

// SenderStats are a sender's counters (a copy).
type SenderStats struct {
	Messages, Records, Bytes uint64
	ResyncRecords            uint64
	Queued, ResyncQueued     int
	OldestQueued             time.Duration // age of the oldest waiting record: the lag
	Dropped                  map[string]uint64
	ResyncRequests           uint64 // sent as a backup (RequestResync)
}

type queued struct {
	c  Conn
	at time.Time
}

// fifo is a bounded ring of records.
type fifo struct {
	buf        []queued
	head, size int
}

func (f *fifo) push(q queued) bool {
	if f.size == len(f.buf) {
		return false
	}
	f.buf[(f.head+f.size)%len(f.buf)] = q
	f.size++
	return true
}

func (f *fifo) at(i int) *queued { return &f.buf[(f.head+i)%len(f.buf)] }

func (f *fifo) pop(n int) {
	f.head = (f.head + n) % len(f.buf)
	f.size -= n
}

// bucket is a token bucket of records.
type bucket struct {
	rate   float64 // tokens per second; 0: unlimited
	burst  float64
	tokens float64
	last   time.Time
}

// newBucket holds one message or 10 ms of rate, whichever is more: a
// burst of new connections goes out as full messages at the rate, never as
// a flood of datagrams.
func newBucket(rate, per int, now time.Time) bucket {
	burst := float64(max(per, rate/100, 1))
	return bucket{rate: float64(rate), burst: burst, tokens: burst, last: now}
}

func (b *bucket) refill(now time.Time) {
	if b.rate == 0 {
		return
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(b.burst, b.tokens+dt*b.rate)
	}
	b.last = now
}

// wait is how long until n tokens are there (0: now).
func (b *bucket) wait(n int) time.Duration {
	if b.rate == 0 || b.tokens >= float64(n) {
		return 0
	}
	return time.Duration((float64(n) - b.tokens) / b.rate * float64(time.Second))
}

func (b *bucket) take(n int) {
	if b.rate != 0 {
		b.tokens -= float64(n)
	}
}

// Sender batches the records the dataplane emits into messages and paces
// them: incremental records first, within Rate; the full-table resync
// only when no incremental record waits, within ResyncRate. Offer never
// blocks: what does not fit the queue is dropped and counted, the
// periodic resync repairing it on the backups.
type Sender struct {
	cfg   SenderConfig
	t     Transport
	enc   Encoder
	per   int
	now   func() time.Time
	wake  chan struct{}
	batch []Conn
	buf   []byte

	mu        sync.Mutex
	inc, rsy  fifo
	incTokens bucket
	rsyTokens bucket
	seq       uint64
	stats     SenderStats
}

// NewSender makes a sender writing to t; Run drives it.
func NewSender(cfg SenderConfig, t Transport) *Sender {
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = 1472
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 65536
	}
	if cfg.FlushDelay <= 0 {
		cfg.FlushDelay = 10 * time.Millisecond
	}
	if cfg.ResyncRate <= 0 {
		cfg.ResyncRate = cfg.Rate
	}
	if cfg.ResyncQueue <= 0 {
		// A second of resync: the walker comes back for more as it drains.
		cfg.ResyncQueue = cfg.ResyncRate
		if cfg.ResyncQueue <= 0 {
			cfg.ResyncQueue = cfg.Queue
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	enc := Encoder{SyncID: cfg.SyncID, MaxMessage: cfg.MaxMessage}
	if cfg.Key != nil {
		enc.Trailer = TrailerLen
	}
	s := &Sender{cfg: cfg, t: t, enc: enc, per: max(1, enc.PerMessage()), now: cfg.Now, wake: make(chan struct{}, 1)}
	now := s.now()
	s.incTokens = newBucket(cfg.Rate, s.per, now)
	s.rsyTokens = newBucket(cfg.ResyncRate, s.per, now)
	s.inc.buf = make([]queued, cfg.Queue)
	s.rsy.buf = make([]queued, cfg.ResyncQueue)
	// Starting at the clock in nanoseconds puts a restarted sender ahead
	// of every sequence number its receivers saw from it.
	s.seq = uint64(now.UnixNano())
	s.stats.Dropped = map[string]uint64{}
	s.batch = make([]Conn, 0, s.per)
	return s
}

// PerMessage is how many records one message carries.
func (s *Sender) PerMessage() int { return s.per }

// Offer queues incremental records and returns how many it took; the rest
// are dropped ("queue_full").
func (s *Sender) Offer(cs []Conn) int {
	return s.offer(cs, &s.inc, "queue_full")
}

// OfferResync queues records of the full-table resync and returns how
// many it took; a table walker comes back later for the rest.
func (s *Sender) OfferResync(cs []Conn) int {
	return s.offer(cs, &s.rsy, "")
}

func (s *Sender) offer(cs []Conn, q *fifo, dropReason string) int {
	now := s.now()
	s.mu.Lock()
	n := 0
	for ; n < len(cs) && q.push(queued{cs[n], now}); n++ {
	}
	if n < len(cs) && dropReason != "" {
		s.stats.Dropped[dropReason] += uint64(len(cs) - n)
	}
	s.mu.Unlock()
	if n > 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return n
}

// Stats returns a copy of the counters.
func (s *Sender) Stats() SenderStats {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Queued, st.ResyncQueued = s.inc.size, s.rsy.size
	if s.inc.size > 0 {
		st.OldestQueued = now.Sub(s.inc.at(0).at)
	} else if s.rsy.size > 0 {
		st.OldestQueued = now.Sub(s.rsy.at(0).at)
	}
	st.Dropped = make(map[string]uint64, len(s.stats.Dropped))
	for k, v := range s.stats.Dropped {
		st.Dropped[k] = v
	}
	return st
}

// Run sends until ctx is done.
func (s *Sender) Run(ctx context.Context) error {
	timer := time.NewTimer(idle)
	defer timer.Stop()
	for {
		for s.step() {
			if ctx.Err() != nil {
				return nil
			}
		}
		timer.Reset(s.nextWait())
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// idle is Run's wait when nothing is queued (Offer wakes it).
const idle = time.Hour

// step sends one message if one is due and its tokens are there, and
// reports whether it did (a failed send counts: its records are gone).
func (s *Sender) step() bool {
	now := s.now()
	s.mu.Lock()
	q, tokens, resync := s.pick(now)
	if q == nil {
		s.mu.Unlock()
		return false
	}
	n := min(q.size, s.per)
	if tokens.wait(n) > 0 {
		s.mu.Unlock()
		return false
	}
	tokens.take(n)
	s.batch = s.batch[:0]
	for i := 0; i < n; i++ {
		s.batch = append(s.batch, q.at(i).c)
	}
	q.pop(n)
	spare := uint16(0)
	if s.cfg.Key != nil {
		spare = SpareAuth
	}
	msg := s.enc.Append(s.buf[:0], s.batch, spare)
	if s.cfg.Key != nil {
		s.seq++
		msg = sign(s.cfg.Key, msg, s.seq)
	}
	s.buf = msg
	s.mu.Unlock()

	// Send outside the lock: a slow socket must never block Offer. Only
	// Run's goroutine uses batch and buf.
	err := s.t.Send(msg)

	s.mu.Lock()
	if err != nil {
		s.stats.Dropped["send_error"] += uint64(n)
	} else {
		s.stats.Messages++
		s.stats.Records += uint64(n)
		s.stats.Bytes += uint64(len(msg))
		if resync {
			s.stats.ResyncRecords += uint64(n)
		}
	}
	s.mu.Unlock()
	return true
}

// pick chooses the queue a message is due from: the incremental one when
// it fills a message or its oldest record waited FlushDelay; else the
// resync one, only while no incremental record waits.
func (s *Sender) pick(now time.Time) (*fifo, *bucket, bool) {
	s.incTokens.refill(now)
	s.rsyTokens.refill(now)
	if due(&s.inc, s.per, now, s.cfg.FlushDelay) {
		return &s.inc, &s.incTokens, false
	}
	if s.inc.size == 0 && due(&s.rsy, s.per, now, s.cfg.FlushDelay) {
		return &s.rsy, &s.rsyTokens, true
	}
	return nil, nil, false
}

func due(q *fifo, per int, now time.Time, delay time.Duration) bool {
	return q.size >= per || q.size > 0 && now.Sub(q.at(0).at) >= delay
}

// nextWait is how long Run sleeps when step sent nothing: until a partial
// message's FlushDelay runs out or the tokens of the due one are there.
func (s *Sender) nextWait() time.Duration {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if q, tokens, _ := s.pick(now); q != nil {
		return max(time.Millisecond/10, tokens.wait(min(q.size, s.per)))
	}
	q := &s.inc
	if q.size == 0 {
		q = &s.rsy
	}
	if q.size == 0 {
		return idle
	}
	return max(time.Millisecond/10, s.cfg.FlushDelay-now.Sub(q.at(0).at))
}
