package health

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Many real checks of every kind, passing, failing and timing out, then
// Stop: no goroutine, socket or file descriptor is left behind.
func TestNoLeaks(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(time.Second)
		}
		w.Write([]byte("ok"))
	}))
	defer web.Close()
	tls := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tls.Config.ErrorLog = log.New(io.Discard, "", 0) // the verifying check is refused, as meant
	tls.StartTLS()
	defer tls.Close()
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	go func() {
		for {
			c, err := tcp.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	echo := udpServer(t, func(b []byte) []byte { return b })
	silent := udpServer(t, func([]byte) []byte { return nil })
	dns := dnsResponder(t, "answer")
	closed := closedPort(t, "tcp")
	closedUDP := closedPort(t, "udp")

	time.Sleep(100 * time.Millisecond) // let the servers' goroutines settle
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)

	m, err := New(Options{Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	timing := Check{Interval: 50 * time.Millisecond, Timeout: 400 * time.Millisecond, RetryDelay: 20 * time.Millisecond,
		Warmup: 50 * time.Millisecond, Rise: 1, Fall: 2}
	kinds := []struct {
		addr netip.AddrPort
		up   bool
		set  func(*Check)
	}{
		{addrOf(t, tcp.Addr()), true, func(c *Check) { c.Kind = KindTCP }},
		{closed, false, func(c *Check) { c.Kind = KindTCP }},
		{addrOf(t, web.Listener.Addr()), true, func(c *Check) { c.Kind = KindHTTP; c.BodyRegex = "ok" }},
		{addrOf(t, web.Listener.Addr()), false, func(c *Check) { c.Kind = KindHTTP; c.Path = "/slow" }}, // times out
		{addrOf(t, tls.Listener.Addr()), true, func(c *Check) { c.Kind = KindHTTPS }},
		{addrOf(t, tls.Listener.Addr()), false, func(c *Check) { c.Kind = KindHTTPS; c.TLSVerify = true }},
		{echo, true, func(c *Check) { c.Kind = KindUDP; c.RequireReply = true; c.Payload = "x" }},
		{silent, false, func(c *Check) { c.Kind = KindUDP; c.RequireReply = true }},
		{closedUDP, false, func(c *Check) { c.Kind = KindUDP }},
		{dns, true, func(c *Check) { c.Kind = KindDNS; c.QueryName = "a.example"; c.QueryType = "A"; c.RequireAnswer = true }},
		{netip.MustParseAddrPort("127.0.0.1:0"), true, func(c *Check) { c.Kind = KindPing }},
		{netip.MustParseAddrPort("127.0.0.1:0"), true, func(c *Check) { c.Kind = KindScript; c.Command = "exit 0" }},
		{netip.MustParseAddrPort("127.0.0.1:0"), false, func(c *Check) { c.Kind = KindScript; c.Command = "sleep 5" }}, // killed
	}
	var spec ServiceSpec
	spec.Key, spec.Quorum = "tcp/10.0.0.10:80", 1
	for i := range 4 { // each kind four times, as distinct servers
		for j, k := range kinds {
			c := timing
			k.set(&c)
			// Servers differ by a port that the connect port overrides.
			sp := ServerSpec{Addr: netip.AddrFrom4([4]byte{10, 9, byte(i), byte(j)}), Port: k.addr.Port() + 1, Weight: 1, Check: &c}
			c.ConnectAddr, c.ConnectPort = k.addr.Addr(), k.addr.Port()
			if c.Kind == KindPing || c.Kind == KindScript {
				c.ConnectPort = 0
			}
			spec.Servers = append(spec.Servers, sp)
		}
	}
	m.Apply(Spec{Services: []ServiceSpec{spec}})
	// Every server settles to its expected state within a few checks; on
	// a loaded machine (the race detector, other tests) that can take
	// seconds, so wait for it, bounded, instead of sleeping a fixed time.
	wrong := func() []ServerStatus {
		var bad []ServerStatus
		for _, s := range m.Servers() {
			if s.Up != kinds[s.Addr.As4()[3]].up || s.Successes+s.Failures < 2 {
				bad = append(bad, s)
			}
		}
		return bad
	}
	for deadline := time.Now().Add(15 * time.Second); len(wrong()) > 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	for _, s := range wrong() {
		t.Errorf("%v (%s) up=%v, want %v after %d checks: %s", s.Addr, s.Kind, s.Up, kinds[s.Addr.As4()[3]].up, s.Successes+s.Failures, s.LastError)
	}
	sts := m.Servers()
	var checks uint64
	for _, s := range sts {
		checks += s.Successes + s.Failures
	}
	t.Logf("%d servers, %d checks", len(sts), checks)
	if checks < uint64(len(sts))*2 {
		t.Errorf("only %d checks of %d servers ran", checks, len(sts))
	}
	m.Stop()

	deadline := time.Now().Add(5 * time.Second)
	for {
		g, f := runtime.NumGoroutine(), openFDs(t)
		if g <= goroutines && f <= fds {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("after Stop: %d goroutines (before %d), %d fds (before %d)\n%s", g, goroutines, f, fds, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
