package slowpath

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/govs-project/govs/dataplane/packet"
)

var multicastMAC = [6]byte{0x01, 0x00, 0x5e, 0, 0, 1}

func TestHandleARPAnswers(t *testing.T) {
	cases := []struct {
		name   string
		from   sender
		tpa    uint32
		answer bool
	}{
		{"port address", sender{portWAN, macHost, ipHost}, ipWAN, true},
		{"VIP on its port", sender{portWAN, macHost, ipHost}, ipVIP, true},
		{"LAN port address", sender{portLAN, macRS, ipRS}, ipLAN, true},
		{"VIP of another port", sender{portWAN, macHost, ipHost}, ipLANVIP, false},
		{"address of another port", sender{portWAN, macHost, ipHost}, ipLAN, false},
		{"someone else", sender{portWAN, macHost, ipHost}, ipHost2, false},
		{"target 0.0.0.0", sender{portWAN, macHost, ipHost}, 0, false},
		{"duplicate address probe (sender 0.0.0.0)", sender{portWAN, macHost, 0}, ipWAN, true},
		{"sender outside the subnet", sender{portWAN, macHost, ip4(10, 9, 9, 9)}, ipVIP, true},
		{"multicast sender MAC", sender{portWAN, multicastMAC, ipHost}, ipWAN, false},
		{"zero sender MAC", sender{portWAN, [6]byte{}, ipHost}, ipWAN, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			req := arpFrame(t, packet.ARPRequest, c.from.mac, c.from.ip, [6]byte{}, c.tpa)
			p := &fakePacket{frame: append([]byte(nil), req...)}
			f.sp.HandleARP(p, c.from.port, f.now)
			st := f.sp.Stats()
			if !c.answer {
				if !p.freed() || st.RequestsAnswered != 0 {
					t.Fatalf("not ours, yet sends=%d frees=%d answered=%d", p.sends, p.frees, st.RequestsAnswered)
				}
				return
			}
			if !p.sent() || p.port != c.from.port || st.RequestsAnswered != 1 {
				t.Fatalf("sends=%d frees=%d port=%d answered=%d", p.sends, p.frees, p.port, st.RequestsAnswered)
			}
			portMAC := testView(0).Ports[c.from.port].MAC
			dst, src, a := parseARP(t, p.frame)
			want := packet.ARP{Op: packet.ARPReply, SHA: portMAC, SPA: c.tpa, THA: c.from.mac, TPA: c.from.ip}
			if dst != c.from.mac || src != portMAC || a != want {
				t.Fatalf("reply eth %x<-%x %+v, want eth %x<-%x %+v", dst, src, a, c.from.mac, portMAC, want)
			}
			if len(p.frame) != len(req) || !bytes.Equal(p.frame[12:14], req[12:14]) {
				t.Fatal("reply changed the frame's length or ethertype")
			}
		})
	}
}

func TestHandleARPReplySendFails(t *testing.T) {
	f := newFixture(t, Config{})
	p := &fakePacket{frame: arpFrame(t, packet.ARPRequest, macHost, ipHost, [6]byte{}, ipVIP), failSend: true}
	f.sp.HandleARP(p, portWAN, f.now)
	st := f.sp.Stats()
	if p.sends != 1 || p.frees != 0 || st.SendFailed != 1 || st.RequestsAnswered != 0 {
		t.Fatalf("sends=%d frees=%d stats %+v", p.sends, p.frees, st)
	}
}

func TestHandleARPInvalid(t *testing.T) {
	good := func(t *testing.T) []byte {
		return arpFrame(t, packet.ARPReply, macHost, ipHost, macWAN, ipWAN)
	}
	cases := []struct {
		name   string
		inPort int
		frame  func(t *testing.T) []byte
	}{
		{"empty", portWAN, func(*testing.T) []byte { return nil }},
		{"truncated", portWAN, func(t *testing.T) []byte { return good(t)[:packet.EthHdrLen+27] }},
		{"VLAN tagged", portWAN, func(t *testing.T) []byte {
			g := good(t)
			tagged := append(append(append([]byte(nil), g[:12]...), 0x81, 0x00, 0x00, 0x64), g[12:]...)
			return tagged
		}},
		{"not IPv4 protocol", portWAN, func(t *testing.T) []byte { b := good(t); b[16], b[17] = 0x86, 0xdd; return b }},
		{"hardware length 8", portWAN, func(t *testing.T) []byte { b := good(t); b[18] = 8; return b }},
		{"operation 3 (RARP)", portWAN, func(t *testing.T) []byte { b := good(t); b[21] = 3; return b }},
		{"IPv4, not ARP", portWAN, func(*testing.T) []byte { return ipv4Frame(1) }},
		{"negative port", -1, good},
		{"unknown port", 3, good},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			p := &fakePacket{frame: c.frame(t)}
			f.sp.HandleARP(p, c.inPort, f.now)
			st := f.sp.Stats()
			if !p.freed() || st.ARPReceived != 1 || st.ARPInvalid != 1 || st.Learned != 0 || st.RepliesReceived != 0 {
				t.Fatalf("sends=%d frees=%d stats %+v", p.sends, p.frees, st)
			}
			if _, ok := f.entry(ipHost); ok {
				t.Fatal("learned from an invalid frame")
			}
		})
	}
}

