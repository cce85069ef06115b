package connsync

import (
	"context"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"
)

// chanTransport hands each sent message to a channel (and Recv reads one).
type chanTransport struct {
	ch     chan []byte
	closed chan struct{}
}

func newChanTransport() *chanTransport {
	return &chanTransport{ch: make(chan []byte, 64), closed: make(chan struct{})}
}

func (c *chanTransport) Send(m []byte) error {
	c.ch <- append([]byte(nil), m...)
	return nil
}

func (c *chanTransport) Recv(buf []byte) (int, netip.Addr, error) {
	select {
	case m := <-c.ch:
		return copy(buf, m), src, nil
	case <-c.closed:
		return 0, netip.Addr{}, ErrClosed
	}
}

func (c *chanTransport) Close() error { close(c.closed); return nil }

func TestSenderRunSendsAndStops(t *testing.T) {
	tr := newChanTransport()
	s := NewSender(SenderConfig{SyncID: 7, MaxMessage: 1472, Rate: 100000, FlushDelay: time.Millisecond, Key: testKey}, tr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	start := time.Now()
	s.Offer([]Conn{testConn(1), testConn(2)})
	var msgs [][]byte
	for len(msgs) < 2 {
		select {
		case m := <-tr.ch:
			msgs = append(msgs, m)
		case <-time.After(5 * time.Second):
			t.Fatal("no message within 5 s of an offer")
		}
		s.Offer([]Conn{testConn(3)})
	}
	seq0 := binary.BigEndian.Uint64(msgs[0][len(msgs[0])-TrailerLen:])
	seq1 := binary.BigEndian.Uint64(msgs[1][len(msgs[1])-TrailerLen:])
	if seq0 < uint64(start.Add(-time.Minute).UnixNano()) || seq1 != seq0+1 {
		t.Fatalf("sequence numbers %d, %d: want the start time in ns, then +1", seq0, seq1)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Run did not stop within 1 s of cancel")
	}
}

func TestSenderResyncBoundAndLag(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	s := NewSender(SenderConfig{MaxMessage: 1472, Rate: 1000, Queue: 5, ResyncQueue: 3, FlushDelay: time.Second, Now: clk.now}, &fakeTransport{})
	if n := s.OfferResync(make([]Conn, 10)); n != 3 {
		t.Fatalf("resync took %d, want its bound 3", n)
	}
	if n := s.OfferResync(make([]Conn, 1)); n != 0 {
		t.Fatalf("a full resync queue took %d", n)
	}
	s.Offer(make([]Conn, 2))
	clk.t = clk.t.Add(300 * time.Millisecond)
	st := s.Stats()
	if st.Queued != 2 || st.ResyncQueued != 3 || st.OldestQueued != 300*time.Millisecond || st.Dropped["queue_full"] != 0 {
		t.Fatalf("stats %+v", st)
	}
	if s.step() {
		t.Fatal("a partial message went before FlushDelay")
	}
	if w := s.nextWait(); w != 700*time.Millisecond {
		t.Fatalf("next wait %v, want the 700 ms left of FlushDelay", w)
	}
}

func TestSenderUnlimitedRate(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	tr := &fakeTransport{}
	s := NewSender(SenderConfig{MaxMessage: 8 + 2*36, Queue: 100, FlushDelay: time.Millisecond, Now: clk.now}, tr)
	s.Offer(make([]Conn, 9))
	for s.step() {
	}
	if len(tr.sent) != 4 {
		t.Fatalf("rate 0: %d full messages sent at once, want 4", len(tr.sent))
	}
	clk.t = clk.t.Add(time.Millisecond)
	for s.step() {
	}
	if st := s.Stats(); len(tr.sent) != 5 || st.Records != 9 || st.Bytes != uint64(9*36+5*8) {
		t.Fatalf("after FlushDelay: %d messages, stats %+v", len(tr.sent), st)
	}
}
