package e2e

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// LVS/TUN end to end (see dsr_lab_test.go for the topology and dsr_test.go
// for the test bodies shared with DR). The director wraps requests in IPIP
// to the real server, whose userspace decapsulator (govsctl realserver)
// hands them to a TUN device holding the VIP. The director's port has MTU
// tunMTU.

// TestTUNHTTPWeightedShares: 1000 GETs on new connections, all answered,
// in shares within 10 % of 1/6, 2/6, 3/6 (wrr 1:2:3).
func TestTUNHTTPWeightedShares(t *testing.T) { testDSRHTTPWeightedShares(t, tunLab(t)) }

// TestTUNUDP: the UDP service answers from VIP:53 and rr spreads flows.
func TestTUNUDP(t *testing.T) { testDSRUDP(t, tunLab(t)) }

// TestTUNLongLivedStaysOnServer: a long-lived connection stays on its
// server, across a reload that changes weights and quiesces that server.
func TestTUNLongLivedStaysOnServer(t *testing.T) { testDSRLongLivedStaysOnServer(t, tunLab(t)) }

// TestTUNRepliesBypassDirector: the director forwards requests only, in
// IPIP from its address to the server's; the servers answer the client
// directly, as a capture on them shows.
func TestTUNRepliesBypassDirector(t *testing.T) { testRepliesBypassDirector(t, tunLab(t)) }

// pmtuCounter matches the names of counters that record PMTU work (too big
// once encapsulated, fragmentation-needed sent); "fragment" alone is the
// drop of IP fragments, which is something else.
var pmtuCounter = regexp.MustCompile(`(?i)frag_?needed|too_?big|mtu`)

// TestTUNPMTUDiscovery: a 4 MB upload from the client through the VIP
// completes within 30 s, byte-exact, although the client's full-size
// segments do not fit the director's port once wrapped in IPIP: the
// director answers them with ICMP fragmentation-needed (next-hop MTU
// tunMTU-20, seen on the client's wire), its counters show it, and the
// client's kernel caches the lower path MTU for the VIP.
func TestTUNPMTUDiscovery(t *testing.T) {
	env := tunLab(t)
	client := env.lab.Client
	wantMTU := tunMTU - 20
	// A fresh path: no cached MTU for the VIP.
	if _, err := client.IP("route", "flush", "cache"); err != nil {
		t.Fatal(err)
	}
	if out, _ := client.IP("route", "get", vip); strings.Contains(out, " mtu ") {
		t.Fatalf("the client has a path MTU for %s before the test:\n%s", vip, out)
	}
	before, err := env.d.counters()
	if err != nil {
		t.Fatal(err)
	}
	st, err := env.d.admin.Status()
	if err != nil || len(st.Ports) == 0 {
		t.Fatalf("status: %v %+v", err, st)
	}
	directorMAC, _ := net.ParseMAC(st.Ports[0].MAC)
	capt, err := netlab.StartCapture(client, "eth0", netlab.ProtoICMP)
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Stop()

	const size = 4 << 20
	start := time.Now()
	reply, err := netlab.UploadTCP(client, fmt.Sprintf("%s:%d", vip, dsrSinkPort), size, 30*time.Second)
	elapsed := time.Since(start)
	frames, cerr := capt.Stop()
	route, _ := client.IP("route", "get", vip)
	t.Logf("upload of %d bytes: %q in %v; client route: %s", size, reply, elapsed.Round(time.Millisecond), strings.TrimSpace(route))
	if err != nil {
		t.Fatalf("upload through the VIP: %v (ICMP seen by the client:\n%s)", err, frameSample(frames))
	}
	ident, count, _ := strings.Cut(reply, " ")
	if env.lab.Server(ident) == nil || count != fmt.Sprint(size) {
		t.Errorf("upload answered %q, want <rs> %d", reply, size)
	}

	// The director told the client, from the VIP or its own address.
	fromDirector := []netip.Addr{netip.MustParseAddr(vip), netip.MustParseAddr(wanAddr)}
	fragNeeded := 0
	for _, f := range frames {
		if f.Outgoing || f.ICMPType != 3 || f.ICMPCode != 4 {
			continue
		}
		fragNeeded++
		if int(f.NextHopMTU) != wantMTU || !slices.Contains(fromDirector, f.Src) || f.Dst != netip.MustParseAddr(clientIP) ||
			!sameMAC(f.EthSrc, directorMAC) {
			t.Errorf("fragmentation-needed %v: want next-hop MTU %d, from the director (%v, MAC %v) to the client", f, wantMTU, fromDirector, directorMAC)
		}
	}
	if cerr != nil {
		t.Logf("capture: %v", cerr)
	}
	if fragNeeded == 0 {
		t.Errorf("the client received no ICMP fragmentation-needed; ICMP it saw:\n%s", frameSample(frames))
	}
	if !strings.Contains(route, fmt.Sprintf("mtu %d", wantMTU)) {
		t.Errorf("ip route get %s in the client: no cached mtu %d:\n%s", vip, wantMTU, route)
	}

	after, err := env.d.counters()
	if err != nil {
		t.Fatal(err)
	}
	var grew, all []string
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			all = append(all, fmt.Sprintf("%s +%.0f", k, d))
			if pmtuCounter.MatchString(k) && d > 0 {
				grew = append(grew, fmt.Sprintf("%s +%.0f", k, d))
			}
		}
	}
	slices.Sort(all)
	t.Logf("PMTU counters that grew: %v", grew)
	if len(grew) == 0 {
		var names []string
		for k := range after {
			names = append(names, k)
		}
		slices.Sort(names)
		t.Errorf("no counter matching %v grew during the upload; counters that changed:\n  %s\nall counters: %v",
			pmtuCounter, strings.Join(all, "\n  "), names)
	}
}
