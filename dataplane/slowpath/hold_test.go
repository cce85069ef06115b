package slowpath

import (
	"bytes"
	"testing"
	"time"
)

// checkForwarded asserts p left on port with the neighbour's and the port's
// MACs, and everything after the Ethernet addresses untouched.
func checkForwarded(t *testing.T, p *fakePacket, port int, dst [6]byte, marker byte) {
	t.Helper()
	want := ipv4Frame(marker)
	copy(want[0:6], dst[:])
	copy(want[6:12], testView(0).Ports[port].MAC[:])
	if !p.sent() || p.port != port || !bytes.Equal(p.frame, want) {
		t.Fatalf("sends=%d frees=%d port=%d\n got %x\nwant %x", p.sends, p.frees, p.port, p.frame, want)
	}
}

func TestUnresolvedKnownSentAtOnce(t *testing.T) {
	cases := []struct {
		name string
		hop  uint32
		port int
		mac  [6]byte
	}{
		{"learned", ipHost, portWAN, macHost},
		{"static", ipStatic, portLAN, macStat},
		{"wanted, stale", ipGW, portWAN, macGW},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			f.learn(portWAN, macHost, ipHost) // a client asks for us
			f.reply(portWAN, macGW, ipGW)     // the gateway answers the fixture's request
			for _, ip := range []uint32{ipHost, ipGW} {
				if e := f.mustEntry(ip); e.State != StateReachable {
					t.Fatalf("entry %+v not bound", e)
				}
			}
			f.tick(time.Minute) // all stale, none collected yet
			f.wire.take()
			p := f.unresolved(c.port, c.hop, 9)
			checkForwarded(t, p, c.port, c.mac, 9)
			if st := f.sp.Stats(); st.SentKnown != 1 || st.Held != 0 || len(f.wire.sent) != 0 {
				t.Fatalf("stats %+v, %d frames originated", st, len(f.wire.sent))
			}
		})
	}
}

