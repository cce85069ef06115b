package main

import (
	"bufio"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/config"
)

func TestHealthConfParses(t *testing.T) {
	c := healthConf{Prefix: "gb9", Socket: "/tmp/gb/s.sock", Wan: "gv1234w", Lan: "gv1234l"}
	cfg, err := config.Parse([]byte(c.yaml()))
	if err != nil {
		t.Fatalf("%v\n%.2000s", err, c.yaml())
	}
	if d := cfg.Dataplane; d.IdleBackoff != healthIdleBackoff || d.ConnTableSize != healthTable {
		t.Errorf("dataplane %+v", d)
	}
	if len(cfg.EAL.Workers()) != 1 {
		t.Errorf("workers %v, want one", cfg.EAL.Workers())
	}
	if len(cfg.Ports) != 2 || cfg.Ports[1].Name != healthCheckPort || !cfg.Ports[1].Kernel.Enabled {
		t.Fatalf("ports %+v: the checks' port needs its kernel interface", cfg.Ports)
	}
	if len(cfg.Services) != 1 {
		t.Fatalf("services %+v", cfg.Services)
	}
	svc := cfg.Services[0]
	if len(svc.RealServers) != healthServers {
		t.Fatalf("%d real servers, want %d", len(svc.RealServers), healthServers)
	}
	seen := map[netip.AddrPort]bool{}
	for i, rs := range svc.RealServers {
		ap := netip.AddrPortFrom(rs.Address, rs.Port)
		if seen[ap] || ap != healthServerAddr(i) {
			t.Fatalf("real server %d: %v (duplicate %v), want %v", i, ap, seen[ap], healthServerAddr(i))
		}
		seen[ap] = true
	}
	if ck := svc.Check; ck == nil || ck.Type != config.CheckHTTP || ck.Interval != healthInterval || ck.Timeout != healthTimeout || ck.Warmup != healthWarmup {
		t.Errorf("check %+v", svc.Check)
	}
}

func TestHealthServerAddrs(t *testing.T) {
	if got := healthServerAddr(0).String(); got != "10.1.0.11:8000" {
		t.Errorf("server 0 = %s", got)
	}
	if got := healthServerAddr(healthPortsPerAddr).String(); got != "10.1.0.12:8000" {
		t.Errorf("server %d = %s", healthPortsPerAddr, got)
	}
	if got := healthServerAddr(healthServers - 1).String(); got != "10.1.0.18:8249" {
		t.Errorf("last server = %s", got)
	}
	if a := healthAddresses(); len(a) != healthAddrs || a[0] != "10.1.0.11" || a[7] != "10.1.0.18" {
		t.Errorf("addresses %v", a)
	}
}

func TestParseStatCPU(t *testing.T) {
	for _, c := range []struct {
		name, line string
		want       cpuTicks
		bad        bool
	}{
		{"plain", "1234 (govsd) S 1 1234 1234 0 -1 4194560 5000 0 0 0 250 75 0 0 20 0 12 0 100 0 0", cpuTicks{250, 75}, false},
		{"spaces and brackets in comm", "77 (rte (worker) 1) R 1 77 77 0 -1 0 0 0 0 0 9 1 0 0 20 0 1 0 5", cpuTicks{9, 1}, false},
		{"short", "1 (x) S 1 2 3", cpuTicks{}, true},
		{"no comm", "1 x S", cpuTicks{}, true},
		{"bad number", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 1 0", cpuTicks{}, true},
	} {
		got, err := parseStatCPU([]byte(c.line))
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("%s: got %+v, %v; want %+v (error %v)", c.name, got, err, c.want, c.bad)
		}
	}
}

