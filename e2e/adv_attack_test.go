package e2e

import (
	"fmt"
	"maps"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// attack is one adversarial step: frames forged on the client's link and
// on real servers' links, what the director's counters did meanwhile, and
// what captures on the client's link and on every server's eth0 saw. A
// failing test logs all of it. Every attack also proves the director
// still serves afterwards: a connection opened before it still reaches
// the same server, and a new request is answered (settle).
type attack struct {
	t             *testing.T
	site          *advSite
	name          string
	sess          *lineSession // opened before the attack, spoken on after it
	before, after map[string]float64
	capts         map[string]*netlab.Capture // "client", "rs1", ...
	seen          map[string][]netlab.Frame
	sent          int // frames sent towards the director
	// onStop are further captures' ends, run as the captures stop (the
	// counters just read, before the traffic that proves service).
	onStop []func()
}

// Counter paths (see govsd.counters) the tests read most.
const (
	rxKey      = "stats.lcores.rx_packets"
	arpPunted  = "stats.lcores.punted.arp"
	arpSlowRx  = "stats.slow_path.arp_received"
	settleWait = 3 * time.Second
	quietWait  = time.Second
)

// attack opens a long-lived connection to the echo service, waits for
// the director's counters to stand still (that connection's last ACK, the
// tail of a previous test's traffic), reads them and starts the captures.
func (s *advSite) attack(t *testing.T, name string) *attack {
	t.Helper()
	a := &attack{t: t, site: s, name: name, capts: map[string]*netlab.Capture{}, seen: map[string][]netlab.Frame{}}
	a.sess = openLineSession(t, s.client, fmt.Sprintf("%s:%d", vip, rsEchoPort))
	a.before = quietCounters(t, s.env.d)
	start := func(where string, ns *netlab.NS, ifname string) {
		c, err := netlab.StartCapture(ns, ifname)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Stop() })
		a.capts[where] = c
	}
	start("client", s.client, s.clientIf)
	for _, rs := range s.servers {
		start(rs.Ident, rs.NS, "eth0")
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("attack %q at failure:\n%s", name, a.report())
		}
	})
	return a
}

// client sends frames from the client's link, server from rs's eth0.
func (a *attack) client(frames ...[]byte) { a.send(a.site.client, a.site.clientIf, frames) }
func (a *attack) server(rs *netlab.Server, frames ...[]byte) {
	a.send(rs.NS, "eth0", frames)
}

