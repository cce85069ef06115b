package realserver

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDR sets up a DR real server in a namespace pair linked by a veth:
// the VIP lands on lo, the ARP sysctls are set, the neighbour cannot
// resolve the VIP, and teardown restores the previous values exactly.
// It uses the default state directory, which is per namespace.
func TestDR(t *testing.T) {
	requireLab(t)
	rsNS, cl := newNS(t, "dr"), newNS(t, "dc")
	veth(t, rsNS, "eth0", "10.9.0.2/24", cl, "eth0", "10.9.0.3/24")
	const vipAddr = "10.9.0.100"
	dir := filepath.Join(DefaultStateBase, "netns-"+rsNS.Name)
	t.Cleanup(func() {
		ctl(t, rsNS, "teardown")
		os.RemoveAll(dir)
	})

	// Non-default values, which teardown must bring back.
	setSysctlIn(t, rsNS, "net.ipv4.conf.all.arp_ignore", "3")
	setSysctlIn(t, rsNS, "net.ipv4.conf.eth0.arp_announce", "1")
	before := []string{
		"net.ipv4.conf.all.arp_ignore", "3", "net.ipv4.conf.all.arp_announce", "0",
		"net.ipv4.conf.eth0.arp_ignore", "0", "net.ipv4.conf.eth0.arp_announce", "1",
	}
	wantSysctls(t, rsNS, "before setup", before...)

	hostBefore, _ := readSysctl("net.ipv4.conf.all.arp_announce")
	out := mustCtl(t, rsNS, "setup", "--mode", "dr", "--vip", vipAddr)
	// /proc/sys/net under ip netns exec is the namespace's own.
	if host, _ := readSysctl("net.ipv4.conf.all.arp_announce"); host != hostBefore {
		t.Errorf("setup in a namespace changed the host's arp_announce from %s to %s", hostBefore, host)
	}
	if !strings.Contains(out, filepath.Join(dir, "dr.json")) {
		t.Errorf("setup does not report the per-namespace state file %s/dr.json", dir)
	}
	wantSysctls(t, rsNS, "after setup",
		"net.ipv4.conf.all.arp_ignore", "1", "net.ipv4.conf.all.arp_announce", "2",
		"net.ipv4.conf.eth0.arp_ignore", "1", "net.ipv4.conf.eth0.arp_announce", "2")
	if a, _ := rsNS.IP("-4", "-o", "addr", "show", "dev", "lo"); !strings.Contains(a, vipAddr+"/32") {
		t.Errorf("lo has no %s/32:\n%s", vipAddr, a)
	}
	if addrs, _ := net.InterfaceAddrs(); strings.Contains(fmt.Sprint(addrs), vipAddr+"/") {
		t.Errorf("the VIP landed in the test's own namespace: %v", addrs)
	}

	// The client resolves the server's address but never the VIP.
	probe := func(addr string) {
		if c, err := cl.Dial("udp4", addr+":9", time.Second); err == nil {
			c.Write([]byte("x"))
			c.Close()
		}
	}
	resolved := func(addr string) bool {
		n, _ := cl.IP("neigh", "show", addr)
		return strings.Contains(n, "lladdr")
	}
	if !eventually(5*time.Second, func() bool { probe("10.9.0.2"); return resolved("10.9.0.2") }) {
		t.Fatal("client cannot resolve the server's own address: the link does not work")
	}
	probe(vipAddr)
	time.Sleep(1500 * time.Millisecond)
	if resolved(vipAddr) {
		n, _ := cl.IP("neigh", "show", vipAddr)
		t.Errorf("the real server answered ARP for the VIP: %s", n)
	}

	// Setup again: harmless. Other VIPs: refused.
	if out := mustCtl(t, rsNS, "setup", "--mode", "dr", "--vip", vipAddr); !strings.Contains(out, "already set up") {
		t.Errorf("second setup says %q, want \"already set up\"", out)
	}
	if out, code := ctl(t, rsNS, "setup", "--mode", "dr", "--vip", "10.9.0.101"); code != 1 || !strings.Contains(out, "run teardown first") {
		t.Errorf("setup with another VIP: exit %d %q", code, out)
	}
	if out := mustCtl(t, rsNS, "status"); !strings.Contains(out, "dr: set up for VIP "+vipAddr) ||
		!strings.Contains(out, "net.ipv4.conf.all.arp_ignore=1 (was 3)") {
		t.Errorf("status:\n%s", out)
	}

	mustCtl(t, rsNS, "teardown", "--mode", "dr", "--vip", vipAddr)
	wantSysctls(t, rsNS, "after teardown", before...)
	if a, _ := rsNS.IP("-4", "-o", "addr", "show", "dev", "lo"); strings.Contains(a, vipAddr) {
		t.Errorf("teardown left the VIP on lo:\n%s", a)
	}
	if !fileGone(filepath.Join(dir, "dr.json")) {
		t.Error("teardown left the state file")
	}
	if out := mustCtl(t, rsNS, "teardown", "--mode", "dr"); !strings.Contains(out, "nothing to tear down") {
		t.Errorf("second teardown says %q", out)
	}
}
