package e2e

import (
	"encoding/binary"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/internal/netlab"
)

// TestAdvNATTrimsToIPLength: bytes after the IP datagram (a frame longer
// than its total length) are not carried on: a request with 300 bytes of
// trailing junk reaches its server, and that server's reply (forged with
// junk too) the client, each in a frame of exactly its datagram's length.
// A UDP length shorter than the datagram is legal: the server sees, and
// echoes, only the bytes it covers.
func TestAdvNATTrimsToIPLength(t *testing.T) {
	env, s := natSite(t)
	junk := []byte(strings.Repeat("J", 300))
	trimmed, trimmedServer, port := udpFlow(t, env, s, func(port uint16) []byte {
		return append(udpTo(t, s.fromClient(), clientIP, vip, port, 53), junk...)
	}, "rs?:adv")
	raws := startRawCaptures(t, s)
	a := s.attack(t, "a frame longer than its datagram")
	a.client(append(serialize(t, s.fromClient(), ip4(clientIP, vip, layers.IPProtocolUDP), udpDgram(port, 53), payload("again")), junk...))
	rs := env.lab.Server(trimmedServer)
	a.server(rs, append(serialize(t, s.fromServer(rs), ip4(rs.IP.String(), clientIP, layers.IPProtocolUDP),
		udpDgram(rsUDPPort, port), payload("forged")), junk...))
	a.settle()
	// in either order: the forged reply may overtake the server's answer
	if got := trimmed.read(t, 2); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"forged", trimmedServer + ":again"}) {
		t.Errorf("the client's socket read %q, want %s:again and forged", got, trimmedServer)
	}
	checkTrimmed(t, raws[trimmedServer], s.lanMAC, port, 1)
	checkTrimmed(t, raws["client"], s.wanMAC, port, 2)

	// a UDP length covering 5 of the 16 payload bytes, no checksum
	_, shortServer, _ := udpFlow(t, env, s, func(port uint16) []byte {
		f := serialize(t, s.fromClient(), ip4(clientIP, vip, layers.IPProtocolUDP), udpDgram(port, 53), payload("short-lie-xxxxxx"))
		binary.BigEndian.PutUint16(f[ethLen+20+4:], 8+5)
		binary.BigEndian.PutUint16(f[ethLen+20+6:], 0)
		return f
	}, "rs?:short")
	t.Logf("trailing junk went to %s; the short UDP length to %s", trimmedServer, shortServer)
}

// udpSocket is a UDP socket of the client's that forged datagrams come
// from, so that the director's answers reach a reader.
type udpSocket struct {
	pc   net.PacketConn
	port uint16
}

// read returns the next n datagrams (2 s at most each).
func (u *udpSocket) read(t *testing.T, n int) []string {
	t.Helper()
	out := make([]string, n)
	buf := make([]byte, 2048)
	for i := range out {
		u.pc.SetReadDeadline(time.Now().Add(2 * time.Second))
		k, _, err := u.pc.ReadFrom(buf)
		if err != nil {
			t.Errorf("reading datagram %d of %d on client port %d: %v", i+1, n, u.port, err)
			return out
		}
		out[i] = string(buf[:k])
	}
	return out
}

// udpFlow opens a client socket, sends first (built for its port) from
// the client's link, and checks the answer reads as want ("rs?" standing
// for the server): it returns the socket, the server and the port.
func udpFlow(t *testing.T, env *natEnv, s *advSite, first func(port uint16) []byte, want string) (*udpSocket, string, uint16) {
	t.Helper()
	pc, err := env.lab.Client.ListenPacket("udp4", clientIP+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	u := &udpSocket{pc: pc, port: uint16(pc.LocalAddr().(*net.UDPAddr).Port)}
	if err := s.client.SendFrames(s.clientIf, [][]byte{first(u.port)}); err != nil {
		t.Fatal(err)
	}
	got := u.read(t, 1)[0]
	ident, rest, _ := strings.Cut(got, ":")
	if env.lab.Server(ident) == nil || "rs?:"+rest != want {
		t.Fatalf("the first datagram of client port %d was answered %q, want %q", u.port, got, want)
	}
	return u, ident, u.port
}

// startRawCaptures queues the whole frames of the client's link and every
// server's eth0, by place ("client", "rs1", ...).
func startRawCaptures(t *testing.T, s *advSite) map[string]*netlab.RawCapture {
	t.Helper()
	out := map[string]*netlab.RawCapture{}
	start := func(where string, ns *netlab.NS, ifname string) {
		c, err := netlab.StartRawCapture(ns, ifname)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Drain() })
		out[where] = c
	}
	start("client", s.client, s.clientIf)
	for _, rs := range s.servers {
		start(rs.Ident, rs.NS, "eth0")
	}
	return out
}

// checkTrimmed checks that c holds n UDP frames of client port port from
// the director's MAC, each exactly as long as its IP datagram.
func checkTrimmed(t *testing.T, c *netlab.RawCapture, director net.HardwareAddr, port uint16, n int) {
	t.Helper()
	frames, err := c.Drain()
	if err != nil {
		t.Error(err)
	}
	seen := 0
	for _, raw := range frames {
		f, ok := netlab.ParseFrame(raw.Data)
		if raw.Outgoing || !ok || !sameMAC(f.EthSrc, director) || !portsIn(port, 1)(f) {
			continue
		}
		seen++
		if raw.Len != ethLen+f.TotalLen {
			t.Errorf("the director sent %v in a %d-byte frame, want %d (its datagram): not trimmed", f, raw.Len, ethLen+f.TotalLen)
		}
	}
	if seen != n {
		t.Errorf("%d frames of client port %d from the director, want %d", seen, port, n)
	}
}
