package health

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// probeOnce builds the real prober of c against addr and runs it once,
// bounded by c.Timeout as the manager bounds it.
func probeOnce(t *testing.T, addr netip.AddrPort, c Check) Result {
	t.Helper()
	var ping pingHolder
	defer ping.close()
	p, err := newProber(Target{Service: "tcp/10.0.0.10:80", Addr: addr.Addr(), Port: addr.Port(), Check: c}, RunShell, &ping)
	if err != nil {
		t.Fatalf("newProber: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	return p.Probe(ctx)
}

func wantResult(t *testing.T, r Result, ok bool, errHas string) {
	t.Helper()
	if r.OK != ok || !strings.Contains(r.Err, errHas) {
		t.Errorf("result %+v, want ok=%v and an error containing %q", r, ok, errHas)
	}
}

func addrOf(t *testing.T, a net.Addr) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T, network string) netip.AddrPort {
	t.Helper()
	var a net.Addr
	if network == "tcp" {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		a = l.Addr()
		l.Close()
	} else {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		a = c.LocalAddr()
		c.Close()
	}
	return addrOf(t, a)
}

func TestTCPProbe(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	peers := make(chan string, 10)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			peers <- c.RemoteAddr().String()
			c.Close()
		}
	}()
	open := addrOf(t, l.Addr())
	c := Check{Kind: KindTCP, Timeout: time.Second}
	wantResult(t, probeOnce(t, open, c), true, "")
	wantResult(t, probeOnce(t, closedPort(t, "tcp"), c), false, "connect: connection refused")

	// connect_address and connect_port replace the server's; the source
	// address is bound.
	c.ConnectAddr, c.ConnectPort = open.Addr(), open.Port()
	c.SourceAddr = netip.MustParseAddr("127.0.0.2")
	<-peers
	wantResult(t, probeOnce(t, netip.MustParseAddrPort("192.0.2.1:1"), c), true, "")
	if peer := <-peers; !strings.HasPrefix(peer, "127.0.0.2:") {
		t.Errorf("check came from %s, want source 127.0.0.2", peer)
	}
}

func TestHTTPProbe(t *testing.T) {
	body := "service is ready\n"
	sum := md5.Sum([]byte(body))
	var mu sync.Mutex
	var seen []string // method path host
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" "+r.Host)
		mu.Unlock()
		switch r.URL.Path {
		case "/500":
			w.WriteHeader(500)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		case "/redirect":
			w.WriteHeader(302)
		case "/big":
			w.Write([]byte(strings.Repeat("x", maxBody+10)))
			return
		}
		w.Write([]byte(body))
	}))
	defer srv.Close()
	addr := addrOf(t, srv.Listener.Addr())
	base := Check{Kind: KindHTTP, Timeout: time.Second}
	with := func(f func(*Check)) Check { c := base; f(&c); return c }
	statuses := func(ranges ...[2]int) StatusSet {
		var s StatusSet
		for _, r := range ranges {
			s.Add(r[0], r[1])
		}
		return s
	}
	cases := []struct {
		name   string
		check  Check
		ok     bool
		errHas string
	}{
		{"default 200", base, true, ""},
		{"500 down", with(func(c *Check) { c.Path = "/500" }), false, "HTTP status 500 is not an expected one"},
		{"500 expected", with(func(c *Check) { c.Path = "/500"; c.Status = statuses([2]int{500, 503}) }), true, ""},
		{"302 not in 200-299", with(func(c *Check) { c.Path = "/redirect" }), false, "HTTP status 302"},
		{"regex match", with(func(c *Check) { c.BodyRegex = "is (ready|up)" }), true, ""},
		{"regex mismatch", with(func(c *Check) { c.BodyRegex = "^down" }), false, `body does not match "^down"`},
		{"digest", with(func(c *Check) { c.Digest = hex.EncodeToString(sum[:]) }), true, ""},
		{"digest wrong", with(func(c *Check) { c.Digest = strings.Repeat("0", 32) }), false, "body digest " + hex.EncodeToString(sum[:])},
		{"digest of a body too big", with(func(c *Check) { c.Path = "/big"; c.Digest = strings.Repeat("0", 32) }), false, "body longer than"},
		{"timeout", with(func(c *Check) { c.Path = "/slow"; c.Timeout = 100 * time.Millisecond }), false, "timeout"},
		{"closed port", Check{Kind: KindHTTP, Timeout: time.Second, ConnectPort: closedPort(t, "tcp").Port()}, false, "connection refused"},
		{"head", with(func(c *Check) { c.Method = "HEAD"; c.Path = "/h?x=1"; c.Host = "www.example.com" }), true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := probeOnce(t, addr, tc.check)
			wantResult(t, r, tc.ok, tc.errHas)
			if tc.name == "timeout" && !r.Timeout {
				t.Errorf("a timeout not marked as one: %+v", r)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if last := seen[len(seen)-1]; last != "HEAD /h?x=1 www.example.com" {
		t.Errorf("last request %q", last)
	}
	if first := seen[0]; first != "GET / "+addr.String() {
		t.Errorf("default request %q, want GET / with Host %s", first, addr)
	}
}

func TestHTTPSProbe(t *testing.T) {
	var mu sync.Mutex
	var snis []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		snis = append(snis, h.ServerName)
		mu.Unlock()
		return nil, nil
	}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	defer srv.Close()
	addr := addrOf(t, srv.Listener.Addr())
	c := Check{Kind: KindHTTPS, Timeout: 2 * time.Second, TLSSNI: "www.example.com"}
	wantResult(t, probeOnce(t, addr, c), true, "")
	// The self-signed certificate is refused once verification is on.
	c.TLSVerify = true
	wantResult(t, probeOnce(t, addr, c), false, "tls: ")
	mu.Lock()
	defer mu.Unlock()
	if len(snis) != 2 || snis[0] != "www.example.com" {
		t.Errorf("SNI sent %q", snis)
	}
	// Plain HTTP to a TLS server is not an answer.
	wantResult(t, probeOnce(t, addr, Check{Kind: KindHTTP, Timeout: time.Second}), false, "")
}

// udpServer answers (or not) every datagram; it returns its address.
func udpServer(t *testing.T, reply func([]byte) []byte) netip.AddrPort {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := reply(buf[:n]); out != nil {
				c.WriteTo(out, from)
			}
		}
	}()
	return addrOf(t, c.LocalAddr())
}

