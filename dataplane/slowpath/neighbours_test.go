package slowpath

import (
	"testing"
	"time"

	"github.com/govs-project/govs/dataplane/packet"
)

const second = time.Second

// requestsFor returns the requests for ip among frames, checking that each
// went out on port with the port's addresses as sender.
func requestsFor(t *testing.T, frames []wireFrame, ip uint32, port int) (broadcast, unicast int) {
	t.Helper()
	pi := testView(0).Ports[port]
	for _, w := range frames {
		dst, src, a := parseARP(t, w.frame)
		if a.TPA != ip {
			continue
		}
		if a.Op != packet.ARPRequest || w.port != port || src != pi.MAC || a.SHA != pi.MAC || a.SPA != pi.IP || a.THA != (packet.MAC{}) {
			t.Fatalf("request for %v: port %d eth src %x %+v", ipString(ip), w.port, src, a)
		}
		if dst == packet.BroadcastMAC {
			broadcast++
		} else {
			unicast++
		}
	}
	return broadcast, unicast
}

func TestWantedResolutionAndRefresh(t *testing.T) {
	f := newFixture(t, Config{})
	steps := []struct {
		name       string
		wait       time.Duration
		answer     bool // the server replies before the tick
		broadcasts int
		unicasts   int
		state      State
	}{
		{"retry not yet", 500 * time.Millisecond, false, 0, 0, StateIncomplete},
		{"retry after 1 s", 500 * time.Millisecond, false, 1, 0, StateIncomplete},
		{"answered", 100 * time.Millisecond, true, 0, 0, StateReachable},
		{"reachable, no refresh", 29 * second, false, 0, 0, StateReachable},
		{"stale: unicast probe 1", second, false, 0, 1, StateStale},
		{"probe not before retry", 500 * time.Millisecond, false, 0, 0, StateStale},
		{"unicast probe 2", 500 * time.Millisecond, false, 0, 1, StateStale},
		{"unicast probe 3", second, false, 0, 1, StateStale},
		{"then broadcast", second, false, 1, 0, StateStale},
		{"and broadcast again", second, false, 1, 0, StateStale},
		{"answered again", 100 * time.Millisecond, true, 0, 0, StateReachable},
		{"refreshed by unicast after 30 s", 30 * second, false, 0, 1, StateStale},
	}
	for _, s := range steps {
		f.advance(s.wait)
		if s.answer {
			f.reply(portLAN, macRS, ipRS)
		}
		sent := f.tick(0)
		b, u := requestsFor(t, sent, ipRS, portLAN)
		e := f.mustEntry(ipRS)
		if b != s.broadcasts || u != s.unicasts || e.State != s.state {
			t.Fatalf("%s: %d broadcast %d unicast state %v, want %d %d %v", s.name, b, u, e.State, s.broadcasts, s.unicasts, s.state)
		}
		for _, w := range sent {
			if dst, _, a := parseARP(t, w.frame); a.TPA == ipRS && dst != packet.BroadcastMAC && dst != macRS {
				t.Fatalf("%s: unicast probe to %x", s.name, dst)
			}
		}
	}
	if m := f.mirror.entries[ipRS]; m.mac != macRS || m.port != portLAN || f.sp.Stats().Learned != 1 {
		t.Fatalf("mirror %+v learned %d", m, f.sp.Stats().Learned)
	}
}

func TestWantedNeverGivenUp(t *testing.T) {
	f := newFixture(t, Config{})
	requests := 0
	for i := 0; i < 600; i++ { // ten minutes unanswered
		b, _ := requestsFor(t, f.tick(second), ipGW, portWAN)
		requests += b
	}
	if e := f.mustEntry(ipGW); e.State != StateIncomplete || requests != 600 || e.Probes != 601 {
		t.Fatalf("entry %+v after %d requests", e, requests)
	}
}

func TestLearnedAging(t *testing.T) {
	f := newFixture(t, Config{})
	f.learn(portWAN, macHost, ipHost)
	steps := []struct {
		at      time.Duration // since learned
		state   State
		present bool
	}{
		{29 * second, StateReachable, true},
		{30 * second, StateStale, true},
		{DefaultGCStale - second, StateStale, true},
		{DefaultGCStale, 0, false},
	}
	learned := f.now
	for _, s := range steps {
		f.now = learned.Add(s.at - 100*time.Millisecond)
		sent := f.tick(100 * time.Millisecond)
		if b, u := requestsFor(t, sent, ipHost, portWAN); b+u != 0 {
			t.Fatalf("at %v: a learned entry was probed", s.at)
		}
		e, ok := f.entry(ipHost)
		if ok != s.present || (ok && e.State != s.state) {
			t.Fatalf("at %v: present %v entry %+v, want %v %v", s.at, ok, e, s.present, s.state)
		}
	}
	if _, ok := f.mirror.entries[ipHost]; ok || f.sp.Stats().EntriesDeleted != 1 || f.mirror.badDelete != 0 {
		t.Fatalf("mirror still has it, or deleted %d", f.sp.Stats().EntriesDeleted)
	}
}