// clientPaced sends frames from the client's link chunk at a time, each
// once the director's port has received what went before: a tap holds
// 1000 frames (txqueuelen) and silently drops what the director has not
// read yet, which would test the lab's link, not the director.
func (a *attack) clientPaced(chunk int, frames ...[]byte) {
	a.t.Helper()
	start := portRx(a.t, a.site.env.d, a.site.wanPort)
	sent := 0
	for len(frames) > 0 {
		n := min(chunk, len(frames))
		a.client(frames[:n]...)
		frames, sent = frames[n:], sent+n
		for deadline := time.Now().Add(settleWait); portRx(a.t, a.site.env.d, a.site.wanPort) < start+uint64(sent); {
			if time.Now().After(deadline) {
				a.t.Fatalf("attack %q: port %s did not receive the %d frames sent within %v; client link: %s",
					a.name, a.site.wanPort, sent, settleWait, linkStats(a.site.client, a.site.clientIf))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// portRx is what the director's port named port has received.
func portRx(t *testing.T, d *govsd, port string) uint64 {
	t.Helper()
	st, err := d.admin.Status()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range st.Ports {
		if p.Name == port {
			return p.RxPackets
		}
	}
	t.Fatalf("the director has no port %s", port)
	return 0
}

func (a *attack) send(ns *netlab.NS, ifname string, frames [][]byte) {
	a.t.Helper()
	if err := ns.SendFrames(ifname, frames); err != nil {
		a.t.Fatal(err)
	}
	a.sent += len(frames)
}

// settle waits until the director has received every frame sent and its
// counters stand still (the slow path included), then stops the captures
// and checks the director still serves: the attack's connection gets one
// more line answered by its server, and a new request to the VIP is
// answered.
func (a *attack) settle() {
	a.t.Helper()
	target := a.before[rxKey] + float64(a.sent)
	deadline := time.Now().Add(settleWait)
	prev := ""
	for {
		cur := readCounters(a.t, a.site.env.d)
		caughtUp := cur[arpSlowRx]-a.before[arpSlowRx] >= cur[arpPunted]-a.before[arpPunted]
		fp := fingerprint(cur)
		if cur[rxKey] >= target && caughtUp && fp == prev {
			a.after = cur
			break
		}
		if time.Now().After(deadline) {
			a.after = cur
			a.t.Errorf("attack %q: the director received %.0f of the %d frames sent (or its counters kept moving) within %v; client link: %s",
				a.name, cur[rxKey]-a.before[rxKey], a.sent, settleWait, linkStats(a.site.client, a.site.clientIf))
			break
		}
		prev = fp
		time.Sleep(30 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // the last forwarded frames reach the captures
	for where, c := range a.capts {
		frames, err := c.Stop()
		if err != nil {
			a.t.Logf("capture on %s: %v", where, err)
		}
		a.seen[where] = frames
	}
	for _, f := range a.onStop {
		f()
	}
	a.t.Logf("attack %q: %d frames sent; counters that moved: %s", a.name, a.sent, strings.Join(a.moved(), ", "))
	// The director still serves: after the counters were read, so this
	// traffic is in no assertion.
	a.sess.say("after-attack")
	if _, err := netlab.HTTPGetNewConn(a.site.client, "http://"+vip+"/", 5*time.Second); err != nil {
		a.t.Errorf("attack %q: a new request to the VIP afterwards: %v", a.name, err)
	}
}

// quietCounters reads the counters once they stand still between two
// readings (quietWait at most: traffic that never stops is the test's to
// judge).
func quietCounters(t *testing.T, d *govsd) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(quietWait)
	cur := readCounters(t, d)
	for time.Now().Before(deadline) {
		time.Sleep(30 * time.Millisecond)
		next := readCounters(t, d)
		if fingerprint(next) == fingerprint(cur) {
			return next
		}
		cur = next
	}
	return cur
}

// fingerprint is what must stand still between two readings.
func fingerprint(c map[string]float64) string {
	var b strings.Builder
	for _, k := range []string{rxKey, "stats.lcores.tx_packets", arpPunted, "stats.lcores.punted.neigh_unresolved", arpSlowRx, "stats.lcores.injected"} {
		fmt.Fprintf(&b, "%s=%.0f ", k, c[k])
	}
	return b.String()
}

func linkStats(ns *netlab.NS, ifname string) string {
	out, err := ns.IP("-s", "link", "show", "dev", ifname)
	if err != nil {
		return err.Error()
	}
	return strings.Join(strings.Fields(out), " ")
}

// delta is how far counter key moved. A drop reason must be one the fast
// path defines (the admin API omits reasons at zero); any other key must
// exist in the admin API.
func (a *attack) delta(key string) float64 {
	a.t.Helper()
	if a.after == nil {
		a.t.Fatalf("attack %q: delta(%s) before settle", a.name, key)
	}
	if reason, ok := strings.CutPrefix(key, "stats.drops."); ok {
		if !slices.Contains(knownDrops(a.t), reason) {
			a.t.Errorf("drop reason %q is not in dataplane/fastpath/fp_layout.h FP_DROPS %v", reason, knownDrops(a.t))
		}
	} else if _, ok := a.after[key]; !ok {
		a.t.Errorf("the admin API has no counter %s (the tests expect it: see adv_*_test.go)", key)
	}
	return a.after[key] - a.before[key]
}

// want checks that key moved by exactly n.
func (a *attack) want(key string, n int) {
	a.t.Helper()
	if d := a.delta(key); d != float64(n) {
		a.t.Errorf("attack %q: %s moved by %+.0f, want %+d", a.name, key, d, n)
	}
}

// wantDrop checks that drop reason moved by exactly n.
func (a *attack) wantDrop(reason string, n int) { a.t.Helper(); a.want("stats.drops."+reason, n) }

// wantAtLeast checks that key moved by n or more.
func (a *attack) wantAtLeast(key string, n int) {
	a.t.Helper()
	if d := a.delta(key); d < float64(n) {
		a.t.Errorf("attack %q: %s moved by %+.0f, want at least %+d", a.name, key, d, n)
	}
}

// at returns the frames captured at where ("client", a server's ident)
// that match.
func (a *attack) at(where string, match func(netlab.Frame) bool) []netlab.Frame {
	return slices.DeleteFunc(slices.Clone(a.seen[where]), func(f netlab.Frame) bool { return !match(f) })
}

// atServers returns the matching frames of every server's capture.
func (a *attack) atServers(match func(netlab.Frame) bool) []netlab.Frame {
	var out []netlab.Frame
	for _, rs := range a.site.servers {
		out = append(out, a.at(rs.Ident, match)...)
	}
	return out
}

// byDirector matches frames a capture received from the director's MAC
// mac: what it forwarded or answered, not what the test forged.
func byDirector(mac net.HardwareAddr, match func(netlab.Frame) bool) func(netlab.Frame) bool {
	return func(f netlab.Frame) bool { return !f.Outgoing && sameMAC(f.EthSrc, mac) && match(f) }
}

// noneAtServers fails if the director sent any server a matching frame:
// what of the attack must not reach the server side.
func (a *attack) noneAtServers(what string, match func(netlab.Frame) bool) {
	a.t.Helper()
	if got := a.atServers(byDirector(a.site.lanMAC, match)); len(got) > 0 {
		a.t.Errorf("attack %q: %s reached the real servers:\n%s", a.name, what, netlab.FormatFrames(got, 10))
	}
}

// noneAtClient fails if the director sent the client a matching frame.
func (a *attack) noneAtClient(what string, match func(netlab.Frame) bool) {
	a.t.Helper()
	if got := a.at("client", byDirector(a.site.wanMAC, match)); len(got) > 0 {
		a.t.Errorf("attack %q: %s reached the client:\n%s", a.name, what, netlab.FormatFrames(got, 10))
	}
}

// moved lists the counters that changed, "key +n".
func (a *attack) moved() []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(a.after)) {
		// stats.drops.* is the sum of stats.lcores.drops.*: shown once
		if d := a.after[k] - a.before[k]; d != 0 && !noisy.MatchString(k) && !strings.HasPrefix(k, "stats.lcores.drops.") {
			out = append(out, fmt.Sprintf("%s %+.0f", k, d))
		}
	}
	return out
}

// noisy counters move by themselves (gauges, timing).
var noisy = regexp.MustCompile(`poll_gap|max_poll|\.age|entries$|holding$`)

// report is what a failing test shows of the attack.
func (a *attack) report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "frames sent: %d\ncounters before -> after (changed only):\n", a.sent)
	for _, k := range slices.Sorted(maps.Keys(a.after)) {
		if a.after[k] != a.before[k] && !noisy.MatchString(k) {
			fmt.Fprintf(&b, "  %s: %.0f -> %.0f\n", k, a.before[k], a.after[k])
		}
	}
	for _, where := range slices.Sorted(maps.Keys(a.seen)) {
		fmt.Fprintf(&b, "captured on %s (%d frames):\n%s", where, len(a.seen[where]), netlab.FormatFrames(a.seen[where], 20))
	}
	return b.String()
}

// readCounters is govsd.counters plus every service's counters by name
// ("svc.web.conns").
func readCounters(t *testing.T, d *govsd) map[string]float64 {
	t.Helper()
	c, err := d.counters()
	if err != nil {
		t.Fatal(err)
	}
	svcs, err := d.admin.Services()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs {
		c["svc."+s.Name+".conns"] = float64(s.Stats.Conns)
		c["svc."+s.Name+".in_pkts"] = float64(s.Stats.InPkts)
		c["svc."+s.Name+".out_pkts"] = float64(s.Stats.OutPkts)
	}
	return c
}

var dropNames struct {
	once  sync.Once
	names []string
	err   error
}

// knownDrops are the drop reasons of fp_layout.h's FP_DROPS, read from the
// source: the admin API lists only reasons that occurred, so a misspelt
// reason would otherwise read as zero.
func knownDrops(t *testing.T) []string {
	t.Helper()
	dropNames.once.Do(func() {
		src, err := os.ReadFile("../dataplane/fastpath/fp_layout.h")
		if err != nil {
			dropNames.err = err
			return
		}
		_, block, _ := strings.Cut(string(src), "#define FP_DROPS(X)")
		block, _, _ = strings.Cut(block, "#define FP_ENUM_DROP")
		for _, m := range regexp.MustCompile(`X\(\w+, "(\w+)"\)`).FindAllStringSubmatch(block, -1) {
			dropNames.names = append(dropNames.names, m[1])
		}
	})
	if dropNames.err != nil || len(dropNames.names) == 0 {
		t.Fatalf("reading the drop reasons from fp_layout.h: %v (%d found)", dropNames.err, len(dropNames.names))
	}
	return dropNames.names
}
