package slowpath

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/govs-project/govs/dataplane/packet"
)

// The rules of accept.go, one by one. The fixture's first Tick broadcast a
// request for each wanted next hop (ipRS on the LAN, ipGW on the WAN) at t0;
// learned entries are asked for by HandleUnresolved.

// revalidating reports whether ip's entry is being re-validated (a request
// offered another MAC for a wanted entry).
func (f *fixture) revalidating(ip uint32) bool {
	f.sp.mu.Lock()
	defer f.sp.mu.Unlock()
	n := f.sp.table.byIP[ip]
	return n != nil && n.revalidate
}

// resolveRS has the server answer the fixture's broadcast at macRS.
func (f *fixture) resolveRS() {
	f.t.Helper()
	f.reply(portLAN, macRS, ipRS)
	if e := f.mustEntry(ipRS); e.MAC != macRS || e.State != StateReachable {
		f.t.Fatalf("server not resolved: %+v", e)
	}
}

// gratuitous is an ARP from mac announcing ip, as a request or a reply.
func (f *fixture) gratuitous(inPort int, op uint16, mac [6]byte, ip uint32) *fakePacket {
	return f.arp(inPort, op, mac, ip, packet.BroadcastMAC, ip)
}

// snapshot is what a refused ARP must leave as it was.
type snapshot struct {
	entries []Entry
	mirror  map[uint32]mirrored
	sets    int
}

// snapshot reports the entries as of f.now (Entries reports them as of the
// last now the slow path saw; the ARP to come brings it to f.now).
func (f *fixture) snapshot() snapshot {
	f.sp.mu.Lock()
	f.sp.now = f.now
	f.sp.mu.Unlock()
	return snapshot{f.sp.Entries(), maps.Clone(f.mirror.entries), f.mirror.sets}
}

func (f *fixture) unchanged(before snapshot) {
	f.t.Helper()
	if after := f.snapshot(); !reflect.DeepEqual(after, before) {
		f.t.Fatalf("a refused ARP changed the table or the mirror\n got %+v\nwant %+v", after, before)
	}
}

// TestReplyAnswersOurRequest: a reply binds a learned entry only within the
// window of a request that went out for it, and only if addressed to the
// receiving port's address; after a broadcast, any MAC may answer.
func TestReplyAnswersOurRequest(t *testing.T) {
	cfgs := []Config{{}, {RetryTime: 200 * time.Millisecond, MaxProbes: 2}}
	for _, cfg := range cfgs {
		window := cfg.withDefaults().RetryTime * time.Duration(cfg.withDefaults().MaxProbes)
		ask := func(f *fixture) { f.unresolved(portWAN, ipHost, 1) }
		cases := []struct {
			name   string
			ask    func(f *fixture) // sends what the reply may answer
			from   [6]byte
			tpa    uint32
			accept bool
		}{
			{"broadcast answered by the host", ask, macHost, ipWAN, true},
			{"broadcast answered by any MAC", ask, macOther, ipWAN, true},
			{"just inside the window", func(f *fixture) { ask(f); f.advance(window - time.Millisecond) }, macHost, ipWAN, true},
			{"window over", func(f *fixture) { ask(f); f.advance(window) }, macHost, ipWAN, false},
			{"request not sent (wire failed)", func(f *fixture) {
				f.wire.fail = true
				ask(f)
				f.wire.fail = false
			}, macHost, ipWAN, false},
			{"nothing asked", func(*fixture) {}, macHost, ipWAN, false},
			{"addressed to a VIP of the port", ask, macHost, ipVIP, false},
			{"addressed to another host", ask, macHost, ipHost2, false},
			{"addressed to another port's address", ask, macHost, ipLAN, false},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("window %v/%s", window, c.name), func(t *testing.T) {
				f := newFixture(t, cfg)
				c.ask(f)
				f.wire.take()
				held := f.sp.Stats().Held
				f.arp(portWAN, packet.ARPReply, c.from, ipHost, macWAN, c.tpa)
				e, ok := f.entry(ipHost)
				st := f.sp.Stats()
				if !c.accept {
					if ok && e.State != StateIncomplete || st.Learned != 0 || st.Refused != (Refused{Unsolicited: 1}) {
						t.Fatalf("refused reply bound: entry %+v (%v) learned %d refused %+v", e, ok, st.Learned, st.Refused)
					}
					if _, inMirror := f.mirror.entries[ipHost]; inMirror || st.HoldSent != 0 || st.Holding != held {
						t.Fatalf("mirror %v, stats %+v", inMirror, st)
					}
					return
				}
				if !ok || e.MAC != c.from || e.State != StateReachable || st.Learned != 1 || st.Refused != (Refused{}) {
					t.Fatalf("entry %+v (%v) learned %d refused %+v", e, ok, st.Learned, st.Refused)
				}
				if m := f.mirror.entries[ipHost]; m.mac != c.from || st.HoldSent != 1 {
					t.Fatalf("mirror %+v, hold sent %d", m, st.HoldSent)
				}
			})
		}
	}
}