func TestHandleARPBeforeApply(t *testing.T) {
	sp := New(Config{}, newFakeMirror(), &fakeWire{})
	p := &fakePacket{frame: arpFrame(t, packet.ARPRequest, macHost, ipHost, [6]byte{}, ipWAN)}
	sp.HandleARP(p, 0, t0)
	if !p.freed() || sp.Stats().ARPInvalid != 1 {
		t.Fatalf("no ports yet: sends=%d frees=%d", p.sends, p.frees)
	}
}

// TestLearningHygiene: whatever the frame, a binding must pass the address
// and MAC rules of hygiene.go. Each case is offered by the frames that would
// otherwise create an entry for it: a request aimed at us, and a reply with
// ARPAccept (a sender address equal to ours makes it a gratuitous ARP,
// refused just the same).
func TestLearningHygiene(t *testing.T) {
	frames := []struct {
		name      string
		arpAccept bool
		send      func(f *fixture, s sender)
	}{
		{"request for us", false, func(f *fixture, s sender) { f.learn(s.port, s.mac, s.ip) }},
		{"reply with arp_accept", true, func(f *fixture, s sender) { f.reply(s.port, s.mac, s.ip) }},
	}
	cases := []struct {
		name    string
		from    sender
		refused Refused // the one counter expected, zero = learned
	}{
		{"host on the subnet", sender{portWAN, macHost, ipHost}, Refused{}},
		{"outside the subnet", sender{portWAN, macHost, ip4(10, 0, 1, 7)}, Refused{NotInSubnet: 1}},
		{"another port's subnet", sender{portWAN, macHost, ip4(192, 168, 1, 7)}, Refused{NotInSubnet: 1}},
		{"our port address", sender{portWAN, macHost, ipWAN}, Refused{OwnAddress: 1}},
		{"another port's address", sender{portWAN, macHost, ipLAN}, Refused{OwnAddress: 1}},
		{"a VIP", sender{portWAN, macHost, ipVIP}, Refused{OwnAddress: 1}},
		{"network address", sender{portWAN, macHost, ip4(10, 0, 0, 0)}, Refused{BadAddress: 1}},
		{"subnet broadcast", sender{portWAN, macHost, ip4(10, 0, 0, 255)}, Refused{BadAddress: 1}},
		{"0.0.0.0", sender{portWAN, macHost, 0}, Refused{BadAddress: 1}},
		{"255.255.255.255", sender{portWAN, macHost, 0xffffffff}, Refused{BadAddress: 1}},
		{"broadcast MAC", sender{portWAN, packet.BroadcastMAC, ipHost}, Refused{BadMAC: 1}},
		{"multicast MAC", sender{portWAN, multicastMAC, ipHost}, Refused{BadMAC: 1}},
		{"zero MAC", sender{portWAN, [6]byte{}, ipHost}, Refused{BadMAC: 1}},
		{"/31 peer (no network/broadcast)", sender{portP2P, macHost, ipP2PPeer}, Refused{}},
	}
	for _, fr := range frames {
		for _, c := range cases {
			t.Run(fr.name+"/"+c.name, func(t *testing.T) {
				f := newFixture(t, Config{})
				f.setARPAccept(fr.arpAccept)
				fr.send(f, c.from)
				st := f.sp.Stats()
				_, inTable := f.entry(c.from.ip)
				_, inMirror := f.mirror.entries[c.from.ip]
				if st.Refused != c.refused {
					t.Fatalf("refused %+v, want %+v", st.Refused, c.refused)
				}
				learn := c.refused == Refused{}
				if inTable != learn || inMirror != learn || (st.Learned == 1) != learn {
					t.Fatalf("learn=%v: table %v mirror %v learned %d", learn, inTable, inMirror, st.Learned)
				}
			})
		}
	}
}

