package e2e

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// heldConnectLimit is well under the client's first SYN retransmission
// (1 s): a connection that takes longer lost its first SYN-ACK.
const heldConnectLimit = 600 * time.Millisecond

// neighCounter matches the counters about unresolved next hops (drops and
// packets held), reported when the test fails.
var neighCounter = regexp.MustCompile(`(?i)neigh|hold|held`)

// TestNATHoldsPacketsWhileNeighbourResolves: the first connection of a
// directly connected client the director has never heard from completes
// without a SYN retransmission: the server's SYN-ACK towards the client is
// held while the director's ARP for the client resolves, then sent,
// instead of dropped (neigh_unresolved) until the client retransmits its
// SYN after ~1 s.
func TestNATHoldsPacketsWhileNeighbourResolves(t *testing.T) {
	env := natLab(t)
	client, wan := env.lab.Client, env.base.Ports[0].Iface
	st, err := env.d.admin.Status()
	if err != nil {
		t.Fatal(err)
	}
	directorMAC := portMAC(t, st, "wan")
	addr := unlearnedClientAddr(t, st, client)

	// The client must never ARP for the VIP: the director learns the
	// sender of a request aimed at it, and would know the client's MAC
	// before the SYN-ACK needs it.
	ipOrFatal(t, client, "neigh", "replace", vip, "lladdr", directorMAC, "nud", "permanent", "dev", wan)
	t.Cleanup(func() { client.IP("neigh", "del", vip, "dev", wan) })
	ipOrFatal(t, client, "addr", "add", addr+"/32", "dev", wan)
	t.Cleanup(func() { client.IP("addr", "del", addr+"/32", "dev", wan) })

	before, err := env.d.counters()
	if err != nil {
		t.Fatal(err)
	}
	capt, err := netlab.StartCapture(client, wan, netlab.ProtoTCP)
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Stop()
	start := time.Now()
	c, err := client.DialTCPFrom(addr+":0", vip+":80", 5*time.Second)
	connect := time.Since(start)
	if err != nil {
		frames, _ := capt.Stop()
		t.Fatalf("connect from %s to %s:80: %v after %v; TCP seen by the client:\n%s", addr, vip, err, connect.Round(time.Millisecond), frameTimeline(frames, start))
	}
	local := c.LocalAddr().(*net.TCPAddr).AddrPort()
	ident, getErr := httpGetServerCloses(c, 5*time.Second)
	frames, captErr := capt.Stop()
	after, err := env.d.counters()
	if err != nil {
		t.Fatal(err)
	}

	flow := flowFrames(frames, netip.AddrPortFrom(local.Addr().Unmap(), local.Port()))
	syns := 0
	for _, f := range flow {
		if f.Outgoing && f.TCPFlags == "S" {
			syns++
		}
	}
	observed := fmt.Sprintf("connect from %s (new to the director) to %s:80 took %v; the client sent %d SYN(s); "+
		"director's neighbour entry for %s now: %s; neighbour counters that changed: %v; the flow as the client saw it (times from the connect call):\n%s",
		local, vip, connect.Round(time.Millisecond), syns, addr, neighbourEntry(env, addr), counterDeltas(before, after, neighCounter), frameTimeline(flow, start))
	t.Log(observed)
	if captErr != nil {
		t.Logf("capture: %v", captErr)
	}
	if connect >= heldConnectLimit {
		t.Errorf("the handshake took %v, want < %v: the SYN-ACK towards the unresolved client was not held until its ARP resolved", connect.Round(time.Millisecond), heldConnectLimit)
	}
	if syns != 1 {
		t.Errorf("the client sent %d SYNs, want exactly 1 (a retransmission means the first SYN-ACK was lost)", syns)
	}
	if getErr != nil || env.lab.Server(ident) == nil {
		t.Errorf("GET on the new connection: answer %q, err %v", ident, getErr)
	}
}

// unlearnedClientAddr picks an address on the client's segment that the
// director has no neighbour entry for (in any state) and that no lab host
// uses, so that the director has never heard from it, even when it ran
// this test before.
func unlearnedClientAddr(t *testing.T, st admin.Status, client *netlab.NS) string {
	t.Helper()
	taken := map[string]bool{wanAddr: true, clientIP: true, vip: true}
	for _, n := range st.Neighbors {
		taken[n.IP] = true
	}
	addrs, err := client.IP("-br", "addr")
	if err != nil {
		t.Fatal(err)
	}
	const first, n = 128, 127 // 10.0.0.128 .. 10.0.0.254
	off := rand.IntN(n)
	for i := range n {
		ip := fmt.Sprintf("10.0.0.%d", first+(off+i)%n)
		if !taken[ip] && !strings.Contains(addrs, ip+"/") {
			return ip
		}
	}
	t.Fatalf("every address in 10.0.0.%d-%d is known to the director or used: neighbours %+v", first, first+n-1, st.Neighbors)
	return ""
}

func portMAC(t *testing.T, st admin.Status, name string) string {
	t.Helper()
	for _, p := range st.Ports {
		if p.Name == name {
			return p.MAC
		}
	}
	t.Fatalf("no port %q in status: %+v", name, st.Ports)
	return ""
}

func ipOrFatal(t *testing.T, ns *netlab.NS, args ...string) {
	t.Helper()
	if out, err := ns.IP(args...); err != nil {
		t.Fatalf("ip -n %s %v: %v\n%s", ns.Name, args, err, out)
	}
}

// flowFrames keeps the frames from and to the client's end of one flow.
func flowFrames(frames []netlab.Frame, client netip.AddrPort) []netlab.Frame {
	return slices.DeleteFunc(slices.Clone(frames), func(f netlab.Frame) bool {
		from := netip.AddrPortFrom(f.Src, f.SrcPort)
		to := netip.AddrPortFrom(f.Dst, f.DstPort)
		return from != client && to != client
	})
}

// frameTimeline lists frames with their capture time relative to start.
func frameTimeline(frames []netlab.Frame, start time.Time) string {
	var b strings.Builder
	for i, f := range frames {
		if i == 30 {
			fmt.Fprintf(&b, "  ... and %d more\n", len(frames)-i)
			break
		}
		fmt.Fprintf(&b, "  +%-8v %v\n", f.At.Sub(start).Round(time.Millisecond), f)
	}
	return b.String()
}

// neighbourEntry describes the director's entry for ip.
func neighbourEntry(env *natEnv, ip string) string {
	st, err := env.d.admin.Status()
	if err != nil {
		return err.Error()
	}
	for _, n := range st.Neighbors {
		if n.IP == ip {
			return fmt.Sprintf("%s %s on %s", n.State, n.MAC, n.Port)
		}
	}
	return "none"
}

// counterDeltas lists the counters matching re that changed.
func counterDeltas(before, after map[string]float64, re *regexp.Regexp) []string {
	var out []string
	for k, v := range after {
		if d := v - before[k]; d != 0 && re.MatchString(k) {
			out = append(out, fmt.Sprintf("%s %+.0f", k, d))
		}
	}
	slices.Sort(out)
	return out
}
