package dataplane

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
)

// A standby VIP (its VRRP instance not MASTER) gets nothing answered or
// forwarded: new connections, established ones and echo are dropped
// vip_standby. Active again, the established connection carries on to
// its server and new ones are scheduled. Another VIP is not affected.
func TestStandbyVIP(t *testing.T) {
	other := netip.MustParseAddr("10.0.0.101")
	spec := func(standby ...netip.Addr) *Spec {
		s := testSpec(1, 1, 1)
		s.Services = append(s.Services, ServiceSpec{Name: "other", VIP: other, Proto: packet.ProtoTCP, Port: 80, Scheduler: "rr",
			Dests: []DestSpec{{Addr: rsAddrs[0], Port: 8080, Weight: 1}}})
		s.Standby = standby
		return s
	}
	r := newRig(t, 16, spec())
	for i, a := range rsAddrs {
		r.learn(a, macRS[i], 1)
	}
	first := openWeb(t, r, 40000)

	r.apply(spec(vip))
	for _, f := range [][]byte{
		tcpFrame(t, macClient, macWAN, client, 40001, vip, 80, true, false, ""), // new
		clientData(t, 40000), // established
		udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "q"),
		echoFrame(t, vip),
		tcpFrame(t, macClient, macWAN, client, 40001, vip, 9999, true, false, ""), // no service: still standby
	} {
		r.expectDrop(f, 0, fastpath.DropVIPStandby)
	}
	if _, ok := r.conn(client, 40001, vip, 80, packet.ProtoTCP); ok {
		t.Fatal("a SYN to a standby VIP created a connection")
	}
	r.expectSent(tcpFrame(t, macClient, macWAN, client, 40002, other, 80, true, false, ""), 0)
	r.expectSent(echoFrame(t, other), 0)

	r.apply(spec())
	data := clientData(t, 40000)
	r.expectSent(data, 0)
	if got := dstAddr(data); got != first {
		t.Fatalf("established connection went to %v after standby, was %v", got, first)
	}
	openWeb(t, r, 40003)
	r.expectSent(echoFrame(t, vip), 0)
}

func TestStandbyRefused(t *testing.T) {
	r := newRig(t, 16, testSpec())
	gw := netip.MustParseAddr("10.1.0.254")
	for _, c := range []struct {
		name     string
		floating []netip.Addr
		standby  []netip.Addr
		want     string
	}{
		{"port address", nil, []netip.Addr{netip.MustParseAddr("10.0.0.1")}, "neither a service's VIP nor a floating"},
		{"unknown address", nil, []netip.Addr{gw}, "neither a service's VIP nor a floating"},
		{"IPv6", nil, []netip.Addr{netip.MustParseAddr("::1")}, "not an IPv4"},
		{"floating outside the subnets", []netip.Addr{netip.MustParseAddr("192.0.2.1")}, nil, "not inside any port's subnet"},
		{"floating port address", []netip.Addr{netip.MustParseAddr("10.1.0.1")}, nil, "port lan's own address"},
		{"floating VIP", []netip.Addr{vip}, nil, "a service VIP or listed twice"},
		{"floating twice", []netip.Addr{gw, gw}, nil, "a service VIP or listed twice"},
		{"floating IPv6", []netip.Addr{netip.MustParseAddr("::1")}, nil, "not an IPv4"},
	} {
		spec := testSpec()
		spec.Floating, spec.Standby = c.floating, c.standby
		_, err := compile(2, spec, r.ports, r.ids)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// A floating address (the NAT gateway) is answered in ARP by the port of
// its subnet, can be standby, and is nothing to the fast path.
func TestFloatingAddress(t *testing.T) {
	gw := netip.MustParseAddr("10.1.0.254")
	for _, standby := range []bool{false, true} {
		spec := testSpec()
		spec.Floating = []netip.Addr{gw}
		if standby {
			spec.Standby = []netip.Addr{gw}
		}
		r := newRig(t, 16, spec)
		if port, ok := r.c.vips[addrU32(gw)]; !ok || port != 1 {
			t.Fatalf("floating address on port %d (%v), want lan (1)", port, ok)
		}
		if r.c.standby[addrU32(gw)] != standby {
			t.Fatalf("standby %v, want %v", r.c.standby[addrU32(gw)], standby)
		}
		r.expectDrop(echoFrame(t, gw), 0, fastpath.DropNotLocal)
		r.expectSent(echoFrame(t, vip), 0) // the VIP is not standby
	}
}
