package connsync

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// lockedSink is a fakeSink safe to read while Run feeds it.
type lockedSink struct {
	mu  sync.Mutex
	got []Conn
	in  chan struct{}
}

func (l *lockedSink) Check(*Conn) string { return "" }
func (l *lockedSink) Insert(cs []Conn) int {
	l.mu.Lock()
	l.got = append(l.got, cs...)
	l.mu.Unlock()
	l.in <- struct{}{}
	return len(cs)
}

func TestReceiverRunUntilClosed(t *testing.T) {
	tr := newChanTransport()
	sink := &lockedSink{in: make(chan struct{}, 8)}
	r := NewReceiver(ReceiverConfig{SyncID: 7, Key: testKey}, sink)
	done := make(chan error)
	go func() { done <- r.Run(context.Background(), tr) }()
	tr.ch <- message(t, testKey, 5, 0, testConn(1), testConn(2))
	select {
	case <-sink.in:
	case <-time.After(5 * time.Second):
		t.Fatal("nothing inserted in 5 s")
	}
	tr.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run did not end within 1 s of Close")
	}
	st := r.Stats()
	if st.Messages != 1 || st.Inserted != 2 || len(st.Peers) != 1 || st.Peers[0].LastSeq != 5 || st.LastMessage.IsZero() {
		t.Fatalf("stats %+v", st)
	}
}

func TestReceiverPeersBounded(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	r := NewReceiver(ReceiverConfig{SyncID: 7, Key: testKey, Now: clk.now}, &fakeSink{room: -1})
	first := netip.MustParseAddr("10.1.0.0")
	for i := 0; i < maxPeers+10; i++ {
		clk.t = clk.t.Add(time.Second)
		a := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		r.Handle(message(t, testKey, 1, 0, testConn(i)), a)
	}
	st := r.Stats()
	if len(st.Peers) != maxPeers {
		t.Fatalf("%d peers tracked, want at most %d", len(st.Peers), maxPeers)
	}
	for _, p := range st.Peers {
		if p.Addr == first {
			t.Fatal("the longest silent peer was kept")
		}
	}
	if st.Inserted != maxPeers+10 {
		t.Fatalf("inserted %d", st.Inserted)
	}
}

func TestReceiverMalformedEntersNothing(t *testing.T) {
	sink := &fakeSink{room: -1}
	r := NewReceiver(ReceiverConfig{SyncID: 7}, sink)
	m := message(t, nil, 0, 0, testConn(1), testConn(2))
	m[HeaderLen+RecordLen+2] = 0x10 // the second record's version
	r.Handle(m, src)
	if len(sink.got) != 0 || r.Stats().Rejected["bad_record_version"] != 1 {
		t.Fatalf("a message with a malformed second record: %d entered, %v", len(sink.got), r.Stats().Rejected)
	}
}