func TestThreadCPUOfThisProcess(t *testing.T) {
	th, err := threadCPU(os.Getpid())
	if err != nil || len(th) == 0 {
		t.Fatalf("threadCPU: %v, %v", th, err)
	}
	if _, ok := th[os.Getpid()]; !ok {
		t.Errorf("the main thread %d is not among %v", os.Getpid(), th)
	}
	total, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	ctl, w := splitCPU(th, os.Getpid())
	// threads' sums stay under the process's (that also has exited ones),
	// with rounding of a few ticks per thread
	if ctl.total()+w.total() > total.total()+uint64(2*len(th)) {
		t.Errorf("threads %d + %d > process %d", ctl, w, total)
	}
}

func TestSplitCPU(t *testing.T) {
	ctl, w := splitCPU(map[int]cpuTicks{10: {5, 1}, 11: {700, 20}, 12: {3, 2}}, 11)
	if ctl != (cpuTicks{8, 3}) || w != (cpuTicks{700, 20}) {
		t.Errorf("control %d worker %d", ctl, w)
	}
}

func TestFdCounts(t *testing.T) {
	f, err := os.Open(filepath.Join(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	fds0, socks0, err := fdCounts(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	fds1, socks1, _ := fdCounts(os.Getpid())
	if fds1 != fds0-1 || socks1 != socks0 {
		t.Errorf("closing a file: fds %d -> %d, sockets %d -> %d", fds0, fds1, socks0, socks1)
	}
}

func TestParseSockstat(t *testing.T) {
	in := "sockets: used 123\nTCP: inuse 7 orphan 0 tw 4012 alloc 9 mem 3\nUDP: inuse 1 mem 0\n"
	s, err := parseSockstat([]byte(in))
	if err != nil || s != (tcpSockstat{InUse: 7, TimeWait: 4012, Alloc: 9}) {
		t.Errorf("got %+v, %v", s, err)
	}
	for _, bad := range []string{"UDP: inuse 1\n", "TCP: inuse x tw 1 alloc 1\n", "TCP: inuse 1 alloc 2\n"} {
		if _, err := parseSockstat([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParsePromLine(t *testing.T) {
	for _, c := range []struct {
		line   string
		ok     bool
		name   string
		labels map[string]string
		value  float64
	}{
		{`go_goroutines 42`, true, "go_goroutines", nil, 42},
		{`govs_health_checks_total{outcome="success",server="10.1.0.11:8000",service="tcp/10.0.0.100:80"} 17`, true,
			"govs_health_checks_total", map[string]string{"outcome": "success", "server": "10.1.0.11:8000", "service": "tcp/10.0.0.100:80"}, 17},
		{`x{a="q\"uo\\te,}",b="n\nl"} 1.5e+06 1700000000000`, true, "x", map[string]string{"a": `q"uo\te,}`, "b": "n\nl"}, 1.5e6},
		{`# HELP go_goroutines Number of goroutines`, false, "", nil, 0},
		{``, false, "", nil, 0},
		{`x{a="unterminated} 1`, false, "", nil, 0},
		{`x{a=1} 1`, false, "", nil, 0},
		{`x notanumber`, false, "", nil, 0},
	} {
		s, ok := parsePromLine(c.line)
		if ok != c.ok {
			t.Errorf("%q: ok %v", c.line, ok)
			continue
		}
		if !ok {
			continue
		}
		if s.Name != c.name || s.Value != c.value || len(s.Labels) != len(c.labels) {
			t.Errorf("%q: got %+v", c.line, s)
		}
		for k, v := range c.labels {
			if s.Labels[k] != v {
				t.Errorf("%q: label %s = %q, want %q", c.line, k, s.Labels[k], v)
			}
		}
	}
}

const metricsBody = `# HELP govs_health_checks_total Health checks run.
# TYPE govs_health_checks_total counter
govs_health_checks_total{outcome="failure",server="10.1.0.11:8000",service="s"} 1
govs_health_checks_total{outcome="success",server="10.1.0.11:8000",service="s"} 100
govs_health_checks_total{outcome="success",server="10.1.0.11:8001",service="s"} 99
govs_health_checks_total{outcome="timeout",server="10.1.0.11:8001",service="s"} 2
govs_realserver_up{server="10.1.0.11:8000",service="s"} 1
govs_realserver_up{server="10.1.0.11:8001",service="s"} 0
govs_health_transitions_total{server="10.1.0.11:8001",service="s",to="down"} 1
govs_health_check_duration_seconds_sum{type="http"} 0.5
govs_health_check_duration_seconds_count{type="http"} 202
govs_health_check_duration_seconds_sum{type="tcp"} 9
govs_health_check_duration_seconds_bucket{le="0.001",type="http"} 100
govs_health_check_duration_seconds_bucket{le="+Inf",type="http"} 202
govs_health_check_duration_seconds_bucket{le="+Inf",type="tcp"} 9
govs_port_rx_packets_total{port="lan"} 5000
govs_port_tx_packets_total{port="lan"} 4000
govs_port_rx_packets_total{port="wan"} 7
govs_kernel_packets_total{direction="to_kernel",port="lan"} 1000
govs_kernel_packets_total{direction="from_kernel",port="lan"} 900
govs_kernel_packets_total{direction="to_kernel",port="wan"} 5
govs_kernel_drops_total{direction="to_kernel",port="lan",reason="tap_full"} 3
go_goroutines 31
`

func TestParseHealthMetrics(t *testing.T) {
	m, err := parseHealthMetrics([]byte(metricsBody), "lan")
	if err != nil {
		t.Fatal(err)
	}
	if m.Checks["success"] != 199 || m.Checks["failure"] != 1 || m.Checks["timeout"] != 2 {
		t.Errorf("checks %v", m.Checks)
	}
	if m.ToDown != 1 || m.ToUp != 0 || m.DurSum != 0.5 || m.DurCount != 202 {
		t.Errorf("down %v up-transitions %v duration %v/%v", m.ToDown, m.ToUp, m.DurSum, m.DurCount)
	}
	if m.KernelPkts["to_kernel"] != 1000 || m.KernelPkts["from_kernel"] != 900 || m.KernelDrops["to_kernel/tap_full"] != 3 {
		t.Errorf("kernel %v drops %v", m.KernelPkts, m.KernelDrops)
	}
	if m.PortRx != 5000 || m.PortTx != 4000 || len(m.Buckets) != 2 || m.Buckets[0.001] != 100 || m.Buckets[math.Inf(1)] != 202 {
		t.Errorf("port %v/%v buckets %v", m.PortRx, m.PortTx, m.Buckets)
	}
	if _, err := parseHealthMetrics([]byte("go_goroutines 3\ngovs_realserver_up{server=\"a\"} 1\n"), "lan"); err == nil {
		t.Error("metrics without health series: no error")
	}
}

// fakeSamples are n samples every period: checks at rate/s (all
// successful but fail/s), CPU ticks at the given shares of a core, and
// goroutines from level.
func fakeSamples(n int, period time.Duration, rate, fail float64, ctl, worker, server float64, level func(i int) float64) []healthSample {
	t0 := time.Unix(1e9, 0)
	var out []healthSample
	for i := range n {
		secs := float64(i) * period.Seconds()
		s := healthSample{At: t0.Add(time.Duration(i) * period), Full: i == 0 || i == n-1,
			Checks: rate * secs, Successes: (rate - fail) * secs, Goroutines: int(level(i)), Up: healthServers - i%2}
		if s.Full {
			s.Scrape = time.Second
			// the counters read during the scrape, up to a second early
			early := secs - 1
			s.M = healthMetrics{Checks: map[string]float64{"success": (rate - fail) * early, "failure": fail * early},
				KernelPkts: map[string]float64{"to_kernel": 6 * rate * early, "from_kernel": 5 * rate * early},
				DurSum:     rate * early * 0.002, DurCount: rate * early}
		}
		s.Control = cpuTicks{User: uint64(ctl * secs * clockTicks / 4), Sys: uint64(ctl * secs * clockTicks * 3 / 4)}
		s.Worker = cpuTicks{Sys: uint64(worker * secs * clockTicks)}
		s.Server = cpuTicks{User: uint64(server * secs * clockTicks)}
		s.FDs, s.Sockets, s.Threads = 20+int(level(i))%3, 4, 12
		out = append(out, s)
	}
	return out
}

func TestSpanOf(t *testing.T) {
	s := fakeSamples(13, 5*time.Second, 2000, 2, 0.5, 0.1, 0.2, func(int) float64 { return 30 })
	sp := spanOf(s)
	if sp.Secs != 60 || sp.Total != 120000 || sp.checksPerSec() != 2000 || sp.MetricsTotal != 120000 || sp.ScrapeMax != time.Second {
		t.Fatalf("span %+v", sp)
	}
	if math.Abs(sp.successShare()-0.999) > 1e-9 {
		t.Errorf("success share %v", sp.successShare())
	}
	if math.Abs(sp.ControlCores-0.5) > 1e-3 || math.Abs(sp.WorkerCores-0.1) > 1e-3 || math.Abs(sp.ServerCores-0.2) > 1e-3 {
		t.Errorf("cores %v %v %v", sp.ControlCores, sp.WorkerCores, sp.ServerCores)
	}
	if math.Abs(sp.ControlSysShare-0.75) > 1e-2 {
		t.Errorf("kernel share %v", sp.ControlSysShare)
	}
	if math.Abs(sp.coresPer1000()-0.25) > 1e-3 || math.Abs(sp.usPerCheck()-250) > 0.5 {
		t.Errorf("per 1000 %v, per check %v µs", sp.coresPer1000(), sp.usPerCheck())
	}
	if math.Abs(sp.MeanCheckMs-2) > 1e-9 || sp.perCheck("to_kernel") != 6 || sp.MinRate != 2000 || sp.MaxRate != 2000 {
		t.Errorf("mean %v ms, per check %v, rates %v–%v", sp.MeanCheckMs, sp.perCheck("to_kernel"), sp.MinRate, sp.MaxRate)
	}
}

func TestLevelGrowth(t *testing.T) {
	for _, c := range []struct {
		name  string
		level func(i int) float64
		grows bool
	}{
		{"flat", func(int) float64 { return 30 }, false},
		{"in-flight noise", func(i int) float64 { return float64(30 + i%4) }, false},
		{"leak", func(i int) float64 { return float64(30 + i) }, true},
		{"a spike at the end only", func(i int) float64 {
			if i == 12 {
				return 90
			}
			return 30
		}, false},
	} {
		l := levelOf("goroutines", fakeSamples(13, 5*time.Second, 2000, 0, 0.5, 0, 0, c.level), func(s healthSample) float64 { return float64(s.Goroutines) })
		if l.Window != 20*time.Second || l.FirstWindowN != 5 || l.LastWin != 5 {
			t.Errorf("%s: window %v, %d and %d samples", c.name, l.Window, l.FirstWindowN, l.LastWin)
		}
		if grows := l.growth() > 0; grows != c.grows {
			t.Errorf("%s: growth %v (first max %v, last median %v)", c.name, l.growth(), l.FirstWindowMax, l.LastWindowMedian)
		}
	}
	if growthWindow(10*time.Minute) != time.Minute || growthWindow(20*time.Second) != 20*time.Second/3 {
		t.Error("growthWindow")
	}
}

func TestHealthTargets(t *testing.T) {
	good := &healthResult{Secs: 60, Period: 5 * time.Second,
		Samples: fakeSamples(13, 5*time.Second, 2000, 0, 0.4, 0.1, 0.1, func(i int) float64 { return float64(30 + i%2) })}
	for _, tg := range healthTargets(good) {
		if !tg.Known || !tg.met() {
			t.Errorf("good run: %s", tg.line())
		}
	}
	bad := &healthResult{Secs: 60, Period: 5 * time.Second,
		Samples: fakeSamples(13, 5*time.Second, 1500, 15, 0.99, 0.1, 0.1, func(i int) float64 { return float64(30 + 3*i) })}
	missed := map[string]bool{}
	for _, tg := range healthTargets(bad) {
		if !tg.met() {
			missed[tg.Name] = true
		}
	}
	for _, name := range []string{"health-checks-per-sec", "health-check-success", "health-control-cpu-cores", "health-goroutines-growth"} {
		if !missed[name] {
			t.Errorf("bad run: %s met", name)
		}
	}
	if missed["health-fds-growth"] && missed["health-sockets-growth"] {
		t.Error("bad run: flat sockets reported as growing")
	}
	for _, tg := range healthTargets(nil) {
		if tg.Known {
			t.Errorf("no run: %s known", tg.Name)
		}
	}
}

func TestHealthReport(t *testing.T) {
	r := &healthResult{Secs: 60, Period: 5 * time.Second, AllUpAfter: 2500 * time.Millisecond, UpAtEnd: 1999,
		DownErrors: map[string]int{"connect: connection refused": 1}, HasServed: true, Served: 130000, ChecksAtEnd: 129000,
		Samples: fakeSamples(13, 5*time.Second, 2000, 1, 0.4, 0.1, 0.1, func(int) float64 { return 30 }),
		Profile: &pprofResult{Top: "Showing nodes accounting for 1s\n      flat  flat%"}}
	var b strings.Builder
	writeHealth(&b, r)
	out := b.String()
	for _, want := range []string{
		"## Health checks: 2000 real servers every second",
		"idle_backoff: true",
		"| **checks/s** (between samples); checks run (by /metrics) | **2000** (2000–2000); 120000 (120000) |",
		"| **govsd control plane CPU** (share of one core) | **0.400** |",
		"| … per 1000 checks/s; per check; in the kernel (stime) | 0.200 of a core; 200 µs; 75 % |",
		"connect: connection refused 1",
		"TARGET name=health-checks-per-sec measured=2000 goal=>=1960 met=true",
		"TARGET name=health-control-cpu-cores measured=0.4 goal=<=0.95 met=true",
		"RESULT case=health servers=2000 interval=1s secs=60 checks_per_sec=2000.0",
		"goroutines_first=30 goroutines_last=30 goroutines_max=30",
		"server_answered=130000",
		"min_up=1999",
		"Showing nodes accounting for 1s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	var empty strings.Builder
	writeHealth(&empty, nil)
	if empty.Len() != 0 {
		t.Errorf("no run wrote %q", empty.String())
	}
}

func TestHealthServerHelpers(t *testing.T) {
	if lo, hi, err := parsePortRange("8000-8249"); err != nil || lo != 8000 || hi != 8249 {
		t.Errorf("range: %d %d %v", lo, hi, err)
	}
	if lo, hi, err := parsePortRange("80"); err != nil || lo != 80 || hi != 80 {
		t.Errorf("one port: %d %d %v", lo, hi, err)
	}
	for _, bad := range []string{"", "9-8", "0-3", "1-70000", "a-b"} {
		if _, _, err := parsePortRange(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	log := healthServerReady + ": 250 ports\n" + healthServerTotals + " served=12345 bad=2\n"
	if s, b, ok := parseHealthServerTotals(log); !ok || s != 12345 || b != 2 {
		t.Errorf("totals %d %d %v", s, b, ok)
	}
	if _, _, ok := parseHealthServerTotals("killed\n"); ok {
		t.Error("totals found in a log without them")
	}
}

func TestHealthServerAnswers(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var st healthServerStats
	done := make(chan struct{})
	go func() { acceptLoop(ln, &st); close(done) }()
	defer func() { ln.Close(); <-done }()

	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	// the header in two writes: the server reads until its end
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	time.Sleep(10 * time.Millisecond)
	io.WriteString(c, "Connection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	c.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("answer %d %q", resp.StatusCode, body)
	}

	c2, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c2, "GET / HTT")
	c2.Close() // before the end of the header
	deadline := time.Now().Add(5 * time.Second)
	for (st.served.Load() != 1 || st.bad.Load() != 1) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st.served.Load() != 1 || st.bad.Load() != 1 {
		t.Errorf("served %d bad %d, want 1 and 1", st.served.Load(), st.bad.Load())
	}
}

func TestBucketQuantile(t *testing.T) {
	before := map[float64]float64{0.001: 10, 0.002: 10, 0.004: 10, math.Inf(1): 10}
	after := map[float64]float64{0.001: 60, 0.002: 100, 0.004: 108, math.Inf(1): 110}
	// 100 observations: 50 <= 1 ms, 90 <= 2 ms, 98 <= 4 ms, 2 beyond
	for _, c := range []struct{ q, want float64 }{{0.5, 0.001}, {0.9, 0.002}, {0.98, 0.004}, {0.99, math.Inf(1)}} {
		if got := bucketQuantile(before, after, c.q); got != c.want {
			t.Errorf("q %v = %v, want %v", c.q, got, c.want)
		}
	}
	if got := bucketQuantile(after, after, 0.5); !math.IsNaN(got) {
		t.Errorf("no observations: %v", got)
	}
	if got := bucketQuantile(nil, nil, 0.5); !math.IsNaN(got) {
		t.Errorf("no buckets: %v", got)
	}
}

func TestParseProcStat(t *testing.T) {
	in := "cpu  757853 0 235511 1176891 3028 0 9294 12832 0 0\n" +
		"cpu0 300 10 100 500 20 5 15 50 0 0\n" +
		"cpu1 1 2 3 4 5 6 7 8 0 0\nintr 1 2 3\n"
	m, err := parseProcStat([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || m[0] != (cpuTimes{Busy: 430, SoftIRQ: 15, Steal: 50, Total: 1000}) || m[1].Busy != 19 || m[1].Total != 36 {
		t.Errorf("got %+v", m)
	}
	sh := cpuSharesOf(map[int]cpuTimes{0: {Total: 1000}}, map[int]cpuTimes{0: {Busy: 500, SoftIRQ: 100, Steal: 10, Total: 2000}, 1: {Total: 5}})
	if len(sh) != 1 || sh[0] != (cpuShares{Busy: 0.5, SoftIRQ: 0.1, Steal: 0.01}) {
		t.Errorf("shares %+v", sh)
	}
	if _, err := parseProcStat([]byte("cpu 1 2 3 4 5 6 7 8\n")); err == nil {
		t.Error("no per-CPU line: no error")
	}
	if _, err := readProcStat(); err != nil {
		t.Errorf("this machine's /proc/stat: %v", err)
	}
}

func TestParseGoroutineTotal(t *testing.T) {
	if n, err := parseGoroutineTotal([]byte("goroutine profile: total 384\n221 @ 0x49156e\n")); err != nil || n != 384 {
		t.Errorf("got %d, %v", n, err)
	}
	for _, bad := range []string{"", "goroutine profile: total x\n", "heap profile: 1\n"} {
		if _, err := parseGoroutineTotal([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestHealthSpanEndsOnFullSample(t *testing.T) {
	s := fakeSamples(13, 5*time.Second, 2000, 0, 0.5, 0, 0, func(int) float64 { return 30 })
	cut := &healthResult{Samples: s[:12]} // the last full sample (i=12) missing
	if _, ok := cut.span(); ok {
		t.Error("a run without a full sample after the first has a span")
	}
	s[6].Full, s[6].M = true, s[12].M // pretend a full sample in the middle, with the end's counters
	cut = &healthResult{Samples: s[:9]}
	sp, ok := cut.span()
	if !ok || sp.Secs != 30 {
		t.Errorf("span %v %v s, want the 30 s up to the full sample", ok, sp.Secs)
	}
	if _, ok := (&healthResult{}).span(); ok {
		t.Error("no samples: a span")
	}
}