// TestHandleARPRefusesOtherPort: an entry belongs to the port it was made
// on, even when subnets overlap: frames that would otherwise change its MAC
// (a request aimed at the other port, a reply there with ARPAccept) are
// refused by port.
func TestHandleARPRefusesOtherPort(t *testing.T) {
	const portWAN2 = 3
	ipWAN2 := ip4(10, 0, 0, 2)
	frames := []struct {
		name      string
		arpAccept bool
		op        uint16
		tha       [6]byte
	}{
		{"request for the other port", false, packet.ARPRequest, [6]byte{}},
		{"reply with arp_accept", true, packet.ARPReply, macP2P},
	}
	for _, fr := range frames {
		t.Run(fr.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			f.reconfigure(func(v *View) {
				v.Ports = append(v.Ports, Port{Name: "wan2", MAC: macP2P, IP: ipWAN2, Net: ip4(10, 0, 0, 0), Mask: 0xffffff00})
				v.ARPAccept = fr.arpAccept
			})
			f.learn(portWAN, macHost, ipHost)
			f.arp(portWAN2, fr.op, macOther, ipHost, fr.tha, ipWAN2)
			e := f.mustEntry(ipHost)
			st := f.sp.Stats()
			if e.MAC != macHost || e.Port != portWAN || st.Refused != (Refused{NotInSubnet: 1}) || st.Updated != 0 {
				t.Fatalf("entry %+v refused %+v updated %d", e, st.Refused, st.Updated)
			}
			if m := f.mirror.entries[ipHost]; m.mac != macHost || m.port != portWAN {
				t.Fatalf("mirror %+v", m)
			}
		})
	}
}

// TestCreateOrRefresh: what each kind of ARP from ipHost does to an address
// we have no entry for, and to a stale learned entry when it offers another
// MAC (the host moved), with ARPAccept off and on (accept.go). None of these
// replies answers a request of ours (TestReplyAnswersOurRequest does).
func TestCreateOrRefresh(t *testing.T) {
	type onOff struct{ off, on bool } // by ARPAccept
	kinds := []struct {
		op       uint16
		tha      [6]byte
		tpa      uint32
		creates  onOff
		updates  onOff
		notForUs bool // counted not_for_us; with no entry, not a refusal either
		describe string
	}{
		{packet.ARPReply, macWAN, ipWAN, onOff{false, true}, onOff{false, true}, false, "unsolicited reply to us"},
		{packet.ARPReply, macOther, ipHost2, onOff{false, true}, onOff{false, true}, false, "reply to another host"},
		{packet.ARPRequest, [6]byte{}, ipWAN, onOff{true, true}, onOff{true, true}, false, "request for our address"},
		{packet.ARPRequest, [6]byte{}, ipVIP, onOff{true, true}, onOff{true, true}, false, "request for a VIP"},
		{packet.ARPRequest, packet.BroadcastMAC, ipHost, onOff{false, false}, onOff{false, true}, false, "gratuitous request"},
		{packet.ARPReply, packet.BroadcastMAC, ipHost, onOff{false, false}, onOff{false, true}, false, "gratuitous reply"},
		{packet.ARPRequest, [6]byte{}, ipHost2, onOff{false, false}, onOff{false, false}, true, "request for another host"},
		{packet.ARPRequest, [6]byte{}, ipLANVIP, onOff{false, false}, onOff{false, false}, true, "request for another port's VIP"},
	}
	for _, k := range kinds {
		for _, accept := range []bool{false, true} {
			creates, updates := k.creates.off, k.updates.off
			if accept {
				creates, updates = k.creates.on, k.updates.on
			}
			name := fmt.Sprintf("%s/arp_accept=%v", k.describe, accept)
			t.Run("new/"+name, func(t *testing.T) {
				f := newFixture(t, Config{})
				f.setARPAccept(accept)
				f.arp(portWAN, k.op, macHost, ipHost, k.tha, k.tpa)
				e, ok := f.entry(ipHost)
				st := f.sp.Stats()
				if ok != creates || (st.Learned == 1) != creates || (ok && (e.MAC != macHost || e.State != StateReachable)) {
					t.Fatalf("created=%v (%+v) learned=%d, want %v", ok, e, st.Learned, creates)
				}
				if _, inMirror := f.mirror.entries[ipHost]; inMirror != creates {
					t.Fatalf("in mirror %v, want %v", inMirror, creates)
				}
				refused := !creates && !k.notForUs
				if (st.Refused == Refused{Unsolicited: 1}) != refused || (!refused && st.Refused != Refused{}) {
					t.Fatalf("refused %+v, want unsolicited %v", st.Refused, refused)
				}
				if (st.NotForUs == 1) != k.notForUs {
					t.Fatalf("not_for_us %d, want %v", st.NotForUs, k.notForUs)
				}
			})
			t.Run("known/"+name, func(t *testing.T) {
				f := newFixture(t, Config{})
				f.setARPAccept(accept)
				f.learn(portWAN, macHost, ipHost)
				f.tick(DefaultReachableTime + 1)
				if e := f.mustEntry(ipHost); e.State != StateStale {
					t.Fatalf("state %v before the refresh", e.State)
				}
				f.arp(portWAN, k.op, macOther, ipHost, k.tha, k.tpa) // the host moved
				e := f.mustEntry(ipHost)
				st := f.sp.Stats()
				if (st.NotForUs == 1) != k.notForUs || st.Learned != 1 {
					t.Fatalf("not_for_us %d learned %d", st.NotForUs, st.Learned)
				}
				m := f.mirror.entries[ipHost]
				if !updates {
					if e.MAC != macHost || e.State != StateStale || st.Updated != 0 || st.Refused != (Refused{Unsolicited: 1}) {
						t.Fatalf("refused binding applied: entry %+v updated=%d refused %+v", e, st.Updated, st.Refused)
					}
					if m.mac != macHost || m.port != portWAN {
						t.Fatalf("mirror %+v", m)
					}
					return
				}
				if e.MAC != macOther || e.State != StateReachable || e.Age != 0 || st.Updated != 1 || st.Refused != (Refused{}) {
					t.Fatalf("entry %+v updated=%d refused %+v", e, st.Updated, st.Refused)
				}
				if m.mac != macOther || m.port != portWAN {
					t.Fatalf("mirror %+v", m)
				}
			})
		}
	}
}

