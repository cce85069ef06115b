package connsync

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"
)

var testKey = []byte("0123456789abcdef-sync-test")

func testConn(i int) Conn {
	return Conn{Proto: 6, Flags: FlagFwdMasq, State: 1, Client: 0x0a000002, VIP: 0x0a000064, Dest: 0x0a01000b,
		CPort: uint16(1000 + i), VPort: 80, DPort: 8080, Timeout: 900}
}

// fakeSink records what it is given; Check refuses VPort 81.
type fakeSink struct {
	got  []Conn
	room int // Insert takes at most this many per call (<0: all)
}

func (f *fakeSink) Check(c *Conn) string {
	if c.VPort == 81 {
		return "no_service"
	}
	return ""
}

func (f *fakeSink) Insert(cs []Conn) int {
	n := len(cs)
	if f.room >= 0 && n > f.room {
		n = f.room
	}
	f.got = append(f.got, cs[:n]...)
	return n
}

func message(t *testing.T, key []byte, seq uint64, spare uint16, cs ...Conn) []byte {
	t.Helper()
	e := Encoder{SyncID: 7, MaxMessage: 1500}
	if key != nil {
		e.Trailer = TrailerLen
		return sign(key, e.Append(nil, cs, spare|SpareAuth), seq)
	}
	return e.Append(nil, cs, spare)
}

var src = netip.MustParseAddr("10.0.0.9")

