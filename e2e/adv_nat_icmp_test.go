package e2e

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/internal/netlab"
)

// icmpErrTo is an ICMP error (type, code) from src to dst quoting quoted.
func icmpErrTo(t *testing.T, e *layers.Ethernet, src, dst string, typ, code uint8, quoted []byte) []byte {
	return serialize(t, e, ip4(src, dst, layers.IPProtocolICMPv4), icmpMsg(typ, code, 0, 0), payload(string(quoted)))
}

// withTTL sets frame's TTL.
func withTTL(frame []byte, ttl uint8) []byte {
	frame[ipTTL] = ttl
	fixIPChecksum(frame)
	return frame
}

// TestAdvNATTTLExceeded: a SYN or datagram to a VIP with TTL 1 or 0 makes
// no connection and gets ICMP time exceeded (11/0) back from the address
// of the port it came in on, counted as time_exceeded_sent and answered;
// an ICMP error with TTL 1 about a live connection is not relayed and
// gets nothing back (never an error about an error: ttl_exceeded); an
// echo request with TTL 1 is for us and answered.
func TestAdvNATTTLExceeded(t *testing.T) {
	env, s := natSite(t)
	sess := openLineSession(t, env.lab.Client, fmt.Sprintf("%s:%d", vip, rsEchoPort))
	cport := uint16(sess.lc.LocalAddr().(*net.TCPAddr).Port)
	port := forgedPorts(3)
	expired := [][]byte{
		withTTL(synTo(t, s.fromClient(), clientIP, vip, port, 80), 1),
		withTTL(synTo(t, s.fromClient(), clientIP, vip, port+1, 80), 0),
		withTTL(udpTo(t, s.fromClient(), clientIP, vip, port+2, 53), 1),
	}
	quoted := quoteOf(serialize(t, s.fromClient(), ip4(vip, clientIP, layers.IPProtocolTCP), tcpSeg(rsEchoPort, cport, "PA", 1)))
	a := s.attack(t, "TTL exceeded")
	a.client(expired...)
	a.client(withTTL(icmpErrTo(t, s.fromClient(), clientIP, vip, 3, 3, quoted), 1),
		withTTL(echoTo(t, s.fromClient(), clientIP, vip, port), 1))
	a.settle()

	a.want("stats.lcores.time_exceeded_sent", len(expired))
	a.wantDrop("ttl_exceeded", 1)
	a.want("stats.lcores.answered", len(expired)+1)
	a.want("svc.web.conns", 0)
	a.want("svc.dns.conns", 0)
	a.noneAtServers("a datagram whose TTL ran out, or the ICMP error", anyOf(portsIn(port, len(expired)), icmpType(3)))
	te := a.at("client", byDirector(s.wanMAC, icmpType(11)))
	if len(te) != len(expired) {
		t.Errorf("the client received %d time-exceeded messages, want %d:\n%s", len(te), len(expired), netlab.FormatFrames(te, 10))
	}
	for _, f := range te {
		if f.Src.String() != wanAddr || f.Dst.String() != clientIP || f.ICMPCode != 0 {
			t.Errorf("time exceeded %v: want code 0 from the port address %s to %s", f, wanAddr, clientIP)
		}
	}
	if got := a.at("client", byDirector(s.wanMAC, allOf(icmpType(0), fromAddr(vip)))); len(got) != 1 {
		t.Errorf("the echo request with TTL 1 to the VIP got %d replies, want 1", len(got))
	}
	sess.say("after-ttl")
}

