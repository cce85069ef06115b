package slowpath

import (
	"bytes"
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

func TestLearningHygiene(t *testing.T) {
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
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			f.reply(c.from.port, c.from.mac, c.from.ip)
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

// TestHandleARPRefusesOtherPort: an entry belongs to the port it was made
// on, even when subnets overlap.
func TestHandleARPRefusesOtherPort(t *testing.T) {
	f := newFixture(t, Config{})
	f.reconfigure(func(v *View) {
		v.Ports = append(v.Ports, Port{Name: "wan2", MAC: macP2P, IP: ip4(10, 0, 0, 2), Net: ip4(10, 0, 0, 0), Mask: 0xffffff00})
	})
	f.reply(portWAN, macHost, ipHost)
	f.arp(3, packet.ARPReply, macOther, ipHost, macP2P, ip4(10, 0, 0, 2))
	if e := f.mustEntry(ipHost); e.MAC != macHost || e.Port != portWAN || f.sp.Stats().Refused.NotInSubnet != 1 {
		t.Fatalf("entry %+v refused %+v", e, f.sp.Stats().Refused)
	}
}

func TestCreateOrRefresh(t *testing.T) {
	type arpIn struct {
		op       uint16
		tha      [6]byte
		tpa      uint32
		creates  bool
		describe string
	}
	kinds := []arpIn{
		{packet.ARPReply, macWAN, ipWAN, true, "reply to us"},
		{packet.ARPReply, macOther, ipHost2, true, "reply to another host"},
		{packet.ARPRequest, [6]byte{}, ipWAN, true, "request for our address"},
		{packet.ARPRequest, [6]byte{}, ipVIP, true, "request for a VIP"},
		{packet.ARPRequest, packet.BroadcastMAC, ipHost, false, "gratuitous"},
		{packet.ARPRequest, [6]byte{}, ipHost2, false, "request for another host"},
		{packet.ARPRequest, [6]byte{}, ipLANVIP, false, "request for another port's VIP"},
	}
	for _, k := range kinds {
		t.Run("new/"+k.describe, func(t *testing.T) {
			f := newFixture(t, Config{})
			f.arp(portWAN, k.op, macHost, ipHost, k.tha, k.tpa)
			_, ok := f.entry(ipHost)
			if ok != k.creates || (f.sp.Stats().Learned == 1) != k.creates {
				t.Fatalf("created=%v, want %v", ok, k.creates)
			}
		})
		t.Run("known/"+k.describe, func(t *testing.T) {
			f := newFixture(t, Config{})
			f.reply(portWAN, macHost, ipHost)
			f.tick(DefaultReachableTime + 1)
			if e := f.mustEntry(ipHost); e.State != StateStale {
				t.Fatalf("state %v before the refresh", e.State)
			}
			f.arp(portWAN, k.op, macOther, ipHost, k.tha, k.tpa) // the host moved
			e := f.mustEntry(ipHost)
			st := f.sp.Stats()
			if e.MAC != macOther || e.State != StateReachable || e.Age != 0 || st.Updated != 1 || st.Learned != 1 {
				t.Fatalf("entry %+v updated=%d learned=%d", e, st.Updated, st.Learned)
			}
			if m := f.mirror.entries[ipHost]; m.mac != macOther || m.port != portWAN {
				t.Fatalf("mirror %+v", m)
			}
		})
	}
}

func TestRefreshKeepsMACWithoutUpdate(t *testing.T) {
	f := newFixture(t, Config{})
	f.reply(portWAN, macHost, ipHost)
	sets := f.mirror.sets
	f.tick(DefaultReachableTime + 1)
	f.arp(portWAN, packet.ARPRequest, macHost, ipHost, [6]byte{}, ipHost2)
	if e := f.mustEntry(ipHost); e.State != StateReachable || f.sp.Stats().Updated != 0 || f.mirror.sets != sets {
		t.Fatalf("entry %+v updated=%d mirror sets %d->%d", e, f.sp.Stats().Updated, sets, f.mirror.sets)
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
