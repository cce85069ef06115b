package e2e

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// The bodies of the DR and TUN tests (dr_test.go, tun_test.go): both
// methods must behave the same towards clients; they differ in how the
// request reaches the real server, which testRepliesBypassDirector checks
// on the wire.

func testDSRHTTPWeightedShares(t *testing.T, env *dsrEnv) {
	checkWeightedShares(t, env.lab.Client, fmt.Sprintf("http://%s:%d/", vip, dsrHTTPPort), 1000, shares1to3)
}

func testDSRUDP(t *testing.T, env *dsrEnv) {
	checkUDPService(t, env.lab.Client, fmt.Sprintf("%s:%d", vip, dsrUDPPort), env.lab.Servers)
}

// testDSRLongLivedStaysOnServer: a connection to the echo service keeps
// being answered by its server while short connections in between (new
// flows) go elsewhere, and across a SIGHUP reload that changes the weights
// and quiesces that very server (weight 0): established connections stay
// where they are (as in IPVS), new ones avoid it.
func testDSRLongLivedStaysOnServer(t *testing.T, env *dsrEnv) {
	addr := fmt.Sprintf("%s:%d", vip, dsrEchoPort)
	s := openLineSession(t, env.lab.Client, addr)
	short := map[string]int{}
	chat := func(phase string) {
		t.Helper()
		for i := range 3 {
			s.say(fmt.Sprintf("%s-%d", phase, i))
			other := openLineSession(t, env.lab.Client, addr)
			short[phase+" "+other.server]++
			other.lc.Close()
		}
	}
	chat("before")

	conf := env.base.clone()
	conf.service("web").RS = realServers(dsrServerIPs, dsrHTTPPort, env.method, 3, 2, 1)
	echo := conf.service("echo")
	for i := range echo.RS {
		echo.RS[i].Weight = 1
		if fmt.Sprintf("rs%d", i+1) == s.server {
			echo.RS[i].Weight = 0
		}
	}
	t.Cleanup(func() { env.restoreBase(t) })
	if _, err := env.d.reload(conf.YAML(), 10*time.Second); err != nil {
		t.Fatalf("reload: %v", err)
	}
	svcs, err := env.d.admin.Services()
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range svcs {
		if svc.Name == "web" && (len(svc.RealServers) != 3 || svc.RealServers[0].Weight != 3) {
			t.Errorf("after reload web's real servers are %+v, want weights 3:2:1", svc.RealServers)
		}
	}
	chat("after")
	t.Logf("long-lived connection on %s; short connections: %v", s.server, short)
	if short["after "+s.server] > 0 {
		t.Errorf("%d new connections went to %s after its weight became 0", short["after "+s.server], s.server)
	}
	if len(short) < 3 {
		t.Errorf("short connections reached too few servers %v: rr should spread them", short)
	}
}

// dsrTotals are the director's counters that the bypass test compares.
type dsrTotals struct {
	tx, rx  uint64 // the port's ethdev packet counters
	in, out uint64 // packets of all services, towards servers and back
}

// settledTotals reads the counters once they stop moving: counters are
// per-lcore and read without locks, and a connection's last packets may
// still be in flight when the client has its answer.
func (env *dsrEnv) settledTotals(t *testing.T) dsrTotals {
	t.Helper()
	var prev dsrTotals
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; ; i++ {
		st, err := env.d.admin.Status()
		if err != nil {
			t.Fatal(err)
		}
		svcs, err := env.d.admin.Services()
		if err != nil {
			t.Fatal(err)
		}
		var cur dsrTotals
		if len(st.Ports) > 0 {
			cur.tx, cur.rx = st.Ports[0].TxPackets, st.Ports[0].RxPackets
		}
		for _, s := range svcs {
			cur.in += s.Stats.InPkts
			cur.out += s.Stats.OutPkts
		}
		if (i > 0 && cur == prev) || time.Now().After(deadline) {
			return cur
		}
		prev = cur
		time.Sleep(300 * time.Millisecond)
	}
}