func TestUDPProbe(t *testing.T) {
	got := make(chan string, 10)
	echo := udpServer(t, func(b []byte) []byte { got <- string(b); return b })
	silent := udpServer(t, func([]byte) []byte { return nil })
	c := Check{Kind: KindUDP, Timeout: 500 * time.Millisecond, Payload: "hello", RequireReply: true}
	wantResult(t, probeOnce(t, echo, c), true, "")
	if p := <-got; p != "hello" {
		t.Errorf("payload %q", p)
	}
	r := probeOnce(t, silent, c)
	wantResult(t, r, false, "no reply")
	if !r.Timeout {
		t.Error("no reply is not a timeout")
	}
	wantResult(t, probeOnce(t, closedPort(t, "udp"), c), false, "port unreachable")
	// Without require_reply silence is up, an ICMP error still down.
	c.RequireReply = false
	wantResult(t, probeOnce(t, silent, c), true, "")
	wantResult(t, probeOnce(t, closedPort(t, "udp"), c), false, "port unreachable")
}

// dnsResponder answers queries as mode says.
func dnsResponder(t *testing.T, mode string) netip.AddrPort {
	return udpServer(t, func(q []byte) []byte {
		m, err := parseDNS(q)
		if err != nil || len(m.Questions) != 1 {
			return nil
		}
		qu := m.Questions[0]
		id := m.Header.ID
		flags := uint16(dnsFlagQR | dnsFlagRD)
		var answers [][]byte
		switch mode {
		case "answer":
			answers = append(answers, rr(qu.Type, []byte{10, 0, 0, 1}))
		case "cname":
			answers = append(answers, rr(dnsTypeCNAME, []byte{1, 'x', 0}))
		case "nxdomain":
			flags |= 3
		case "wrong id first":
			// Only a reply with another id: it must be ignored.
			return dnsReply(id+1, flags, q, [][]byte{rr(qu.Type, []byte{1, 2, 3, 4})})
		case "other question":
			q2, _ := buildDNSQuery(id, "other.example", qu.Type)
			return dnsReply(id, flags, q2, [][]byte{rr(qu.Type, []byte{1, 2, 3, 4})})
		}
		return dnsReply(id, flags, q, answers)
	})
}

// rr is a record whose name points at the question's name (offset 12).
func rr(typ uint16, data []byte) []byte {
	b := []byte{0xc0, 12, byte(typ >> 8), byte(typ), 0, 1, 0, 0, 0, 60, byte(len(data) >> 8), byte(len(data))}
	return append(b, data...)
}

func dnsReply(id, flags uint16, query []byte, answers [][]byte) []byte {
	b := append([]byte(nil), query...)
	b[0], b[1] = byte(id>>8), byte(id)
	b[2], b[3] = byte(flags>>8), byte(flags)
	b[6], b[7] = 0, byte(len(answers))
	for _, a := range answers {
		b = append(b, a...)
	}
	return b
}

func TestDNSProbe(t *testing.T) {
	c := Check{Kind: KindDNS, Timeout: 500 * time.Millisecond, QueryName: "www.Example.com.", QueryType: "A", RequireAnswer: true}
	cases := []struct {
		mode    string
		require bool
		ok      bool
		errHas  string
	}{
		{"answer", true, true, ""},
		{"cname", true, true, ""},
		{"empty", true, false, "no answer record"},
		{"empty", false, true, ""},
		{"nxdomain", false, false, "DNS NXDOMAIN"},
		{"other question", true, false, "not an answer to our question"},
		{"wrong id first", true, false, "no reply"},
		{"silent", true, false, "no reply"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.mode, tc.require), func(t *testing.T) {
			var addr netip.AddrPort
			if tc.mode == "silent" {
				addr = udpServer(t, func([]byte) []byte { return nil })
			} else {
				addr = dnsResponder(t, tc.mode)
			}
			c := c
			c.RequireAnswer = tc.require
			wantResult(t, probeOnce(t, addr, c), tc.ok, tc.errHas)
		})
	}
	wantResult(t, probeOnce(t, closedPort(t, "udp"), c), false, "port unreachable")
	if _, err := newDNSProber(Target{Check: Check{Kind: KindDNS, QueryType: "SRV"}}); err == nil {
		t.Error("unknown query type accepted")
	}
}

