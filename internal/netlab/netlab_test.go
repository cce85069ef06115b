package netlab_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/internal/netlab/netlabtest"
)

var tag string

func TestMain(m *testing.M) {
	tag = netlab.RunTag()
	code := func() int {
		if netlab.MissingRoot() == "" {
			_, done, err := netlab.StartRun(tag, logStderr)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer done()
		}
		return m.Run()
	}()
	os.Exit(code)
}

func logStderr(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// newNS creates a namespace removed when the test ends.
func newNS(t *testing.T, suffix string) *netlab.NS {
	t.Helper()
	return netlabtest.NewNS(t, tag+suffix)
}

// leftovers lists namespaces and root links whose name starts with prefix.
func leftovers(prefix string) []string {
	var found []string
	names, _ := filepath.Glob("/run/netns/" + prefix + "*")
	for _, n := range names {
		found = append(found, "netns "+filepath.Base(n))
	}
	ifs, _ := net.Interfaces()
	for _, ifi := range ifs {
		if strings.HasPrefix(ifi.Name, prefix) {
			found = append(found, "link "+ifi.Name)
		}
	}
	return found
}

func TestDoRunsInNamespace(t *testing.T) {
	netlabtest.Require(t, 0)
	ns := newNS(t, "do")
	var inside []string
	var v6 string
	err := ns.Do(func() error {
		ifs, err := net.Interfaces()
		for _, ifi := range ifs {
			inside = append(inside, ifi.Name)
		}
		b, _ := os.ReadFile("/proc/sys/net/ipv6/conf/default/disable_ipv6")
		v6 = strings.TrimSpace(string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(inside) != 1 || inside[0] != "lo" {
		t.Errorf("interfaces inside a new namespace = %v, want [lo]", inside)
	}
	if v6 != "" && v6 != "1" {
		t.Errorf("default disable_ipv6 inside = %q, want 1", v6)
	}
	// The calling goroutine is still in the root namespace.
	if root, _ := net.Interfaces(); len(root) == 1 && root[0].Name == "lo" {
		t.Errorf("root namespace looks switched: %v", root)
	}
	// Commands run inside too.
	out, err := ns.Command("ip", "-br", "link").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "lo ") {
		t.Errorf("ip netns exec: %q %v", out, err)
	}
}

func TestBridgeHTTPUDPAndLongLivedTCP(t *testing.T) {
	netlabtest.Require(t, 0)
	sw, err := netlab.NewSwitch(tag + "bs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sw.Close() })
	a, b := newNS(t, "ba"), newNS(t, "bb")
	if err := sw.AttachHost(a, "eth0", "192.168.77.1/24", ""); err != nil {
		t.Fatal(err)
	}
	if err := sw.AttachHost(b, "eth0", "192.168.77.2/24", "192.168.77.1"); err != nil {
		t.Fatal(err)
	}
	for _, start := range []func() (func(), error){
		func() (func(), error) { return netlab.ServeHTTP(b, ":8080", "bee") },
		func() (func(), error) { return netlab.ServeUDPEcho(b, ":5353", "bee") },
		func() (func(), error) { return netlab.ServeTCPEchoIdent(b, ":7000", "bee") },
	} {
		stop, err := start()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}

	for i := range 3 {
		body, err := netlab.HTTPGetNewConn(a, "http://192.168.77.2:8080/", 5*time.Second)
		if err != nil || body != "bee" {
			t.Fatalf("GET %d: body %q, err %v", i, body, err)
		}
	}
	reply, peer, err := netlab.UDPRequest(a, "192.168.77.2:5353", "ping", 5*time.Second)
	if err != nil || reply != "bee:ping" || peer.String() != "192.168.77.2:5353" {
		t.Fatalf("UDP: reply %q from %v, err %v", reply, peer, err)
	}
	lc, err := netlab.DialLine(a, "192.168.77.2:7000", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	for _, line := range []string{"one", "two"} {
		got, err := lc.Exchange(line, 5*time.Second)
		if err != nil || got != "bee:"+line {
			t.Fatalf("line %q: got %q, err %v", line, got, err)
		}
	}
}

// TestMoveLinkLikeATap moves the two ends of a veth made in a director's
// namespace the way the labs move a DPDK tap: one into a host, one onto a
// bridge.
func TestMoveLinkLikeATap(t *testing.T) {
	netlabtest.Require(t, 0)
	sw, err := netlab.NewSwitch(tag + "ms")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sw.Close() })
	director, client, server := newNS(t, "md"), newNS(t, "mc"), newNS(t, "mr")
	if err := sw.AttachHost(server, "eth0", "192.168.78.2/24", ""); err != nil {
		t.Fatal(err)
	}
	wan, lan := tag+"mw", tag+"ml"
	if out, err := director.IP("link", "add", wan, "type", "veth", "peer", "name", lan); err != nil {
		t.Fatal(out, err)
	}
	if err := director.WaitLink(wan, false, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := director.WaitLink(wan, true, 0); err == nil || !strings.Contains(err.Error(), "not up") {
		t.Errorf("WaitLink(up) of a down link: %v, want an error saying it is not up", err)
	}
	if client.LinkExists(wan) {
		t.Errorf("client sees %s before the move", wan)
	}
	before, err := director.HardwareAddr(wan)
	if err != nil {
		t.Fatal(err)
	}
	if err := netlab.MoveLink(wan, director, client); err != nil {
		t.Fatal(err)
	}
	if err := client.ConfigureLink(wan, "192.168.78.1/24", ""); err != nil {
		t.Fatal(err)
	}
	if err := sw.AttachLinkToBridge(director, lan); err != nil {
		t.Fatal(err)
	}
	if director.LinkExists(wan) || director.LinkExists(lan) || !client.LinkExists(wan) {
		t.Errorf("after moving: director has %s %v, %s %v; client has %s %v", wan, director.LinkExists(wan), lan, director.LinkExists(lan), wan, client.LinkExists(wan))
	}
	if l := leftovers(tag + "m"); len(l) != 4 { // the four namespaces only
		t.Errorf("root namespace has %v, want the four namespaces only", l)
	}
	after, err := client.HardwareAddr(wan)
	if err != nil {
		t.Fatal(err)
	}
	if after.String() == before.String() {
		t.Errorf("MAC of moved link unchanged: %v", after)
	}
	stop, err := netlab.ServeHTTP(server, ":80", "srv")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if body, err := netlab.HTTPGetNewConn(client, "http://192.168.78.2/", 5*time.Second); err != nil || body != "srv" {
		t.Fatalf("GET across moved links: %q %v", body, err)
	}
}

func TestNATLabServersAndCleanup(t *testing.T) {
	netlabtest.Require(t, 0)
	prefix := tag + "n"
	lab, err := netlab.NewNATLab(netlab.NATSpec{
		Prefix:      prefix,
		ClientCIDR:  "10.0.0.2/24",
		ClientGW:    "10.0.0.1",
		ServerCIDRs: []string{"10.1.0.11/24", "10.1.0.12/24", "10.1.0.13/24"},
		ServerGW:    "10.1.0.1",
		HTTPPort:    8080, EchoPort: 7000, UDPPort: 5353,
	})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			lab.Close()
		}
	})
	// Servers reach each other over the bridge; each answers with its ident.
	for _, s := range lab.Servers {
		body, err := netlab.HTTPGetNewConn(lab.Servers[0].NS, "http://"+s.IP.String()+":8080/", 5*time.Second)
		if err != nil || body != s.Ident {
			t.Errorf("GET %s: %q %v", s.IP, body, err)
		}
		reply, _, err := netlab.UDPRequest(lab.Servers[0].NS, s.IP.String()+":5353", "x", 5*time.Second)
		if err != nil || reply != s.Ident+":x" {
			t.Errorf("UDP %s: %q %v", s.IP, reply, err)
		}
	}
	if d := lab.Describe(); !strings.Contains(d, "10.1.0.13/24") || !strings.Contains(d, "default via 10.1.0.1") ||
		!strings.Contains(d, "--- netns "+prefix+"d\n") {
		t.Errorf("Describe lacks addresses, routes or the director's namespace:\n%s", d)
	}
	if lab.Director == nil || lab.Namespaces()[0] != lab.Director || lab.Director.Name != prefix+"d" {
		t.Errorf("director namespace %v, namespaces %v", lab.Director, lab.Namespaces())
	}
	if h := lab.Servers[1].HTTP; h == nil || !h.Running() || !strings.HasSuffix(h.Addr(), ":8080") {
		t.Errorf("rs2's HTTP server: %+v", lab.Servers[1].HTTP)
	}
	if err := lab.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	if l := leftovers(prefix); len(l) > 0 {
		t.Errorf("left behind after Close: %v", l)
	}
}

func TestCleanStaleRemovesDeadRunsOnly(t *testing.T) {
	netlabtest.Require(t, 0)
	// A tag nobody holds stands for a crashed run.
	var stale string
	for i := 1; i < 100; i++ {
		c := fmt.Sprintf("gv%04x", (os.Getpid()+i)&0xffff)
		if rel, err := netlab.Claim(c); err == nil {
			rel()
			stale = c
			break
		}
	}
	if stale == "" {
		t.Skip("no free tag found")
	}
	if _, err := netlab.NewNS(stale + "x"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netlab.CleanTag(stale) })
	// A director that outlived its run, still in its namespace.
	director, err := netlab.NewNS(stale + "d")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { director.Close() })
	orphan, err := netlab.StartProcIn(director, nil, "sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { orphan.Stop(time.Second) })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if in, _ := director.Holds(orphan.Pid()); in {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the orphan never entered its namespace")
		}
	}
	mine := newNS(t, "live")
	cleaned, err := netlab.CleanStale()
	if err != nil {
		t.Fatal(err)
	}
	if l := leftovers(stale); len(l) > 0 {
		t.Errorf("stale %s not cleaned (cleaned %v): %v", stale, cleaned, l)
	}
	if !orphan.Exited(5 * time.Second) {
		t.Errorf("process in the stale director namespace still running after CleanStale")
	}
	if _, err := os.Stat("/run/netns/" + mine.Name); err != nil {
		t.Errorf("CleanStale removed a live run's namespace: %v", err)
	}
}