func TestHoldReleasedInOrder(t *testing.T) {
	f := newFixture(t, Config{})
	var ps []*fakePacket
	for i := byte(1); i <= 3; i++ {
		ps = append(ps, f.unresolved(portWAN, ipHost, i))
		f.advance(100 * time.Millisecond)
	}
	if b, _ := requestsFor(t, f.wire.take(), ipHost, portWAN); b != 1 {
		t.Fatalf("%d requests for 3 packets within the retry time", b)
	}
	if e := f.mustEntry(ipHost); e.State != StateIncomplete || e.Held != 3 {
		t.Fatalf("entry %+v", e)
	}
	for _, p := range ps {
		if !p.open() {
			t.Fatal("held packet sent or freed before the reply")
		}
	}
	f.reply(portWAN, macHost, ipHost)
	for i, p := range ps {
		checkForwarded(t, p, portWAN, macHost, byte(i+1))
		if f.sendOrder[i] != p {
			t.Fatalf("packet %d left in position %d", i+1, i)
		}
	}
	if st := f.sp.Stats(); st.Held != 3 || st.HoldSent != 3 || st.Holding != 0 || st.Learned != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestHoldLimits(t *testing.T) {
	f := newFixture(t, Config{HoldPerNeigh: 2, HoldTotal: 3})
	a := []*fakePacket{f.unresolved(portWAN, ipHost, 1), f.unresolved(portWAN, ipHost, 2), f.unresolved(portWAN, ipHost, 3)}
	b := []*fakePacket{f.unresolved(portWAN, ipHost2, 4), f.unresolved(portWAN, ipHost2, 5)}
	// a[2]: 3rd for one neighbour; b[1]: 4th overall.
	held := [5]bool{a[0].open(), a[1].open(), a[2].open(), b[0].open(), b[1].open()}
	if held != [5]bool{true, true, false, true, false} || !a[2].freed() || !b[1].freed() {
		t.Fatalf("held %v", held)
	}
	if st := f.sp.Stats(); st.Held != 3 || st.HoldOverflow != 2 || st.Holding != 3 {
		t.Fatalf("stats %+v", st)
	}
	f.reply(portWAN, macHost, ipHost)
	if p := f.unresolved(portWAN, ipHost2, 6); !p.open() {
		t.Fatal("room freed by a release not reused")
	}
}

func TestHoldTimeout(t *testing.T) {
	f := newFixture(t, Config{})
	old := f.unresolved(portWAN, ipGW, 1) // wanted: the entry stays, only the packets age
	f.advance(2 * time.Second)
	young := f.unresolved(portWAN, ipGW, 2)
	steps := []struct {
		wait       time.Duration
		old, young bool // still held
	}{
		{999 * time.Millisecond, true, true},
		{time.Millisecond, false, true},
		{2 * time.Second, false, false},
	}
	for i, s := range steps {
		f.tick(s.wait)
		if old.open() != s.old || young.open() != s.young {
			t.Fatalf("step %d: old held %v young held %v", i, old.open(), young.open())
		}
	}
	if !old.freed() || !young.freed() {
		t.Fatal("timed out packets not freed exactly once")
	}
	if st := f.sp.Stats(); st.HoldTimeout != 2 || st.Holding != 0 {
		t.Fatalf("stats %+v", st)
	}
	f.reply(portWAN, macGW, ipGW)
	if old.sends+young.sends != 0 {
		t.Fatal("timed out packet sent")
	}
}

func TestUnresolvedRefused(t *testing.T) {
	cases := []struct {
		name    string
		port    int
		hop     uint32
		frame   []byte
		refused Refused
		invalid bool
	}{
		{"outside the subnet", portWAN, ip4(10, 1, 0, 1), nil, Refused{NotInSubnet: 1}, false},
		{"our address", portWAN, ipWAN, nil, Refused{OwnAddress: 1}, false},
		{"a VIP", portWAN, ipVIP, nil, Refused{OwnAddress: 1}, false},
		{"subnet broadcast", portWAN, ip4(10, 0, 0, 255), nil, Refused{BadAddress: 1}, false},
		{"0.0.0.0", portWAN, 0, nil, Refused{BadAddress: 1}, false},
		{"unknown port", 3, ipHost, nil, Refused{}, true},
		{"negative port", -1, ipHost, nil, Refused{}, true},
		{"runt frame", portWAN, ipHost, make([]byte, 13), Refused{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			frame := c.frame
			if frame == nil {
				frame = ipv4Frame(1)
			}
			p := &fakePacket{frame: frame}
			f.sp.HandleUnresolved(p, c.port, c.hop, f.now)
			st := f.sp.Stats()
			if !p.freed() || st.Refused != c.refused || (st.PuntInvalid == 1) != c.invalid || st.Held != 0 {
				t.Fatalf("sends=%d frees=%d stats %+v", p.sends, p.frees, st)
			}
			if _, ok := f.entry(c.hop); ok || len(f.wire.sent) != 0 {
				t.Fatal("refused hop got an entry or a request")
			}
		})
	}
}

func TestHoldSendFailures(t *testing.T) {
	f := newFixture(t, Config{})
	p := f.unresolved(portWAN, ipHost, 1)
	p.failSend = true
	q := f.unresolved(portWAN, ipHost, 2)
	f.reply(portWAN, macHost, ipHost)
	if p.sends != 1 || p.frees != 0 || !q.sent() {
		t.Fatal("each packet must be sent once, whatever the previous one did")
	}
	if st := f.sp.Stats(); st.SendFailed != 1 || st.HoldSent != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestRequestSendFailureCounts(t *testing.T) {
	f := newFixture(t, Config{})
	f.wire.fail = true
	before := f.sp.Stats().RequestsSent
	p := f.unresolved(portWAN, ipHost, 1)
	st := f.sp.Stats()
	if !p.open() || st.SendFailed != 1 || st.RequestsSent != before {
		t.Fatalf("stats %+v", st)
	}
	f.wire.fail = false
	if b, _ := requestsFor(t, f.tick(time.Second), ipHost, portWAN); b != 1 {
		t.Fatal("failed request not retried")
	}
}

// TestHeldPacketAsksWantedAgainSoon: a packet held for a configured next
// hop that has not answered asks again once 100 ms have passed since the
// last request (not RetryTime); a learned one waits RetryTime.
func TestHeldPacketAsksWantedAgainSoon(t *testing.T) {
	f := newFixture(t, Config{}) // asked for ipRS at t0 (and took the request)
	for _, c := range []struct {
		after time.Duration
		want  int
	}{{50 * time.Millisecond, 0}, {60 * time.Millisecond, 1}, {30 * time.Millisecond, 0}, {100 * time.Millisecond, 1}} {
		f.advance(c.after)
		f.unresolved(portLAN, ipRS, 1)
		if b, _ := requestsFor(t, f.wire.take(), ipRS, portLAN); b != c.want {
			t.Fatalf("a packet held %v after the last: %d requests, want %d", c.after, b, c.want)
		}
	}
	f.unresolved(portWAN, ipHost, 2) // learned: asked at once, then RetryTime
	f.advance(200 * time.Millisecond)
	f.unresolved(portWAN, ipHost, 3)
	if b, _ := requestsFor(t, f.wire.take(), ipHost, portWAN); b != 1 {
		t.Fatalf("%d requests for a learned neighbour within 200 ms, want 1", b)
	}
}