func TestLearnedConfirmationPostponesGC(t *testing.T) {
	f := newFixture(t, Config{})
	f.learn(portWAN, macHost, ipHost)
	f.tick(4 * time.Minute)
	f.arp(portWAN, packet.ARPRequest, macHost, ipHost, [6]byte{}, ipVIP) // the client asks for the VIP again
	f.tick(4 * time.Minute)
	if _, ok := f.entry(ipHost); !ok {
		t.Fatal("confirmed entry collected")
	}
}

func TestIncompleteLearnedGivenUp(t *testing.T) {
	f := newFixture(t, Config{HoldTimeout: time.Hour}) // only the give-up may drop the packet
	p := f.unresolved(portWAN, ipHost, 1)
	if b, _ := requestsFor(t, f.wire.take(), ipHost, portWAN); b != 1 {
		t.Fatalf("%d requests at once", b)
	}
	for i, want := range []int{1, 1, 0} { // two more, then nothing
		sent := f.tick(second)
		b, _ := requestsFor(t, sent, ipHost, portWAN)
		_, present := f.entry(ipHost)
		if b != want || present != (i < 2) {
			t.Fatalf("tick %d: %d requests, present %v", i+1, b, present)
		}
	}
	st := f.sp.Stats()
	if !p.freed() || st.HoldTimeout != 1 || st.EntriesDeleted != 1 || st.Holding != 0 || f.mirror.deletes != 0 {
		t.Fatalf("packet sends=%d frees=%d stats %+v mirror deletes %d", p.sends, p.frees, st, f.mirror.deletes)
	}
}

func TestTableBound(t *testing.T) {
	// 3 configured entries (2 wanted, 1 static) + room for 1 learned.
	f := newFixture(t, Config{MaxEntries: 4})
	f.learn(portWAN, macHost, ipHost)
	f.learn(portWAN, macOther, ipHost2)
	if _, ok := f.entry(ipHost2); ok || f.sp.Stats().Refused.TableFull != 1 {
		t.Fatal("full table took a new entry while the old one is reachable")
	}
	if p := f.unresolved(portWAN, ipHost2, 1); !p.freed() || f.sp.Stats().Refused.TableFull != 2 {
		t.Fatal("unresolved hop got an entry in a full table")
	}
	f.tick(DefaultReachableTime) // ipHost goes stale; the configured ones are never evicted
	f.learn(portWAN, macOther, ipHost2)
	_, old := f.entry(ipHost)
	_, fresh := f.entry(ipHost2)
	st := f.sp.Stats()
	if old || !fresh || st.Evicted != 1 || st.EntriesDeleted != 1 || st.Entries != 4 {
		t.Fatalf("old %v new %v stats %+v", old, fresh, st)
	}
	if _, ok := f.mirror.entries[ipHost]; ok {
		t.Fatal("evicted entry left in the mirror")
	}
	for _, ip := range []uint32{ipRS, ipGW, ipStatic} {
		f.mustEntry(ip)
	}

	// More configured next hops than room: they all get in, the learned one goes.
	f.reconfigure(func(v *View) {
		v.Wanted[ip4(192, 168, 1, 12)] = portLAN
		v.Wanted[ip4(192, 168, 1, 13)] = portLAN
	})
	if _, ok := f.entry(ipHost2); ok || len(f.sp.Entries()) != 5 {
		t.Fatalf("entries %+v", f.sp.Entries())
	}
}