func TestRoundTrip(t *testing.T) {
	cs := []Conn{testConn(1), testConn(2)}
	cs[1].Flags = FlagFwdDRoute | FlagTemplate
	cs[1].State = 0 // a template's state is 0 (the kernel zeroes any other)
	msg := message(t, nil, 0, 0, cs...)
	if len(msg) != HeaderLen+2*RecordLen {
		t.Fatalf("message of %d bytes, want %d", len(msg), HeaderLen+2*RecordLen)
	}
	h, err := ParseHeader(msg)
	if err != nil || h.SyncID != 7 || h.Conns != 2 {
		t.Fatalf("header %+v, %v", h, err)
	}
	var got []Conn
	if err := DecodeRecords(msg[HeaderLen:], 2, func(c *Conn) { got = append(got, *c) }, func(r string) { t.Errorf("skipped: %s", r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != cs[0] || got[1] != cs[1] {
		t.Fatalf("decoded %+v, want %+v", got, cs)
	}
}

func TestEncoderPerMessage(t *testing.T) {
	if n := (Encoder{MaxMessage: 1472}).PerMessage(); n != (1472-8)/36 {
		t.Fatalf("per 1472-byte message: %d", n)
	}
	if n := (Encoder{MaxMessage: 65507}).PerMessage(); n != MaxConns {
		t.Fatalf("per 64k message: %d, want the byte's limit %d", n, MaxConns)
	}
	if n := (Encoder{MaxMessage: 1472, Trailer: TrailerLen}).PerMessage(); n != (1472-8-24)/36 {
		t.Fatalf("per signed message: %d", n)
	}
}

func TestReceiverRejections(t *testing.T) {
	good := message(t, nil, 0, 0, testConn(1))
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	// an IPv6 record is 72 bytes (three 16-byte addresses)
	ipv6 := mutate(func(b []byte) []byte {
		b = append(b, make([]byte, recordLenV6-RecordLen)...)
		b[3], b[HeaderLen], b[HeaderLen+3] = byte(len(b)), recordIPv6, recordLenV6
		return b
	})
	cases := []struct {
		name, reason string
		msg          []byte
	}{
		{"short", "short", good[:5]},
		{"size", "size_mismatch", good[:len(good)-1]},
		{"version", "bad_version", mutate(func(b []byte) []byte { b[5] = 0; return b })},
		{"reserved", "bad_reserved", mutate(func(b []byte) []byte { b[0] = 1; return b })},
		{"syncid", "bad_syncid", mutate(func(b []byte) []byte { b[1] = 8; return b })},
		{"spare", "bad_spare", mutate(func(b []byte) []byte { b[7] = 0x80; return b })},
		{"record version", "bad_record_version", mutate(func(b []byte) []byte { b[HeaderLen+2] = 0x10; return b })},
		{"record size", "bad_record_size", mutate(func(b []byte) []byte { b[HeaderLen+3] = 20; return b })},
		{"record past end", "truncated_record", mutate(func(b []byte) []byte { b[HeaderLen+3] = 40; return b })},
		{"count past end", "truncated_record", mutate(func(b []byte) []byte { b[4] = 2; return b })},
		{"trailing", "trailing_bytes", mutate(func(b []byte) []byte { b[4] = 0; return b })},
		{"protocol", "bad_proto", mutate(func(b []byte) []byte { b[HeaderLen+1] = 1; return b })},
		{"flags", "bad_flags", mutate(func(b []byte) []byte { b[HeaderLen+6] = 0x40; return b })},
		{"ipv6", "ipv6", ipv6},
		{"not ours", "no_service", message(t, nil, 0, 0, Conn{Proto: 6, VPort: 81})},
		{"auth unexpected", "unexpected_auth", message(t, testKey, 1, 0, testConn(1))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sink := &fakeSink{room: -1}
			r := NewReceiver(ReceiverConfig{SyncID: 7}, sink)
			r.Handle(c.msg, src)
			st := r.Stats()
			if st.Rejected[c.reason] != 1 || len(sink.got) != 0 {
				t.Fatalf("rejected %v, inserted %d; want one %s and nothing inserted", st.Rejected, len(sink.got), c.reason)
			}
		})
	}
}

func TestOptionsSkipped(t *testing.T) {
	msg := message(t, nil, 0, 0, testConn(1))
	// grow the record by an unknown option marked not mandatory
	// (IPVS_OPT_F_PARAM), 2 bytes of data: 40 bytes
	rec := append(bytes.Clone(msg[HeaderLen:]), optParamFlag|9, 2, 0xaa, 0xbb)
	rec[3] = 40
	full := append(bytes.Clone(msg[:HeaderLen]), rec...)
	full[3] = byte(len(full))
	sink := &fakeSink{room: -1}
	NewReceiver(ReceiverConfig{SyncID: 7}, sink).Handle(full, src)
	if len(sink.got) != 1 || sink.got[0] != testConn(1) {
		t.Fatalf("a record with an option: got %+v", sink.got)
	}
	bad := bytes.Clone(full)
	bad[HeaderLen+RecordLen+1] = 9 // option longer than the record
	r := NewReceiver(ReceiverConfig{SyncID: 7}, &fakeSink{room: -1})
	r.Handle(bad, src)
	if r.Stats().Rejected["bad_option"] != 1 {
		t.Fatalf("an option past its record: %v", r.Stats().Rejected)
	}
}

func TestAuthentication(t *testing.T) {
	sink := &fakeSink{room: -1}
	r := NewReceiver(ReceiverConfig{SyncID: 7, Key: testKey, ReplayWindow: 4}, sink)
	m10 := message(t, testKey, 10, 0, testConn(1))
	r.Handle(m10, src)
	r.Handle(m10, src)                                                                  // replayed
	r.Handle(message(t, []byte("another key, same length!!"), 11, 0, testConn(2)), src) // wrong key
	r.Handle(message(t, nil, 0, 0, testConn(3)), src)                                   // plain
	tampered := message(t, testKey, 12, 0, testConn(4))
	tampered[HeaderLen+30] ^= 1
	r.Handle(tampered, src)
	r.Handle(message(t, testKey, 9, 0, testConn(5)), src)  // older, inside the window: new
	r.Handle(message(t, testKey, 20, 0, testConn(6)), src) // moves the window
	r.Handle(message(t, testKey, 15, 0, testConn(7)), src) // 5 behind a window of 4: refused
	st := r.Stats()
	want := map[string]uint64{"replay": 2, "bad_mac": 2, "unauthenticated": 1}
	for k, v := range want {
		if st.Rejected[k] != v {
			t.Errorf("rejected %s: %d, want %d (all: %v)", k, st.Rejected[k], v, st.Rejected)
		}
	}
	if len(sink.got) != 3 || sink.got[0].CPort != 1001 || sink.got[1].CPort != 1005 || sink.got[2].CPort != 1006 {
		t.Fatalf("inserted %+v, want the records of sequence 10, 9 and 20", sink.got)
	}
	if len(st.Peers) != 1 || st.Peers[0].LastSeq != 20 || st.Peers[0].Messages != 3 {
		t.Fatalf("peers %+v", st.Peers)
	}
}

func TestResyncRequestAndMasterIgnores(t *testing.T) {
	var asked []netip.Addr
	backup := false
	sink := &fakeSink{room: -1}
	r := NewReceiver(ReceiverConfig{SyncID: 7, Key: testKey, Backup: func() bool { return backup },
		OnResyncRequest: func(a netip.Addr) { asked = append(asked, a) }}, sink)
	r.Handle(message(t, testKey, 1, SpareResyncRequest), src)
	r.Handle(message(t, testKey, 2, 0, testConn(1)), src)
	backup = true
	r.Handle(message(t, testKey, 3, 0, testConn(2)), src)
	r.Handle(message(t, testKey, 4, SpareResyncRequest, testConn(3)), src)
	if len(asked) != 1 || asked[0] != src {
		t.Fatalf("resync requests seen: %v, want one from %v", asked, src)
	}
	st := r.Stats()
	if st.Rejected["as_master"] != 1 || st.Rejected["bad_resync_request"] != 1 || len(sink.got) != 1 || sink.got[0].CPort != 1002 {
		t.Fatalf("rejected %v inserted %+v; want the master's record ignored, the backup's entered", st.Rejected, sink.got)
	}
}

func TestInsertFullCounted(t *testing.T) {
	sink := &fakeSink{room: 1}
	r := NewReceiver(ReceiverConfig{SyncID: 7}, sink)
	r.Handle(message(t, nil, 0, 0, testConn(1), testConn(2), testConn(3)), src)
	if st := r.Stats(); st.Inserted != 1 || st.Rejected["insert_full"] != 2 || st.Records != 3 {
		t.Fatalf("stats %+v", st)
	}
}

// fakeTransport keeps what is sent.
type fakeTransport struct {
	mu   sync.Mutex
	sent [][]byte
	fail bool
}

func (f *fakeTransport) Send(m []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("no route")
	}
	f.sent = append(f.sent, bytes.Clone(m))
	return nil
}
func (f *fakeTransport) Recv([]byte) (int, netip.Addr, error) { return 0, netip.Addr{}, ErrClosed }
func (f *fakeTransport) Close() error                         { return nil }

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestSenderBatchesPacesAndDrops(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	tr := &fakeTransport{}
	s := NewSender(SenderConfig{SyncID: 7, MaxMessage: 8 + 10*36, Rate: 1000, Queue: 25, FlushDelay: 10 * time.Millisecond,
		ResyncRate: 100, Key: testKey, Now: clk.now}, tr)
	per := s.PerMessage() // 9 with the trailer
	cs := make([]Conn, 30)
	for i := range cs {
		cs[i] = testConn(i)
	}
	if n := s.Offer(cs); n != 25 {
		t.Fatalf("offer took %d, want the queue's 25", n)
	}
	for s.step() {
	}
	if len(tr.sent) != 1 {
		t.Fatalf("with one message of tokens banked: %d messages sent, want 1", len(tr.sent))
	}
	clk.t = clk.t.Add(time.Second) // a second of tokens (capped at 10 ms worth: 10 records, one message)
	for s.step() {
	}
	if len(tr.sent) != 2 {
		t.Fatalf("after a second: %d messages, want 2 (the bucket holds one message)", len(tr.sent))
	}
	for range 10 {
		clk.t = clk.t.Add(20 * time.Millisecond)
		for s.step() {
		}
	}
	st := s.Stats()
	if st.Records != 25 || st.Dropped["queue_full"] != 5 || st.Queued != 0 {
		t.Fatalf("stats %+v, want 25 sent, 5 dropped", st)
	}
	r := NewReceiver(ReceiverConfig{SyncID: 7, Key: testKey}, &fakeSink{room: -1})
	for _, m := range tr.sent {
		if len(m) > 8+10*36 {
			t.Fatalf("message of %d bytes over MaxMessage", len(m))
		}
		r.Handle(m, src)
	}
	if rst := r.Stats(); rst.Inserted != 25 || len(rst.Rejected) != 0 {
		t.Fatalf("the receiver took %d (rejected %v), want all 25 in %d messages of <= %d", rst.Inserted, rst.Rejected, len(tr.sent), per)
	}
}

func TestSenderResyncYieldsToIncremental(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	tr := &fakeTransport{}
	s := NewSender(SenderConfig{SyncID: 7, MaxMessage: 8 + 4*36, Rate: 10000, Queue: 100, FlushDelay: time.Millisecond,
		ResyncRate: 400, Now: clk.now}, tr)
	big := make([]Conn, 1000)
	if n := s.OfferResync(big); n != 400 {
		t.Fatalf("resync offer took %d, want one second of its rate (400)", n)
	}
	clk.t = clk.t.Add(100 * time.Millisecond) // 40 resync tokens, capped at max(4, 4)
	s.Offer([]Conn{testConn(1)})
	clk.t = clk.t.Add(2 * time.Millisecond)
	for s.step() {
	}
	if len(tr.sent) < 2 {
		t.Fatalf("%d messages, want the incremental one and a resync one", len(tr.sent))
	}
	h, _ := ParseHeader(tr.sent[0])
	if h.Conns != 1 {
		t.Fatalf("first message has %d records: the incremental record must go before the resync", h.Conns)
	}
	if st := s.Stats(); st.ResyncRecords == 0 || st.ResyncRecords > 8 {
		t.Fatalf("resync records sent %d, want a few (paced at 400/s)", st.ResyncRecords)
	}
}

func TestSenderSendErrorCounted(t *testing.T) {
	tr := &fakeTransport{fail: true}
	s := NewSender(SenderConfig{SyncID: 7, MaxMessage: 1500, Rate: 1000, Queue: 10, FlushDelay: time.Millisecond, ResyncRate: 10}, tr)
	s.Offer([]Conn{testConn(1)})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	go s.Run(ctx)
	for ctx.Err() == nil && s.Stats().Dropped["send_error"] == 0 {
		time.Sleep(time.Millisecond)
	}
	if s.Stats().Dropped["send_error"] != 1 {
		t.Fatalf("a failed send: %v", s.Stats().Dropped)
	}
}

func TestUDPUnicastOnLoopback(t *testing.T) {
	port := freePort(t)
	rx, err := OpenUDP(UDPConfig{Source: netip.MustParseAddr("127.0.0.2"), Peers: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, Port: port, Receive: true})
	if err != nil {
		t.Fatalf("loopback UDP: %v", err)
	}
	defer rx.Close()
	tx, err := OpenUDP(UDPConfig{Source: netip.MustParseAddr("127.0.0.1"), Peers: []netip.Addr{netip.MustParseAddr("127.0.0.2")}, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	msg := message(t, nil, 0, 0, testConn(1))
	if err := tx.Send(msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	done := make(chan error, 1)
	go func() {
		n, from, err := rx.Recv(buf)
		if err == nil && (!bytes.Equal(buf[:n], msg) || from != netip.MustParseAddr("127.0.0.1")) {
			err = errors.New("wrong datagram or source " + from.String())
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no datagram in 5 s")
	}
	rx.Close()
	if _, _, err := rx.Recv(buf); !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv after Close: %v, want ErrClosed", err)
	}
}

func TestAddrCodec(t *testing.T) {
	a := netip.MustParseAddr("10.1.2.3")
	if IPv4(a) != 0x0a010203 || Addr(0x0a010203) != a {
		t.Fatalf("10.1.2.3: %#x, %v", IPv4(a), Addr(0x0a010203))
	}
}
