package realserver

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
	"golang.org/x/sys/unix"
)

// tunLab is the TUN topology, all on one bridge (10.9.1.0/24):
//
//	director ns  10.9.1.1  sends hand-built IPIP packets (raw socket)
//	rs ns        10.9.1.2  govsctl realserver setup --mode tun, UDP echo on VIP:5353
//	client ns    10.9.1.3  receives the echo straight from the real server
//
// The director does not forward (ip_forward is 0 in a new namespace), so
// a reply reaching the client came from the real server's normal route.
type tunLab struct {
	director, rs, client *netlab.NS
	raw                  int // director: raw IPv4 socket, IP_HDRINCL
	icmp                 int // director: raw ICMP socket watching for unreachables
	dir                  string
}

const echoPort = 5353

func newTunLab(t *testing.T) *tunLab {
	t.Helper()
	sw, err := netlab.NewSwitch(tag + "ts")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sw.Close() })
	l := &tunLab{director: newNS(t, "td"), rs: newNS(t, "tr"), client: newNS(t, "tc"), dir: stateDir(t)}
	for _, h := range []struct {
		ns   *netlab.NS
		addr netip.Addr
	}{{l.director, director}, {l.rs, rs}, {l.client, client}} {
		if err := sw.AttachHost(h.ns, "eth0", h.addr.String()+"/24", ""); err != nil {
			t.Fatal(err)
		}
	}
	err = l.director.Do(func() (err error) {
		if l.raw, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW); err != nil {
			return err
		}
		l.icmp, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(l.raw); unix.Close(l.icmp) })
	tv := unix.Timeval{Usec: 100000}
	unix.SetsockoptTimeval(l.icmp, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	return l
}

// send sends pkt (a whole IPv4 packet) from the director.
func (l *tunLab) send(t *testing.T, pkt []byte) {
	t.Helper()
	dst := [4]byte(pkt[16:20])
	if err := unix.Sendto(l.raw, pkt, 0, &unix.SockaddrInet4{Addr: dst}); err != nil {
		t.Fatalf("director: send raw packet: %v", err)
	}
}

// request encapsulates a UDP datagram client:sport -> VIP:5353.
func request(sport uint16, payload string) []byte {
	return ipip(director, rs, ipv4(client, vip, 17, udp(client, vip, sport, echoPort, []byte(payload))))
}

// protoUnreachables drains the director's ICMP socket and counts
// "protocol unreachable" messages from the real server.
func (l *tunLab) protoUnreachables() int {
	n := 0
	buf := make([]byte, 2048)
	for {
		m, _, err := unix.Recvfrom(l.icmp, buf, 0)
		if err != nil {
			return n
		}
		p := buf[:m]
		ihl := int(p[0]&0xf) * 4
		if m >= ihl+2 && netip.AddrFrom4([4]byte(p[12:16])) == rs && p[ihl] == 3 && p[ihl+1] == 2 {
			n++
		}
	}
}

// exchange sends the request from the director (again every 200ms) until
// the client socket receives a reply or 10s pass.
func (l *tunLab) exchange(t *testing.T, pc net.PacketConn, sport uint16, payload string) (string, net.Addr) {
	t.Helper()
	buf := make([]byte, 2048)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		l.send(t, request(sport, payload))
		pc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, from, err := pc.ReadFrom(buf)
		if err == nil {
			return string(buf[:n]), from
		}
	}
	t.Fatalf("no reply to the tunnelled request %q within 10s", payload)
	return "", nil
}