// TestEvictsLongestUnconfirmed: in a full table a new neighbour evicts the
// stale learned entry confirmed longest ago, also when that entry only just
// stopped being a wanted next hop (its confirmation counts, not the reload).
func TestEvictsLongestUnconfirmed(t *testing.T) {
	cases := []struct {
		name   string
		first  sender
		unwant bool // first is the server, dropped from the configuration later
	}{
		{"learned", sender{portWAN, macOther, ipHost2}, false},
		{"no longer wanted", sender{portLAN, macRS, ipRS}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Config{MaxEntries: 6})
			if c.unwant {
				f.reply(c.first.port, c.first.mac, c.first.ip) // the server answers the fixture's request
			} else {
				f.learn(c.first.port, c.first.mac, c.first.ip) // a client asks for us
			}
			if e := f.mustEntry(c.first.ip); e.MAC != c.first.mac || e.State != StateReachable {
				t.Fatalf("first entry %+v", e)
			}
			f.advance(10 * second)
			f.learn(portWAN, macHost, ipHost)
			f.advance(10 * second)
			if c.unwant {
				f.reconfigure(func(v *View) { delete(v.Wanted, ipRS) })
			}
			for i := byte(20); len(f.sp.Entries()) < 6 && i < 30; i++ {
				f.learn(portWAN, macGW, ip4(10, 0, 0, i))
			}
			if n := len(f.sp.Entries()); n != 6 {
				t.Fatalf("table not filled: %d entries", n)
			}
			f.advance(DefaultReachableTime) // all stale
			f.learn(portWAN, macGW, ip4(10, 0, 0, 9))
			if _, ok := f.entry(c.first.ip); ok {
				t.Fatal("the longest unconfirmed entry survived")
			}
			f.mustEntry(ipHost)
			f.mustEntry(ip4(10, 0, 0, 9))
		})
	}
}

func TestMirrorFull(t *testing.T) {
	f := newFixture(t, Config{})
	f.mirror.capacity = len(f.mirror.entries) // the static entry is in; nothing else fits
	f.learn(portWAN, macHost, ipHost)
	if _, ok := f.mirror.entries[ipHost]; ok || f.sp.Stats().MirrorFull != 1 {
		t.Fatal("mirror took an entry beyond its capacity")
	}
	if e := f.mustEntry(ipHost); e.State != StateReachable {
		t.Fatalf("entry %+v", e)
	}
	// The lcores keep punting its packets: they go out at once.
	p := f.unresolved(portWAN, ipHost, 1)
	if !p.sent() || packet.EthDst(p.frame) != macHost || f.sp.Stats().SentKnown != 1 {
		t.Fatalf("sends=%d dst %x", p.sends, packet.EthDst(p.frame))
	}
	// Room again: the next confirmation writes it, even unchanged.
	f.mirror.capacity = 0
	f.arp(portWAN, packet.ARPRequest, macHost, ipHost, [6]byte{}, ipVIP)
	if m, ok := f.mirror.entries[ipHost]; !ok || m.mac != macHost {
		t.Fatal("mirror not retried on confirmation")
	}
	// A change the mirror refuses removes the old binding instead of keeping a wrong one.
	f.mirror.failAll = true
	f.learn(portWAN, macOther, ipHost) // the client moved
	if _, ok := f.mirror.entries[ipHost]; ok || f.sp.Stats().MirrorFull != 2 || f.mirror.badDelete != 0 {
		t.Fatalf("mirror %+v full %d", f.mirror.entries[ipHost], f.sp.Stats().MirrorFull)
	}
	f.mirror.failAll = false
	f.tick(10 * time.Minute)
	if f.mirror.badDelete != 0 {
		t.Fatal("deleted an address the mirror did not hold")
	}
}

func TestApplyReconfigures(t *testing.T) {
	f := newFixture(t, Config{})
	f.learn(portWAN, macHost, ipHost)
	f.reply(portLAN, macRS, ipRS) // answers the fixture's request
	if e := f.mustEntry(ipRS); e.MAC != macRS {
		t.Fatalf("server not resolved: %+v", e)
	}
	f.unresolved(portWAN, ipHost2, 1)

	f.reconfigure(func(v *View) {
		v.Static = []StaticNeighbor{{IP: ip4(192, 168, 1, 51), MAC: macOther, Port: portLAN}} // ipStatic gone
		delete(v.Wanted, ipRS)                                                                // no longer a next hop: ages out as learned
		v.Wanted[ipHost] = portWAN                                                            // a learned host becomes a next hop
		v.VIPs[ipHost2] = portWAN                                                             // an address we were resolving becomes a VIP
	})
	if _, ok := f.entry(ipStatic); ok {
		t.Fatal("dropped static entry kept")
	}
	if _, ok := f.mirror.entries[ipStatic]; ok {
		t.Fatal("dropped static entry left in the mirror")
	}
	if e := f.mustEntry(ip4(192, 168, 1, 51)); e.State != StatePermanent || f.mirror.entries[e.IP].mac != macOther {
		t.Fatalf("new static %+v", e)
	}
	if _, ok := f.entry(ipHost2); ok || f.sp.Stats().HoldTimeout != 1 {
		t.Fatal("entry for a new VIP kept, or its held packet not dropped")
	}
	if e := f.mustEntry(ipHost); !e.Wanted || e.MAC != macHost {
		t.Fatalf("learned host now wanted: %+v", e)
	}
	if e := f.mustEntry(ipRS); e.Wanted {
		t.Fatalf("unwanted server %+v", e)
	}
	f.tick(DefaultGCStale)
	if _, ok := f.entry(ipRS); ok {
		t.Fatal("no longer wanted server never collected")
	}
	if _, ok := f.entry(ipHost); !ok {
		t.Fatal("wanted host collected")
	}
}