// TestReplyAfterUnicastProbe: after a unicast probe only the probed MAC may
// answer; once the probes give way to a broadcast, any MAC may (the next
// hop moved).
func TestReplyAfterUnicastProbe(t *testing.T) {
	cases := []struct {
		name       string
		moreProbes int // ticks after the first probe
		broadcast  bool
		from       [6]byte
		accept     bool
	}{
		{"probe answered by the probed MAC", 0, false, macRS, true},
		{"probe answered by another MAC", 0, false, macOther, false},
		{"last unicast probe answered by another MAC", DefaultMaxProbes - 1, false, macOther, false},
		{"broadcast after the probes answered by another MAC", DefaultMaxProbes, true, macOther, true},
		{"broadcast after the probes answered by the old MAC", DefaultMaxProbes, true, macRS, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			f.resolveRS()
			sent := f.tick(DefaultReachableTime) // stale: the first unicast probe
			for range c.moreProbes {
				sent = append(sent, f.tick(DefaultRetryTime)...)
			}
			b, u := requestsFor(t, sent, ipRS, portLAN)
			wantB, wantU := 0, c.moreProbes+1
			if c.broadcast {
				wantB, wantU = 1, DefaultMaxProbes
			}
			if b != wantB || u != wantU {
				t.Fatalf("%d broadcasts %d unicasts, want %d %d", b, u, wantB, wantU)
			}
			for _, w := range sent {
				if dst, _, a := parseARP(t, w.frame); a.TPA == ipRS && dst != packet.BroadcastMAC && dst != macRS {
					t.Fatalf("probe to %x", dst)
				}
			}
			f.reply(portLAN, c.from, ipRS)
			e := f.mustEntry(ipRS)
			st := f.sp.Stats()
			m := f.mirror.entries[ipRS]
			if !c.accept {
				if e.MAC != macRS || e.State != StateStale || m.mac != macRS || st.Updated != 0 || st.Refused != (Refused{Unsolicited: 1}) {
					t.Fatalf("entry %+v mirror %+v updated %d refused %+v", e, m, st.Updated, st.Refused)
				}
				return
			}
			updated := uint64(0)
			if c.from != macRS {
				updated = 1
			}
			if e.MAC != c.from || e.State != StateReachable || e.Probes != 0 || m.mac != c.from || st.Updated != updated || st.Refused != (Refused{}) {
				t.Fatalf("entry %+v mirror %+v updated %d refused %+v", e, m, st.Updated, st.Refused)
			}
		})
	}
}

// TestFirstReplyClosesWindow: once a reply is accepted, further replies to
// the same request bind nothing, so back-to-back replies cannot flip the
// MAC; with ARPAccept every reply binds.
func TestFirstReplyClosesWindow(t *testing.T) {
	cases := []struct {
		arpAccept bool
		want      [6]byte
		refused   Refused
		updated   uint64
	}{
		{false, macRS, Refused{Unsolicited: 2}, 0},
		{true, macRS, Refused{}, 2},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("arp_accept=%v", c.arpAccept), func(t *testing.T) {
			f := newFixture(t, Config{})
			f.setARPAccept(c.arpAccept)
			f.resolveRS()
			f.reply(portLAN, macOther, ipRS) // same request, another MAC
			if e := f.mustEntry(ipRS); c.arpAccept != (e.MAC == macOther) {
				t.Fatalf("second reply: entry %+v", e)
			}
			f.reply(portLAN, macRS, ipRS)
			e := f.mustEntry(ipRS)
			st := f.sp.Stats()
			if e.MAC != c.want || f.mirror.entries[ipRS].mac != c.want || st.Refused != c.refused || st.Updated != c.updated || st.Learned != 1 {
				t.Fatalf("entry %+v refused %+v updated %d learned %d", e, st.Refused, st.Updated, st.Learned)
			}
		})
	}
}