// testRepliesBypassDirector: the director transmits only the requests it
// forwards, never the replies; on the wire a real server receives the
// request from the director's MAC (DR: the original datagram to its own
// MAC; TUN: wrapped in IPIP from the director's address to its own) and
// sends the reply from the VIP straight to the client's MAC.
func testRepliesBypassDirector(t *testing.T, env *dsrEnv) {
	const n = 40
	url := fmt.Sprintf("http://%s:%d/", vip, dsrHTTPPort)
	before := env.settledTotals(t)
	res := getMany(env.lab.Client, url, n, 2, 60*time.Second)
	if len(res.errs) > 0 {
		t.Fatalf("%d of %d requests failed:%s", len(res.errs), n, res.firstErrors())
	}
	after := env.settledTotals(t)
	tx, rx := after.tx-before.tx, after.rx-before.rx
	in, out := after.in-before.in, after.out-before.out
	t.Logf("%d requests: director port rx %d tx %d; services in_pkts %d out_pkts %d", n, rx, tx, in, out)
	if out != 0 {
		t.Errorf("services counted %d reply packets: with %s the director must never see replies", out, env.method)
	}
	if in < 3*n {
		t.Errorf("services counted %d packets towards servers for %d connections, want at least 3 per connection", in, n)
	}
	// Slack for ARP (answers, neighbour refreshes) in the window.
	const slack = 16
	if tx > in+slack {
		t.Errorf("the director transmitted %d packets while forwarding %d: the replies (at least 3 per connection) crossed it", tx, in)
	}

	// On the wire, at every real server.
	st, err := env.d.admin.Status()
	if err != nil || len(st.Ports) == 0 {
		t.Fatalf("status: %v %+v", err, st)
	}
	directorMAC, err := net.ParseMAC(st.Ports[0].MAC)
	if err != nil {
		t.Fatalf("director port MAC %q: %v", st.Ports[0].MAC, err)
	}
	protos := []uint8{netlab.ProtoTCP}
	if env.method == "tun" {
		protos = append(protos, netlab.ProtoIPIP)
	}
	capts := map[string]*netlab.Capture{}
	for _, s := range env.lab.Servers {
		c, err := netlab.StartCapture(s.NS, "eth0", protos...)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Stop()
		capts[s.Ident] = c
	}
	res = getMany(env.lab.Client, url, 6, 1, 30*time.Second)
	if len(res.errs) > 0 {
		t.Fatalf("%d of 6 requests failed:%s", len(res.errs), res.firstErrors())
	}
	time.Sleep(200 * time.Millisecond) // the last FIN and ACK
	for _, s := range env.lab.Servers {
		frames, err := capts[s.Ident].Stop()
		if err != nil {
			t.Errorf("capture on %s: %v", s.Ident, err)
		}
		if res.perServer[s.Ident] == 0 {
			continue
		}
		checkDirectReturn(t, env, s, frames, directorMAC)
	}
}

// checkDirectReturn checks the frames captured on server s, which answered
// at least one request.
func checkDirectReturn(t *testing.T, env *dsrEnv, s *netlab.Server, frames []netlab.Frame, directorMAC net.HardwareAddr) {
	t.Helper()
	v, client := netip.MustParseAddr(vip), netip.MustParseAddr(clientIP)
	director := netip.MustParseAddr(wanAddr)
	rsMAC := env.rsMAC[s.Ident]
	var requests, replies int
	for _, f := range frames {
		switch {
		case !f.Outgoing && env.method == "dr" && f.Proto == netlab.ProtoTCP && f.Src == client && f.Dst == v:
			if !sameMAC(f.EthSrc, directorMAC) || !sameMAC(f.EthDst, rsMAC) {
				t.Errorf("%s: request frame %v: want Ethernet %v > %v (director to server)", s.Ident, f, directorMAC, rsMAC)
			}
			requests++
		case !f.Outgoing && env.method == "tun" && f.Proto == netlab.ProtoIPIP:
			if f.Src != director || f.Dst != s.IP || f.Inner == nil || f.Inner.Src != client || f.Inner.Dst != v ||
				!sameMAC(f.EthSrc, directorMAC) {
				t.Errorf("%s: IPIP frame %v: want outer %v > %v from MAC %v around %v > %v", s.Ident, f, director, s.IP, directorMAC, client, v)
			}
			requests++
		case !f.Outgoing && f.Dst == v:
			t.Errorf("%s: %s request arrived unencapsulated: %v", s.Ident, env.method, f)
		case f.Outgoing && f.Src == v:
			if f.Dst != client || !sameMAC(f.EthDst, env.clientMAC) {
				t.Errorf("%s: reply %v: want it to the client %v at its MAC %v (the director's is %v)", s.Ident, f, client, env.clientMAC, directorMAC)
			}
			replies++
		}
	}
	t.Logf("%s: %d request frames in, %d reply frames out, of %d captured", s.Ident, requests, replies, len(frames))
	if requests == 0 || replies == 0 {
		t.Errorf("%s answered a request but the capture on its eth0 has %d request and %d reply frames:\n%s",
			s.Ident, requests, replies, frameSample(frames))
	}
}

func sameMAC(a, b net.HardwareAddr) bool { return a.String() == b.String() }

// frameSample formats up to 30 frames.
func frameSample(frames []netlab.Frame) string { return netlab.FormatFrames(frames, 30) }