// TestAdvNATICMPRateLimited: time-exceeded messages are rate limited per
// lcore (security.icmp_rate, icmp_burst): at 1/s with a burst of 1, 20
// expiring SYNs get one or two back (the full bucket, and a token that
// may accrue meanwhile); the rest are dropped as
// ttl_exceeded and counted in icmp_rate_limited, and the client sees
// exactly the messages counted as sent.
func TestAdvNATICMPRateLimited(t *testing.T) {
	env, s := natSite(t)
	t.Cleanup(func() { env.restoreBase(t) })
	if _, err := env.d.reload(withExtraYAML(env.base, "security: {icmp_rate: 1, icmp_burst: 1}"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	const n = 20
	port := forgedPorts(n)
	var frames [][]byte
	for i := range n {
		frames = append(frames, withTTL(synTo(t, s.fromClient(), clientIP, vip, port+uint16(i), 80), 1))
	}
	a := s.attack(t, "TTL exceeded, rate limited")
	a.client(frames...)
	a.settle()
	sent, limited := a.delta("stats.lcores.time_exceeded_sent"), a.delta("stats.drops.ttl_exceeded")
	if sent+limited != n || sent < 1 || sent > 2 {
		t.Errorf("%d expiring SYNs: %.0f time exceeded sent, %.0f dropped as ttl_exceeded; want them to add up to %d, 1 or 2 sent", n, sent, limited, n)
	}
	a.want("stats.lcores.icmp_rate_limited", int(limited))
	a.want("svc.web.conns", 0)
	if got := a.at("client", byDirector(s.wanMAC, icmpType(11))); float64(len(got)) != sent {
		t.Errorf("the client received %d time-exceeded messages, the director counted %.0f sent", len(got), sent)
	}
}

// withExtraYAML is c's configuration with top-level sections added (such
// as security or timeouts, which govsdConf does not render).
func withExtraYAML(c govsdConf, sections ...string) []byte {
	out := c.YAML()
	for _, s := range sections {
		out = append(out, s+"\n"...)
	}
	return out
}

// TestAdvNATBadICMPChecksum: echo requests with a wrong ICMP checksum,
// to the VIP or to a director address, are dropped as bad_icmp_checksum
// and not answered; a correct one is.
func TestAdvNATBadICMPChecksum(t *testing.T) {
	_, s := natSite(t)
	port := forgedPorts(1)
	corrupt := func(f []byte) []byte { f[ethLen+ihl(f)+2] ^= 0x5a; return f }
	a := s.attack(t, "bad ICMP checksums")
	a.client(corrupt(echoTo(t, s.fromClient(), clientIP, vip, port)), corrupt(echoTo(t, s.fromClient(), clientIP, wanAddr, port)),
		echoTo(t, s.fromClient(), clientIP, vip, port))
	a.settle()
	// To the VIP the fast path answers echo and checks the checksum; to
	// the port address the kernel interface takes echo, and the kernel
	// drops the bad one itself (the reply count below shows it did).
	a.wantDrop("bad_icmp_checksum", 1)
	a.want("stats.lcores.punted.kernel", 1)
	a.want("stats.lcores.answered", 1)
	if got := a.at("client", byDirector(s.wanMAC, icmpType(0))); len(got) != 1 || got[0].Src.String() != vip {
		t.Errorf("echo replies at the client: want exactly one, from the VIP (to the valid request):\n%s", netlab.FormatFrames(got, 5))
	}
}

// TestAdvNATICMPNotRelayed: of the ICMP errors quoting a live connection,
// only destination unreachable, source quench and time exceeded are
// relayed (as IPVS does); a redirect or parameter problem from either
// side is dropped as icmp_not_relayed and reaches nobody. The relayed
// ones reach the other side translated, and the connection lives on.
func TestAdvNATICMPNotRelayed(t *testing.T) {
	env, s := natSite(t)
	sess := openLineSession(t, env.lab.Client, fmt.Sprintf("%s:%d", vip, rsEchoPort))
	cport := uint16(sess.lc.LocalAddr().(*net.TCPAddr).Port)
	rs := env.lab.Server(sess.server)
	// what each side last sent on the connection, as its errors quote it
	toServer := quoteOf(serialize(t, s.fromClient(), ip4(clientIP, rs.IP.String(), layers.IPProtocolTCP), tcpSeg(cport, rsEchoPort, "PA", 1)))
	toClient := quoteOf(serialize(t, s.fromClient(), ip4(vip, clientIP, layers.IPProtocolTCP), tcpSeg(rsEchoPort, cport, "PA", 1)))
	fromClient := func(typ, code uint8) []byte {
		return icmpErrTo(t, s.fromClient(), clientIP, vip, typ, code, toClient)
	}
	fromServer := func(typ, code uint8) []byte {
		return icmpErrTo(t, s.fromServer(rs), rs.IP.String(), clientIP, typ, code, toServer)
	}

	a := s.attack(t, "ICMP redirect and parameter problem")
	a.client(fromClient(5, 1), fromClient(12, 0))
	a.server(rs, fromServer(5, 1), fromServer(12, 0))
	a.client(fromClient(3, 1)) // host unreachable: relayed to the server
	a.server(rs, fromServer(11, 0))
	a.settle()

	a.wantDrop("icmp_not_relayed", 4)
	notRelayed := anyOf(icmpType(5), icmpType(12))
	a.noneAtServers("a redirect or parameter problem", notRelayed)
	a.noneAtClient("a redirect or parameter problem", notRelayed)
	if got := a.at(rs.Ident, byDirector(s.lanMAC, allOf(icmpType(3), fromAddr(clientIP)))); len(got) != 1 {
		t.Errorf("%s received %d host-unreachable messages from the client, want the 1 relayed", rs.Ident, len(got))
	}
	if got := a.at("client", byDirector(s.wanMAC, allOf(icmpType(11), fromAddr(vip)))); len(got) != 1 {
		t.Errorf("the client received %d time-exceeded messages from the VIP, want the 1 relayed", len(got))
	}
	sess.say("after-icmp")
}

// TestAdvNATICMPErrorStorm: 500 ICMP errors from each side quoting
// connections that do not exist (random ports, a seeded PRNG) are all
// dropped, each under one reason (icmp_unhandled towards the VIP,
// not_local in transit), reach nobody, and leave a live connection and
// new requests working.
func TestAdvNATICMPErrorStorm(t *testing.T) {
	env, s := natSite(t)
	sess := openLineSession(t, env.lab.Client, fmt.Sprintf("%s:%d", vip, rsEchoPort))
	rs := s.servers[0]
	const n = 500
	rng := rand.New(rand.NewPCG(8, 500))
	types := []struct{ typ, code uint8 }{{3, 0}, {3, 1}, {3, 3}, {3, 4}, {4, 0}, {11, 0}, {11, 1}}
	forged := func() uint16 { return uint16(61000 + rng.IntN(4535)) } // never a real socket's port
	var client, server [][]byte
	for range n {
		ty := types[rng.IntN(len(types))]
		q := quoteOf(synTo(t, s.fromServer(rs), vip, clientIP, uint16(1+rng.IntN(65535)), forged()))
		client = append(client, icmpErrTo(t, s.fromClient(), clientIP, vip, ty.typ, ty.code, q))
		ty = types[rng.IntN(len(types))]
		q = quoteOf(synTo(t, s.fromClient(), clientIP, rs.IP.String(), forged(), uint16(1+rng.IntN(65535))))
		server = append(server, icmpErrTo(t, s.fromServer(rs), rs.IP.String(), clientIP, ty.typ, ty.code, q))
	}
	a := s.attack(t, "ICMP error storm")
	a.client(client...)
	a.server(rs, server...)
	a.settle()
	a.wantDrop("icmp_unhandled", n)
	a.wantDrop("not_local", n)
	icmp := func(f netlab.Frame) bool { return f.Proto == netlab.ProtoICMP }
	a.noneAtServers("an ICMP error", icmp)
	a.noneAtClient("an ICMP error", icmp)
	sess.say("after-storm")
	if _, err := netlab.HTTPGetNewConn(env.lab.Client, "http://"+vip+"/", 5*time.Second); err != nil {
		t.Errorf("a new request after the storm: %v", err)
	}
}