// TestUnsolicitedReply: a reply that answers nothing binds only with
// ARPAccept, and may then create an entry as well as update one.
func TestUnsolicitedReply(t *testing.T) {
	cases := []struct {
		name  string
		setup func(f *fixture) // the entry the reply concerns, if any
		ip    uint32
		port  int
		old   [6]byte // the entry's MAC before, zero = none
	}{
		{"no entry", func(*fixture) {}, ipHost, portWAN, [6]byte{}},
		{"stale learned entry", func(f *fixture) {
			f.learn(portWAN, macHost, ipHost)
			f.advance(DefaultReachableTime)
		}, ipHost, portWAN, macHost},
		{"wanted entry, window closed", func(f *fixture) { f.resolveRS() }, ipRS, portLAN, macRS},
		{"wanted entry after a unicast probe", func(f *fixture) {
			f.resolveRS()
			if _, u := requestsFor(f.t, f.tick(DefaultReachableTime), ipRS, portLAN); u != 1 {
				f.t.Fatal("no unicast probe")
			}
		}, ipRS, portLAN, macRS},
	}
	for _, c := range cases {
		for _, accept := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/arp_accept=%v", c.name, accept), func(t *testing.T) {
				f := newFixture(t, Config{})
				f.setARPAccept(accept)
				c.setup(f)
				before := f.snapshot()
				st0 := f.sp.Stats()
				f.reply(c.port, macOther, c.ip)
				st := f.sp.Stats()
				if !accept {
					f.unchanged(before)
					if st.Refused != (Refused{Unsolicited: 1}) {
						t.Fatalf("refused %+v", st.Refused)
					}
					return
				}
				e := f.mustEntry(c.ip)
				if e.MAC != macOther || e.State != StateReachable || f.mirror.entries[c.ip].mac != macOther || st.Refused != (Refused{}) {
					t.Fatalf("entry %+v refused %+v", e, st.Refused)
				}
				if created := c.old == [6]byte{}; created && st.Learned != st0.Learned+1 || !created && st.Updated != st0.Updated+1 {
					t.Fatalf("learned %d->%d updated %d->%d", st0.Learned, st.Learned, st0.Updated, st.Updated)
				}
			})
		}
	}
}

// TestGratuitousARP: a gratuitous ARP (request or reply) never creates an
// entry; with ARPAccept it binds an existing one (a VRRP takeover),
// without it is refused and counted.
func TestGratuitousARP(t *testing.T) {
	targets := []struct {
		name  string
		setup func(f *fixture)
		ip    uint32
		port  int
		exist bool
	}{
		{"no entry", func(*fixture) {}, ipHost, portWAN, false},
		{"learned entry", func(f *fixture) { f.learn(portWAN, macHost, ipHost) }, ipHost, portWAN, true},
		{"wanted entry", func(f *fixture) { f.resolveRS() }, ipRS, portLAN, true},
		{"wanted entry, not yet resolved", func(*fixture) {}, ipGW, portWAN, true},
	}
	for _, tg := range targets {
		for _, op := range []uint16{packet.ARPRequest, packet.ARPReply} {
			for _, accept := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/op=%d/arp_accept=%v", tg.name, op, accept), func(t *testing.T) {
					f := newFixture(t, Config{})
					f.setARPAccept(accept)
					tg.setup(f)
					before := f.snapshot()
					f.gratuitous(tg.port, op, macOther, tg.ip)
					st := f.sp.Stats()
					if !accept || !tg.exist {
						f.unchanged(before)
						if st.Refused != (Refused{Unsolicited: 1}) || st.NotForUs != 0 {
							t.Fatalf("refused %+v not_for_us %d", st.Refused, st.NotForUs)
						}
						return
					}
					e := f.mustEntry(tg.ip)
					if e.MAC != macOther || e.State != StateReachable || f.mirror.entries[tg.ip].mac != macOther || st.Refused != (Refused{}) {
						t.Fatalf("entry %+v refused %+v", e, st.Refused)
					}
				})
			}
		}
	}
}