func TestProcStopKillsGroup(t *testing.T) {
	p, err := netlab.StartProc(nil, "sh", "-c", "echo started; sleep 30 & sleep 30")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.Output(), "started") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	p.Stop(2 * time.Second)
	if !p.Exited(0) {
		t.Fatal("process still running after Stop")
	}
	if time.Since(start) > 4*time.Second {
		t.Errorf("Stop took %v", time.Since(start))
	}
	if p.ExitCode() == 0 {
		t.Errorf("exit code 0 after SIGTERM")
	}
	// The orphaned background sleep is reaped by init shortly after.
	err = nil
	for i := 0; i < 100 && err != syscall.ESRCH; i++ {
		time.Sleep(20 * time.Millisecond)
		err = syscall.Kill(-p.Pid(), 0)
	}
	if err != syscall.ESRCH {
		t.Errorf("process group %d still has members (kill 0: %v)", p.Pid(), err)
	}
}

// rootIP runs ip in the root namespace.
func rootIP(args ...string) (string, error) {
	out, err := exec.Command("ip", args...).CombinedOutput()
	return string(out), err
}

func TestMissingHugepagesNamesTheNeed(t *testing.T) {
	if msg := netlab.MissingHugepages(1 << 30); !strings.Contains(msg, "hugepages") {
		t.Errorf("MissingHugepages(1 TiB) = %q, want a message about hugepages", msg)
	}
}