func (l *tunLab) state(t *testing.T) *State {
	t.Helper()
	b, err := os.ReadFile(statePath(l.dir, TUN))
	if err != nil {
		t.Fatal(err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestTUNUserspaceDecap runs the whole TUN path without a director
// dataplane: IPIP in, decapsulated by govsctl's userspace decapsulator,
// answered by a UDP server on the VIP, reply straight to the client.
func TestTUNUserspaceDecap(t *testing.T) {
	requireLab(t)
	l := newTunLab(t)
	t.Cleanup(func() {
		if out, code := ctl(t, l.rs, "teardown", "--state-dir", l.dir); code != 0 {
			t.Logf("cleanup teardown: %s", out)
		}
	})
	setSysctlIn(t, l.rs, "net.ipv4.conf.all.rp_filter", "1") // strict: must be relaxed, then restored
	before := []string{
		"net.ipv4.conf.all.rp_filter", "1", "net.ipv4.conf.all.arp_ignore", "0",
		"net.ipv4.conf.all.arp_announce", "0", "net.ipv4.conf.eth0.arp_ignore", "0",
	}

	// Without a decapsulator this kernel answers IPIP with "protocol
	// unreachable": the check below that it no longer does means something.
	_, ipipLoaded := os.Stat("/sys/module/ipip")
	noIPIP := ipipLoaded != nil
	if noIPIP {
		if !eventually(5*time.Second, func() bool { l.send(t, request(1, "probe")); return l.protoUnreachables() > 0 }) {
			t.Fatal("no protocol unreachable for IPIP before setup: the lab does not work")
		}
	}

	out := mustCtl(t, l.rs, "setup", "--mode", "tun", "--decap", "user", "--vip", vip.String(), "--state-dir", l.dir)
	if !strings.Contains(out, "started decapsulator") {
		t.Errorf("setup did not start the decapsulator:\n%s", out)
	}
	wantSysctls(t, l.rs, "after setup",
		"net.ipv4.conf.all.rp_filter", "0", "net.ipv4.conf.govs-tun0.rp_filter", "0",
		"net.ipv4.conf.all.arp_ignore", "1", "net.ipv4.conf.all.arp_announce", "2",
		"net.ipv4.conf.eth0.arp_ignore", "1", "net.ipv4.conf.eth0.arp_announce", "2")
	link, err := l.rs.IP("-o", "addr", "show", "dev", DefaultTun)
	if err != nil || !strings.Contains(link, vip.String()+"/32") {
		t.Fatalf("%s does not hold %s/32: %v %s", DefaultTun, vip, err, link)
	}
	if mtu, _ := l.rs.IP("link", "show", DefaultTun); !strings.Contains(mtu, fmt.Sprintf("mtu %d", TunMTU)) || !strings.Contains(mtu, ",UP") {
		t.Errorf("%s is not up with mtu %d: %s", DefaultTun, TunMTU, mtu)
	}
	pid := l.state(t).Decap.Pid
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) }) // if teardown never ran

	stop, err := netlab.ServeUDPEcho(l.rs, netip.AddrPortFrom(vip, echoPort).String(), "rs")
	if err != nil {
		t.Fatalf("UDP server on the VIP: %v", err)
	}
	t.Cleanup(stop)
	pc, err := l.client.ListenPacket("udp4", netip.AddrPortFrom(client, 40000).String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })

	l.protoUnreachables() // forget the probes
	reply, from := l.exchange(t, pc, 40000, "hello")
	if reply != "rs:hello" || from.String() != netip.AddrPortFrom(vip, echoPort).String() {
		t.Errorf("client got %q from %v, want \"rs:hello\" from %s:%d", reply, from, vip, echoPort)
	}
	// Invalid packets are dropped and counted.
	l.send(t, ipip(director, rs, ipv4(client, vip2, 17, udp(client, vip2, 40000, echoPort, []byte("x")))))
	bad := ipv4(client, vip, 17, udp(client, vip, 40000, echoPort, []byte("y")))
	bad[8]-- // TTL changed, checksum not
	l.send(t, ipip(director, rs, bad))
	statsFile := filepath.Join(l.dir, decapStats)
	var st DecapStats
	if !eventually(5*time.Second, func() bool {
		st, _ = LoadDecapStats(statsFile)
		return st.Drops["not_vip"] == 1 && st.Drops["inner_bad_checksum"] == 1
	}) {
		t.Errorf("counters %+v, want not_vip 1 and inner_bad_checksum 1", st)
	}
	if st.Decapsulated < 1 {
		t.Errorf("counters %+v: nothing decapsulated", st)
	}
	if n := l.protoUnreachables(); n > 0 {
		t.Errorf("the real server sent %d protocol unreachable(s) while the decapsulator ran", n)
	}
	if out := mustCtl(t, l.rs, "status", "--state-dir", l.dir); !strings.Contains(out, "running") {
		t.Errorf("status:\n%s", out)
	}

	// A second setup is harmless; a dead decapsulator is restarted by it.
	if out := mustCtl(t, l.rs, "setup", "--mode", "tun", "--decap", "user", "--vip", vip.String(), "--state-dir", l.dir); !strings.Contains(out, "already set up") {
		t.Errorf("second setup: %s", out)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	if !eventually(5*time.Second, func() bool { _, err := procStartTime(pid); return err != nil }) {
		t.Fatalf("decapsulator pid %d survived SIGKILL for 5s", pid)
	}
	if !eventually(5*time.Second, func() bool { _, err := l.rs.IP("link", "show", DefaultTun); return err != nil }) {
		t.Fatalf("%s outlived its decapsulator", DefaultTun)
	}
	if out := mustCtl(t, l.rs, "status", "--state-dir", l.dir); !strings.Contains(out, "NOT RUNNING") {
		t.Errorf("status after the decapsulator died:\n%s", out)
	}
	if out := mustCtl(t, l.rs, "setup", "--mode", "tun", "--decap", "user", "--vip", vip.String(), "--state-dir", l.dir); !strings.Contains(out, "restarted") {
		t.Errorf("setup after the decapsulator died: %s", out)
	}
	pid = l.state(t).Decap.Pid
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if reply, _ := l.exchange(t, pc, 40000, "again"); reply != "rs:again" {
		t.Errorf("after restart the client got %q", reply)
	}

	mustCtl(t, l.rs, "teardown", "--mode", "tun", "--state-dir", l.dir)
	wantSysctls(t, l.rs, "after teardown", before...)
	if _, err := l.rs.IP("link", "show", DefaultTun); err == nil {
		t.Errorf("teardown left %s", DefaultTun)
	}
	if _, err := procStartTime(pid); err == nil {
		t.Errorf("teardown left decapsulator pid %d running", pid)
	}
	for _, f := range []string{statePath(l.dir, TUN), filepath.Join(l.dir, decapPid), statsFile} {
		if !fileGone(f) {
			t.Errorf("teardown left %s", f)
		}
	}
	if log, _ := os.ReadFile(filepath.Join(l.dir, decapLog)); !strings.Contains(string(log), "stopped: decapsulated") {
		t.Errorf("the decapsulator did not log its counters on SIGTERM:\n%s", log)
	} else {
		t.Logf("decap.log:\n%s", log)
	}
	if noIPIP {
		if !eventually(5*time.Second, func() bool { l.send(t, request(1, "probe")); return l.protoUnreachables() > 0 }) {
			t.Error("no protocol unreachable after teardown: is something still reading IPIP?")
		}
	}
}

// TestTUNKernelUnavailable: on a kernel without ipip, --decap kernel fails
// with a clear message and rolls back every change.
func TestTUNKernelUnavailable(t *testing.T) {
	requireLab(t)
	if _, err := os.Stat("/sys/module/ipip"); err == nil {
		t.Skip("this kernel has ipip loaded")
	}
	rsNS := newNS(t, "tk")
	dir := stateDir(t)
	t.Cleanup(func() { ctl(t, rsNS, "teardown", "--state-dir", dir) })
	setSysctlIn(t, rsNS, "net.ipv4.conf.all.rp_filter", "1")
	out, code := ctl(t, rsNS, "setup", "--mode", "tun", "--decap", "kernel", "--vip", vip.String(), "--state-dir", dir)
	if code != 1 || !strings.Contains(out, "kernel cannot create an ipip device") {
		t.Errorf("setup --decap kernel: exit %d\n%s", code, out)
	}
	wantSysctls(t, rsNS, "after the failed setup",
		"net.ipv4.conf.all.rp_filter", "1", "net.ipv4.conf.all.arp_ignore", "0", "net.ipv4.conf.all.arp_announce", "0")
	if !fileGone(statePath(dir, TUN)) {
		t.Error("a failed setup left its state file")
	}
}