// TestGratuitousClaimingOurs: whoever announces one of our addresses is a
// conflict, not a neighbour, ARPAccept or not (hygiene.go).
func TestGratuitousClaimingOurs(t *testing.T) {
	claims := []struct {
		name string
		port int
		ip   uint32
	}{
		{"the port's address", portWAN, ipWAN},
		{"a VIP of the port", portWAN, ipVIP},
		{"another port's address", portWAN, ipLAN},
		{"another port's VIP", portWAN, ipLANVIP},
		{"the LAN VIP on the LAN", portLAN, ipLANVIP},
		{"the /31 address", portP2P, ipP2P},
	}
	for _, c := range claims {
		for _, op := range []uint16{packet.ARPRequest, packet.ARPReply} {
			for _, accept := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/op=%d/arp_accept=%v", c.name, op, accept), func(t *testing.T) {
					f := newFixture(t, Config{})
					f.setARPAccept(accept)
					before := f.snapshot()
					f.gratuitous(c.port, op, macOther, c.ip)
					f.unchanged(before)
					if st := f.sp.Stats(); st.Refused != (Refused{OwnAddress: 1}) || st.Learned+st.Updated != 0 {
						t.Fatalf("stats %+v", st)
					}
				})
			}
		}
	}
}

// TestRequestForUs: a request for the port's address or one of its VIPs
// creates an entry for its sender, refreshes it at the same MAC and moves it
// to a new one (a learned entry); ARPAccept changes none of this.
func TestRequestForUs(t *testing.T) {
	for _, tpa := range []uint32{ipWAN, ipVIP} {
		for _, accept := range []bool{false, true} {
			t.Run(fmt.Sprintf("for %v/arp_accept=%v", ipString(tpa), accept), func(t *testing.T) {
				f := newFixture(t, Config{})
				f.setARPAccept(accept)
				ask := func(mac [6]byte) *fakePacket {
					return f.arp(portWAN, packet.ARPRequest, mac, ipHost, [6]byte{}, tpa)
				}
				steps := []struct {
					name             string
					wait             time.Duration
					mac              [6]byte
					learned, updated uint64
					sets             int // mirror writes so far
				}{
					{"creates", 0, macHost, 1, 0, 2},
					{"refreshes a stale entry", DefaultReachableTime, macHost, 1, 0, 2},
					{"moves it to a new MAC", DefaultReachableTime, macOther, 1, 1, 3},
				}
				for _, s := range steps {
					f.tick(s.wait)
					if e, ok := f.entry(ipHost); ok && s.wait > 0 && e.State != StateStale {
						t.Fatalf("%s: %+v before", s.name, e)
					}
					if p := ask(s.mac); !p.sent() {
						t.Fatalf("%s: request not answered", s.name)
					}
					e := f.mustEntry(ipHost)
					st := f.sp.Stats()
					if e.MAC != s.mac || e.State != StateReachable || e.Age != 0 || st.Learned != s.learned || st.Updated != s.updated || st.Refused != (Refused{}) {
						t.Fatalf("%s: entry %+v stats %+v", s.name, e, st)
					}
					// sets: the static entry's, then this entry's changes
					if m := f.mirror.entries[ipHost]; m.mac != s.mac || f.mirror.sets != s.sets {
						t.Fatalf("%s: mirror %+v after %d sets", s.name, m, f.mirror.sets)
					}
				}
			})
		}
	}
}