// TestStartProcInRunsInNamespace: a process started in a namespace is held
// by it, sees only its interfaces (in /sys too), keeps its own pid (ip
// execs it) and stops with Stop.
func TestStartProcInRunsInNamespace(t *testing.T) {
	netlabtest.Require(t, 0)
	ns := newNS(t, "p")
	p, err := netlab.StartProcIn(ns, nil, "sh", "-c", "echo links $(ls /sys/class/net); echo pid $$; exec sleep 30")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(time.Second) })
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.Output(), "pid ") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out := p.Output()
	if !strings.Contains(out, "links lo\n") {
		t.Errorf("/sys/class/net inside = %q, want only lo", out)
	}
	if !strings.Contains(out, fmt.Sprintf("pid %d\n", p.Pid())) {
		t.Errorf("output %q, want the shell's pid to be Proc's %d", out, p.Pid())
	}
	if in, err := ns.Holds(p.Pid()); err != nil || !in {
		t.Errorf("Holds(%d) = %v, %v; want true", p.Pid(), in, err)
	}
	if in, err := ns.Holds(os.Getpid()); err != nil || in {
		t.Errorf("Holds(this process) = %v, %v; want false", in, err)
	}
	p.Stop(2 * time.Second)
	if pids, _ := exec.Command("ip", "netns", "pids", ns.Name).Output(); len(strings.TrimSpace(string(pids))) > 0 {
		t.Errorf("processes left in the namespace after Stop: %s", pids)
	}
}