func TestApplyStaticReleasesHeld(t *testing.T) {
	f := newFixture(t, Config{})
	p := f.unresolved(portWAN, ipHost, 1)
	f.reconfigure(func(v *View) {
		v.Static = append(v.Static, StaticNeighbor{IP: ipHost, MAC: macHost, Port: portWAN})
	})
	if !p.sent() || packet.EthDst(p.frame) != macHost {
		t.Fatal("held packet not sent when its neighbour became static")
	}
}

func TestApplyRefusesInvalidView(t *testing.T) {
	cases := []struct {
		name   string
		modify func(v *View)
	}{
		{"VIP on a missing port", func(v *View) { v.VIPs[ip4(10, 0, 0, 50)] = 3 }},
		{"wanted on a negative port", func(v *View) { v.Wanted[ip4(10, 0, 0, 50)] = -1 }},
		{"wanted 0.0.0.0", func(v *View) { v.Wanted[0] = portWAN }},
		{"static on a missing port", func(v *View) { v.Static[0].Port = 7 }},
		{"static 0.0.0.0", func(v *View) { v.Static[0].IP = 0 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			before := f.sp.Entries()
			v := testView(2)
			c.modify(&v)
			if err := f.sp.Apply(v, f.now); err == nil {
				t.Fatal("accepted")
			}
			if len(f.tick(0)) != 0 || len(f.sp.Entries()) != len(before) {
				t.Fatal("a refused view changed something")
			}
		})
	}
}

func TestApplyMovesWantedHop(t *testing.T) {
	f := newFixture(t, Config{})
	f.reply(portLAN, macRS, ipRS) // answers the fixture's request
	if _, inMirror := f.mirror.entries[ipRS]; !inMirror {
		t.Fatal("server not resolved")
	}
	p := f.unresolved(portWAN, ipGW, 1)
	f.reconfigure(func(v *View) {
		v.Wanted[ipRS] = portP2P // a binding learned on another port means nothing here
		v.Wanted[ipGW] = portP2P
	})
	e := f.mustEntry(ipRS)
	if _, inMirror := f.mirror.entries[ipRS]; e.State != StateIncomplete || e.Port != portP2P || inMirror {
		t.Fatalf("moved next hop %+v (mirror %v)", e, inMirror)
	}
	if !p.freed() || f.sp.Stats().HoldTimeout != 1 {
		t.Fatal("packet held for the old entry not dropped")
	}
	if b, _ := requestsFor(t, f.tick(0), ipRS, portP2P); b != 1 {
		t.Fatal("moved next hop not asked for on its new port")
	}
}

func TestHeldPacketPortGone(t *testing.T) {
	f := newFixture(t, Config{})
	p := f.unresolved(portP2P, ipRS, 1) // held for the wanted server, to leave on port 2
	f.reconfigure(func(v *View) {
		v.Ports = v.Ports[:2]
	})
	f.reply(portLAN, macRS, ipRS)
	if !p.freed() || f.sp.Stats().SendFailed != 1 {
		t.Fatalf("sends=%d frees=%d", p.sends, p.frees)
	}
}

func TestWantedStaticStaysStatic(t *testing.T) {
	f := newFixture(t, Config{})
	f.reconfigure(func(v *View) {
		v.Wanted[ipStatic] = portLAN
	})
	if b, _ := requestsFor(t, f.tick(time.Hour), ipStatic, portLAN); b != 0 {
		t.Fatal("asked for a static next hop")
	}
	if e := f.mustEntry(ipStatic); e.State != StatePermanent || e.MAC != macStat {
		t.Fatalf("entry %+v", e)
	}
}