// A reply with another id is skipped, the right one taken.
func TestDNSSkipsForeignReplies(t *testing.T) {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		buf := make([]byte, 512)
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		q := buf[:n]
		m, _ := parseDNS(q)
		c.WriteTo(dnsReply(m.Header.ID+1, dnsFlagQR, q, nil), from)
		c.WriteTo(dnsReply(m.Header.ID, dnsFlagQR, q, [][]byte{rr(6, []byte{0})}), from)
	}()
	wantResult(t, probeOnce(t, addrOf(t, c.LocalAddr()), Check{Kind: KindDNS, Timeout: time.Second, RequireAnswer: true}), true, "")
}

func TestPingProbe(t *testing.T) {
	c := Check{Kind: KindPing, Timeout: time.Second}
	wantResult(t, probeOnce(t, netip.MustParseAddrPort("127.0.0.1:0"), c), true, "")
	c.SourceAddr = netip.MustParseAddr("127.0.0.3")
	wantResult(t, probeOnce(t, netip.MustParseAddrPort("127.0.0.1:0"), c), true, "")
	// In a network namespace of its own with nothing up, nobody answers.
	c = Check{Kind: KindPing, Timeout: 200 * time.Millisecond}
	inNewNetns(t, func() {
		wantResult(t, probeOnce(t, netip.MustParseAddrPort("10.1.2.3:0"), c), false, "network is unreachable")
	})
}

// inNewNetns runs f on a thread moved to a new, empty network namespace;
// the thread ends with f, and the namespace with the last socket in it.
func inNewNetns(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread exits with us
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			t.Errorf("unshare: %v", err)
			return
		}
		f()
	}()
	<-done
}

// Many pings at once through the one socket each get their own reply.
func TestPingShared(t *testing.T) {
	var h pingHolder
	defer h.close()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := h.get()
			if err != nil {
				errs <- err
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			dst := netip.AddrFrom4([4]byte{127, 0, 0, byte(1 + i%5)})
			if err := p.ping(ctx, dst, netip.Addr{}); err != nil {
				errs <- fmt.Errorf("%v: %w", dst, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p, _ := h.get(); len(p.waiters) != 0 {
		t.Errorf("%d waiters left", len(p.waiters))
	}
}

func TestScriptProbe(t *testing.T) {
	dir := t.TempDir()
	c := Check{Kind: KindScript, Timeout: 2 * time.Second}
	cases := []struct {
		name    string
		command string
		dynamic bool
		ok      bool
		weight  int
		errHas  string
	}{
		{"exit 0", "exit 0", false, true, -1, ""},
		{"exit 1", "echo broken >&2; exit 1", false, false, -1, "exit 1: broken"},
		{"exit 3 static is down", "exit 3", false, false, -1, "exit 3"},
		{"exit 7 dynamic", "exit 7", true, true, 5, ""},
		{"exit 2 dynamic is weight 0", "exit 2", true, true, 0, ""},
		{"exit 1 dynamic is down", "exit 1", true, false, -1, "exit 1"},
		{"environment", `test "$GOVS_SERVER" = 10.1.0.5:8080 && test "$GOVS_SERVICE" = tcp/10.0.0.10:80`, false, true, -1, ""},
		{"killed", "kill -9 $$", false, false, -1, "killed by a signal"},
		{"not found", filepath.Join(dir, "missing"), false, false, -1, "exit 127"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := c
			c.Command, c.Dynamic = tc.command, tc.dynamic
			r := probeOnce(t, netip.MustParseAddrPort("10.1.0.5:8080"), c)
			wantResult(t, r, tc.ok, tc.errHas)
			if r.Weight != tc.weight {
				t.Errorf("weight %d, want %d", r.Weight, tc.weight)
			}
		})
	}
}

// A script that outlives its timeout is killed with its whole process
// group, children included.
func TestScriptTimeoutKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child")
	c := Check{Kind: KindScript, Timeout: 300 * time.Millisecond,
		Command: fmt.Sprintf("sleep 30 & echo $! > %s; wait", pidFile)}
	start := time.Now()
	r := probeOnce(t, netip.MustParseAddrPort("10.1.0.5:80"), c)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v for a 300ms timeout", took)
	}
	if r.OK || !r.Timeout || !strings.Contains(r.Err, "killed at the timeout") {
		t.Errorf("result %+v", r)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	deadline := time.Now().Add(2 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d still alive after the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports a process that exists and is not a zombie (a reparented
// child may wait for a reaper).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}