// TestRefreshKeepsMACWithoutUpdate: a request for someone else from a known
// host at its known MAC confirms the entry without rewriting the mirror.
func TestRefreshKeepsMACWithoutUpdate(t *testing.T) {
	f := newFixture(t, Config{})
	f.learn(portWAN, macHost, ipHost)
	sets := f.mirror.sets
	f.tick(DefaultReachableTime + 1)
	if e := f.mustEntry(ipHost); e.State != StateStale {
		t.Fatalf("state %v before the refresh", e.State)
	}
	f.arp(portWAN, packet.ARPRequest, macHost, ipHost, [6]byte{}, ipHost2)
	e := f.mustEntry(ipHost)
	st := f.sp.Stats()
	if e.State != StateReachable || e.Age != 0 || st.Updated != 0 || f.mirror.sets != sets {
		t.Fatalf("entry %+v updated=%d mirror sets %d->%d", e, st.Updated, sets, f.mirror.sets)
	}
	if st.NotForUs != 1 || st.Refused != (Refused{}) {
		t.Fatalf("not_for_us %d refused %+v", st.NotForUs, st.Refused)
	}
}

func TestStaticNeverReplaced(t *testing.T) {
	f := newFixture(t, Config{})
	f.reply(portLAN, macOther, ipStatic)
	f.arp(portLAN, packet.ARPRequest, macOther, ipStatic, packet.BroadcastMAC, ipStatic)
	f.arp(portLAN, packet.ARPRequest, macOther, ipStatic, [6]byte{}, ipLAN)
	for i := 0; i < 3600; i++ { // an hour of ticks, one a second
		for _, w := range f.tick(1e9) {
			if _, _, a := parseARP(t, w.frame); a.TPA == ipStatic {
				t.Fatalf("asked for a static neighbour at %v", f.now)
			}
		}
	}
	e := f.mustEntry(ipStatic)
	if e.MAC != macStat || e.State != StatePermanent || e.Port != portLAN {
		t.Fatalf("static entry %+v", e)
	}
	if m := f.mirror.entries[ipStatic]; m.mac != macStat || f.sp.Stats().Updated != 0 {
		t.Fatalf("mirror %+v updated %d", m, f.sp.Stats().Updated)
	}
}