// TestRequestCannotRebindWanted: a request aimed at us that offers another
// MAC for a configured next hop is refused and re-validates it: a unicast
// probe at once (unless one went out within RetryTime), whatever ARPAccept.
func TestRequestCannotRebindWanted(t *testing.T) {
	cases := []struct {
		wait      time.Duration // after the server answered at t0
		arpAccept bool
		probe     bool // a unicast probe goes out at once
	}{
		{2 * DefaultRetryTime, false, true},
		{2 * DefaultRetryTime, true, true},
		{DefaultRetryTime / 2, false, false}, // the fixture's request went out at t0
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("after %v/arp_accept=%v", c.wait, c.arpAccept), func(t *testing.T) {
			f := newFixture(t, Config{})
			f.setARPAccept(c.arpAccept)
			f.resolveRS()
			f.advance(c.wait)
			if p := f.learn(portLAN, macOther, ipRS); !p.sent() {
				t.Fatal("request not answered")
			}
			e := f.mustEntry(ipRS)
			probes := map[bool]int{false: 0, true: 1}[c.probe]
			if e.MAC != macRS || e.State != StateReachable || e.Age != c.wait || e.Probes != probes || f.mirror.entries[ipRS].mac != macRS {
				t.Fatalf("entry %+v mirror %+v", e, f.mirror.entries[ipRS])
			}
			if st := f.sp.Stats(); st.Refused != (Refused{Unsolicited: 1}) || st.Updated != 0 {
				t.Fatalf("stats %+v", st)
			}
			if !f.revalidating(ipRS) {
				t.Fatal("not re-validated")
			}
			sent := f.wire.take()
			if b, u := requestsFor(t, sent, ipRS, portLAN); b != 0 || u != probes {
				t.Fatalf("at once: %d broadcasts %d unicasts", b, u)
			}
			if c.probe {
				if dst, _, _ := parseARP(t, sent[0].frame); dst != macRS {
					t.Fatalf("probe to %x", dst)
				}
				return
			}
			// The entry is reachable: only the re-validation probes it, at
			// the next RetryTime since the last request.
			f.advance(DefaultRetryTime - c.wait - time.Millisecond)
			if b, u := requestsFor(t, f.tick(0), ipRS, portLAN); b+u != 0 {
				t.Fatal("probed within RetryTime")
			}
			if b, u := requestsFor(t, f.tick(time.Millisecond), ipRS, portLAN); b != 0 || u != 1 {
				t.Fatalf("after RetryTime: %d broadcasts %d unicasts", b, u)
			}
		})
	}
}

