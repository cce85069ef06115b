package connsync

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"
)

// freePort is a UDP port nothing listens on at the moment.
func freePort(t *testing.T) uint16 {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return uint16(c.LocalAddr().(*net.UDPAddr).Port)
}

func recvWithin(t *testing.T, u *UDP, d time.Duration) ([]byte, netip.Addr) {
	t.Helper()
	type got struct {
		b   []byte
		src netip.Addr
		err error
	}
	ch := make(chan got, 1)
	go func() {
		buf := make([]byte, 2048)
		n, src, err := u.Recv(buf)
		ch <- got{buf[:n], src, err}
	}()
	select {
	case g := <-ch:
		if g.err != nil {
			t.Fatal(g.err)
		}
		return g.b, g.src
	case <-time.After(d):
		t.Fatalf("no datagram in %v", d)
	}
	return nil, netip.Addr{}
}

// A unicast receiver drops what its own address sent: the one datagram it
// returns is the peer's, sent after its own.
func TestUDPDropsOwnDatagrams(t *testing.T) {
	port := freePort(t)
	lo1, lo2 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")
	rx, err := OpenUDP(UDPConfig{Interface: "lo", Source: lo1, Peers: []netip.Addr{lo2}, Port: port, Receive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	self, err := OpenUDP(UDPConfig{Interface: "lo", Source: lo1, Peers: []netip.Addr{lo1}, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	peer, err := OpenUDP(UDPConfig{Interface: "lo", Source: lo2, Peers: []netip.Addr{lo1}, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if err := self.Send([]byte("own")); err != nil {
		t.Fatal(err)
	}
	if err := peer.Send([]byte("peer")); err != nil {
		t.Fatal(err)
	}
	b, from := recvWithin(t, rx, 5*time.Second)
	if !bytes.Equal(b, []byte("peer")) || from != lo2 {
		t.Fatalf("got %q from %v, want the peer's datagram from %v", b, from, lo2)
	}
}

func TestOpenUDPRefuses(t *testing.T) {
	for _, c := range []UDPConfig{
		{Source: netip.MustParseAddr("::1"), Group: DefaultGroup},
		{Source: netip.MustParseAddr("127.0.0.1"), Group: netip.MustParseAddr("10.0.0.1")},
		{Source: netip.MustParseAddr("127.0.0.1"), Group: DefaultGroup, Interface: "no-such-if0"},
	} {
		if u, err := OpenUDP(c); err == nil {
			u.Close()
			t.Errorf("%+v opened", c)
		}
	}
}

// The multicast socket opens and joins the group on lo (the traffic
// itself needs two hosts: loopback is off so a director never hears
// itself; the e2e tests cover it between namespaces).
func TestUDPMulticastOpensOnLoopback(t *testing.T) {
	u, err := OpenUDP(UDPConfig{Interface: "lo", Source: netip.MustParseAddr("127.0.0.1"), Group: DefaultGroup, Port: freePort(t), TTL: 1, Receive: true})
	if err != nil {
		t.Fatalf("multicast on lo: %v", err)
	}
	defer u.Close()
	if len(u.dests) != 1 || u.dests[0].IP.String() != "224.0.0.81" {
		t.Fatalf("destinations %v, want the group", u.dests)
	}
}