// TestRevalidationSettled: a re-validated next hop keeps its MAC while it is
// probed (unicast, then broadcast) until a reply to a probe settles it; a
// reply from another MAC to a unicast probe does not.
func TestRevalidationSettled(t *testing.T) {
	// start has a request claim the server's address at another MAC, 2 s
	// after it answered: refused, probed at once.
	start := func(t *testing.T, f *fixture) {
		f.resolveRS()
		f.advance(2 * DefaultRetryTime)
		f.learn(portLAN, macOther, ipRS)
		if _, u := requestsFor(t, f.wire.take(), ipRS, portLAN); u != 1 || !f.revalidating(ipRS) {
			t.Fatalf("%d probes, revalidating %v", u, f.revalidating(ipRS))
		}
	}
	settled := func(t *testing.T, f *fixture, mac [6]byte, updated uint64) {
		t.Helper()
		e := f.mustEntry(ipRS)
		st := f.sp.Stats()
		if f.revalidating(ipRS) || e.MAC != mac || e.State != StateReachable || e.Probes != 0 || f.mirror.entries[ipRS].mac != mac || st.Updated != updated {
			t.Fatalf("revalidating %v entry %+v updated %d", f.revalidating(ipRS), e, st.Updated)
		}
		for range 5 { // reachable and settled: no more probes
			if b, u := requestsFor(t, f.tick(DefaultRetryTime), ipRS, portLAN); b+u != 0 {
				t.Fatalf("still probed at %v", f.now)
			}
		}
	}

	t.Run("the probed MAC answers", func(t *testing.T) {
		f := newFixture(t, Config{})
		start(t, f)
		f.reply(portLAN, macOther, ipRS) // the claimant answers our unicast probe
		if e := f.mustEntry(ipRS); e.MAC != macRS || !f.revalidating(ipRS) || f.sp.Stats().Refused.Unsolicited != 2 {
			t.Fatalf("entry %+v revalidating %v refused %+v", e, f.revalidating(ipRS), f.sp.Stats().Refused)
		}
		f.reply(portLAN, macRS, ipRS)
		settled(t, f, macRS, 0)
	})

	t.Run("the old MAC is silent: the broadcast settles it", func(t *testing.T) {
		f := newFixture(t, Config{})
		start(t, f)
		// Probe 1 went out at once; the entry stays reachable (confirmed
		// at t0), so only the re-validation probes it.
		for i := 2; i <= DefaultMaxProbes+1; i++ {
			b, u := requestsFor(t, f.tick(DefaultRetryTime), ipRS, portLAN)
			wantB, wantU := 0, 1
			if i > DefaultMaxProbes {
				wantB, wantU = 1, 0
			}
			if b != wantB || u != wantU || f.mustEntry(ipRS).MAC != macRS {
				t.Fatalf("probe %d: %d broadcasts %d unicasts, entry %+v", i, b, u, f.mustEntry(ipRS))
			}
		}
		f.reply(portLAN, macOther, ipRS) // the server moved: it answers the broadcast
		settled(t, f, macOther, 1)
	})

	t.Run("a gratuitous ARP with arp_accept settles it", func(t *testing.T) {
		f := newFixture(t, Config{})
		f.setARPAccept(true)
		start(t, f)
		f.gratuitous(portLAN, packet.ARPRequest, macOther, ipRS) // a VRRP takeover
		settled(t, f, macOther, 1)
	})

	t.Run("a request at the old MAC refreshes but does not settle", func(t *testing.T) {
		f := newFixture(t, Config{})
		start(t, f)
		f.learn(portLAN, macRS, ipRS)
		if e := f.mustEntry(ipRS); e.MAC != macRS || e.Age != 0 || !f.revalidating(ipRS) {
			t.Fatalf("entry %+v revalidating %v", e, f.revalidating(ipRS))
		}
		if _, u := requestsFor(t, f.tick(DefaultRetryTime), ipRS, portLAN); u != 1 {
			t.Fatal("re-validation stopped by a request")
		}
		f.reply(portLAN, macRS, ipRS)
		settled(t, f, macRS, 0)
	})
}

// TestRequestForWantedBeforeResolved: a request cannot give a next hop we
// have not resolved yet its first MAC; our own request's answer does.
func TestRequestForWantedBeforeResolved(t *testing.T) {
	f := newFixture(t, Config{})
	before := f.snapshot()
	f.learn(portWAN, macOther, ipGW)
	f.unchanged(before)
	if st := f.sp.Stats(); st.Refused != (Refused{Unsolicited: 1}) || len(f.wire.sent) != 0 || f.revalidating(ipGW) {
		t.Fatalf("refused %+v, %d frames sent, revalidating %v", st.Refused, len(f.wire.sent), f.revalidating(ipGW))
	}
	f.reply(portWAN, macGW, ipGW) // answers the fixture's broadcast
	if e := f.mustEntry(ipGW); e.MAC != macGW || e.State != StateReachable {
		t.Fatalf("entry %+v", e)
	}
}

// TestRequestForOthers: a request for someone else's address only refreshes
// an entry that has that very MAC, never creates one, and is counted
// not_for_us either way; ARPAccept changes none of this.
func TestRequestForOthers(t *testing.T) {
	cases := []struct {
		name    string
		setup   func(f *fixture)
		from    sender
		tpa     uint32
		refresh bool // else refused, counted unsolicited if there is an entry
		entry   bool
	}{
		{"no entry", func(*fixture) {}, sender{portWAN, macHost, ipHost}, ipHost2, false, false},
		{"learned, same MAC", func(f *fixture) { f.learn(portWAN, macHost, ipHost) }, sender{portWAN, macHost, ipHost}, ipHost2, true, true},
		{"learned, another MAC", func(f *fixture) { f.learn(portWAN, macHost, ipHost) }, sender{portWAN, macOther, ipHost}, ipHost2, false, true},
		{"wanted, same MAC", func(f *fixture) { f.resolveRS() }, sender{portLAN, macRS, ipRS}, ip4(192, 168, 1, 12), true, true},
		{"wanted, another MAC", func(f *fixture) { f.resolveRS() }, sender{portLAN, macOther, ipRS}, ip4(192, 168, 1, 12), false, true},
		{"wanted, not yet resolved", func(*fixture) {}, sender{portWAN, macGW, ipGW}, ipHost2, false, true},
		{"another port's VIP", func(f *fixture) { f.learn(portWAN, macHost, ipHost) }, sender{portWAN, macOther, ipHost}, ipLANVIP, false, true},
	}
	for _, c := range cases {
		for _, accept := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/arp_accept=%v", c.name, accept), func(t *testing.T) {
				f := newFixture(t, Config{})
				f.setARPAccept(accept)
				c.setup(f)
				f.advance(DefaultReachableTime + DefaultRetryTime) // stale; no Tick, so no probe
				before, answered := f.snapshot(), f.sp.Stats().RequestsAnswered
				p := f.arp(c.from.port, packet.ARPRequest, c.from.mac, c.from.ip, [6]byte{}, c.tpa)
				st := f.sp.Stats()
				if !p.freed() || st.NotForUs != 1 || st.RequestsAnswered != answered || len(f.wire.sent) != 0 {
					t.Fatalf("sends=%d frees=%d not_for_us %d answered %d->%d, %d frames sent",
						p.sends, p.frees, st.NotForUs, answered, st.RequestsAnswered, len(f.wire.sent))
				}
				if f.revalidating(c.from.ip) {
					t.Fatal("a request for others re-validates")
				}
				if !c.refresh {
					f.unchanged(before)
					want := Refused{}
					if c.entry {
						want.Unsolicited = 1
					}
					if st.Refused != want {
						t.Fatalf("refused %+v, want %+v", st.Refused, want)
					}
					return
				}
				e := f.mustEntry(c.from.ip)
				if e.MAC != c.from.mac || e.State != StateReachable || e.Age != 0 || st.Updated != 0 || st.Refused != (Refused{}) || f.mirror.sets != before.sets {
					t.Fatalf("entry %+v stats %+v mirror sets %d->%d", e, st, before.sets, f.mirror.sets)
				}
			})
		}
	}
}

// TestBadSenderMAC: no frame binds a broadcast, multicast or zero MAC, not
// even one that would otherwise be accepted.
func TestBadSenderMAC(t *testing.T) {
	frames := []struct {
		name      string
		arpAccept bool
		setup     func(f *fixture)
		send      func(f *fixture, mac [6]byte)
	}{
		{"request for us", false, func(*fixture) {}, func(f *fixture, mac [6]byte) { f.learn(portWAN, mac, ipHost) }},
		{"request for us, learned entry", false, func(f *fixture) { f.learn(portWAN, macHost, ipHost) },
			func(f *fixture, mac [6]byte) { f.learn(portWAN, mac, ipHost) }},
		{"reply to our broadcast", false, func(f *fixture) { f.unresolved(portWAN, ipHost, 1) },
			func(f *fixture, mac [6]byte) { f.reply(portWAN, mac, ipHost) }},
		{"reply to our broadcast, wanted", false, func(*fixture) {}, func(f *fixture, mac [6]byte) { f.reply(portLAN, mac, ipRS) }},
		{"reply with arp_accept", true, func(*fixture) {}, func(f *fixture, mac [6]byte) { f.reply(portWAN, mac, ipHost) }},
		{"gratuitous with arp_accept", true, func(f *fixture) { f.learn(portWAN, macHost, ipHost) },
			func(f *fixture, mac [6]byte) { f.gratuitous(portWAN, packet.ARPRequest, mac, ipHost) }},
		{"request for others", false, func(f *fixture) { f.learn(portWAN, macHost, ipHost) },
			func(f *fixture, mac [6]byte) { f.arp(portWAN, packet.ARPRequest, mac, ipHost, [6]byte{}, ipHost2) }},
	}
	macs := []struct {
		name string
		mac  [6]byte
	}{{"broadcast", packet.BroadcastMAC}, {"multicast", multicastMAC}, {"zero", [6]byte{}}}
	for _, fr := range frames {
		for _, m := range macs {
			t.Run(fr.name+"/"+m.name, func(t *testing.T) {
				f := newFixture(t, Config{})
				f.setARPAccept(fr.arpAccept)
				fr.setup(f)
				f.wire.take()
				before := f.snapshot()
				fr.send(f, m.mac)
				f.unchanged(before)
				if st := f.sp.Stats(); st.Refused != (Refused{BadMAC: 1}) || len(f.wire.sent) != 0 {
					t.Fatalf("refused %+v, %d frames sent", st.Refused, len(f.wire.sent))
				}
			})
		}
	}
}

// TestWrongPort: ARP whose sender belongs to another port's subnet binds
// nothing on the port it came in on, not even the answer to our request.
func TestWrongPort(t *testing.T) {
	cases := []struct {
		name      string
		arpAccept bool
		setup     func(f *fixture)
		send      func(f *fixture)
	}{
		{"request for us from the LAN's subnet", false, func(*fixture) {},
			func(f *fixture) { f.learn(portWAN, macHost, ip4(192, 168, 1, 7)) }},
		{"the server's reply to our broadcast, on the WAN", false, func(*fixture) {},
			func(f *fixture) { f.reply(portWAN, macRS, ipRS) }},
		{"reply with arp_accept from the LAN's subnet", true, func(*fixture) {},
			func(f *fixture) { f.reply(portWAN, macOther, ip4(192, 168, 1, 7)) }},
		{"gratuitous with arp_accept for the server, on the WAN", true, func(f *fixture) { f.resolveRS() },
			func(f *fixture) { f.gratuitous(portWAN, packet.ARPRequest, macOther, ipRS) }},
		{"request for us from the WAN's subnet, on the LAN", false, func(f *fixture) { f.learn(portWAN, macHost, ipHost) },
			func(f *fixture) { f.learn(portLAN, macOther, ipHost) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			f.setARPAccept(c.arpAccept)
			c.setup(f)
			before := f.snapshot()
			c.send(f)
			f.unchanged(before)
			if st := f.sp.Stats(); st.Refused != (Refused{NotInSubnet: 1}) {
				t.Fatalf("refused %+v", st.Refused)
			}
		})
	}
}

// TestARPStorm: requests for other hosts from any number of senders are
// chatter: they create nothing, whatever ARPAccept.
func TestARPStorm(t *testing.T) {
	const storm = 10000
	for _, accept := range []bool{false, true} {
		t.Run(fmt.Sprintf("arp_accept=%v", accept), func(t *testing.T) {
			f := newFixture(t, Config{})
			f.setARPAccept(accept)
			before := f.snapshot()
			rng := rand.New(rand.NewPCG(1, 2))
			// hosts of the WAN's /24 we have no entry for and that are not ours
			host := func() uint32 {
				for {
					ip := ip4(10, 0, 0, byte(2+rng.IntN(253)))
					if ip != ipVIP && ip != ipGW {
						return ip
					}
				}
			}
			for range storm {
				var mac [6]byte
				for i := range mac {
					mac[i] = byte(rng.Uint32())
				}
				mac[0] = mac[0]&^1 | 2 // unicast, locally administered: never zero
				spa, tpa := host(), host()
				for tpa == spa {
					tpa = host()
				}
				if p := f.arp(portWAN, packet.ARPRequest, mac, spa, [6]byte{}, tpa); !p.freed() {
					t.Fatal("answered a request for another host")
				}
			}
			f.unchanged(before)
			st := f.sp.Stats()
			if st.NotForUs != storm || st.ARPReceived != storm || st.Learned != 0 || st.Refused != (Refused{}) ||
				st.Entries != uint64(len(before.entries)) || len(f.wire.sent) != 0 {
				t.Fatalf("stats %+v, %d frames sent", st, len(f.wire.sent))
			}
		})
	}
}
