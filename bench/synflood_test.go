package main

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/internal/netlab"
)

func TestFloodConfParses(t *testing.T) {
	c := floodConf{Prefix: "gb7", Socket: "/tmp/gb/s.sock", Wan: "gv1234w", Lan: "gv1234l", Table: floodTable}
	cfg, err := config.Parse([]byte(c.yaml()))
	if err != nil {
		t.Fatalf("%v\n%s", err, c.yaml())
	}
	if d := cfg.Dataplane; d.ConnTableSize != floodTable || d.IdleBackoff || d.Mbufs != floodMbufs {
		t.Errorf("dataplane %+v", d)
	}
	if len(cfg.EAL.Workers()) != 1 || cfg.EAL.MemoryMB != c.memoryMB() {
		t.Errorf("eal %+v (workers %v)", cfg.EAL, cfg.EAL.Workers())
	}
	if len(cfg.Ports) != 2 || cfg.Ports[0].Name != "wan" || cfg.Ports[0].Gateway != gatewayIP ||
		len(cfg.Ports[0].StaticNeighbors) != 1 || cfg.Ports[1].Device != "net_tap1,iface=gv1234l" {
		t.Fatalf("ports %+v", cfg.Ports)
	}
	if len(cfg.Services) != 2 || len(cfg.Services[0].RealServers) != len(floodServers) || cfg.Services[1].Port != floodEchoPort {
		t.Errorf("services %+v", cfg.Services)
	}
	// the defence under test: govsd's defaults
	if s := cfg.Security; s.FloodThreshold != 75 || s.FloodSynRecv != 3*time.Second || s.RPFilter != config.RPStrict {
		t.Errorf("security %+v", s)
	}
	var r floodRun
	if err := r.readConfig(c); err != nil || r.FloodPct != 75 || r.SynRecv != 60*time.Second {
		t.Errorf("readConfig: %v %+v", err, r)
	}
}

func TestFloodPlans(t *testing.T) {
	ps := floodPlans(false)
	if len(ps) != 2 || ps[0].Name != runDefence || ps[0].Rate != 40960 || ps[0].Table != 4096 || ps[0].BaselineSecs == 0 {
		t.Fatalf("plans %+v", ps)
	}
	ctl := ps[1]
	if ctl.Name != runControl || ctl.BaselineSecs != 0 || ctl.Table%1024 != 0 ||
		float64(ctl.Rate*ctl.FloodSecs) > controlFill*float64(ctl.Table) {
		t.Errorf("control %+v: must hold the whole flood under %.0f %%", ctl, 100*controlFill)
	}
	if q := floodPlans(true); len(q) != 1 || q[0].Name != runDefence {
		t.Errorf("quick plans %+v", q)
	}
}

func TestSYNFramesValid(t *testing.T) {
	s := &floodSender{fd: -1}
	s.tmpl = tcpFrame{srcMAC: gatewayMAC, dstMAC: [6]byte{2, 1, 2, 3, 4, 5}, dst: u32(vipIP), dstPort: vipPort, flags: tcpSYN}
	s.rng = newTestRand()
	s.fill(floodBatch)
	seen := map[string]bool{}
	for i := range floodBatch {
		b := s.frames[i][:]
		f, ok := netlab.ParseFrame(b)
		if !ok || f.TCPFlags != "S" || f.Dst != vipIP || f.DstPort != vipPort || f.SrcPort < 1024 {
			t.Fatalf("frame %d: %v (ok %v)", i, f, ok)
		}
		if src := u32(f.Src); src <= spoofBase || src >= spoofBase+spoofSpan-1 {
			t.Errorf("frame %d: source %v outside 172.16.0.0/12", i, f.Src)
		}
		if fold(sum16(b[ethLen:ethLen+ipLen], 0)) != 0xffff {
			t.Errorf("frame %d: bad IPv4 checksum", i)
		}
		ps := sum16(b[ethLen+12:ethLen+20], 0) + 6 + uint32(frameLen-ethLen-ipLen)
		if fold(sum16(b[ethLen+ipLen:], ps)) != 0xffff {
			t.Errorf("frame %d: bad TCP checksum", i)
		}
		seen[f.Src.String()+f.String()] = true
	}
	if len(seen) < floodBatch-1 {
		t.Errorf("%d distinct frames of %d", len(seen), floodBatch)
	}
}

func TestPacer(t *testing.T) {
	p := pacer{rate: 40960, maxLag: 50 * time.Millisecond}
	if due, missed := p.due(10 * time.Millisecond); due != 409 || missed != 0 {
		t.Errorf("10 ms: due %d missed %d", due, missed)
	}
	p.done += 409
	if due, _ := p.due(10 * time.Millisecond); due != 0 {
		t.Errorf("nothing more is due at the same time: %d", due)
	}
	// 1 s behind: 50 ms of frames go, the rest is given up
	due, missed := p.due(time.Second + 10*time.Millisecond)
	if due != 2048 || uint64(due)+missed+409 != 41369 {
		t.Errorf("behind: due %d missed %d", due, missed)
	}
}

func TestParseLcoreStats(t *testing.T) {
	body := `{"lcores":[{"lcore":1,"rx_packets":900,"conns":4096,"conns_created":800,"evicted":700,"flood_active":true,
		"max_poll_gap_us":120,"drops":{"conn_table_full":3,"not_local":10}}],"drops":{}}`
	var s directorSample
	if err := parseLcoreStats([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	if s.Rx != 900 || s.Conns != 4096 || s.Created != 800 || !s.HasEvicted || s.Evicted != 700 ||
		!s.FloodActive || !s.HasFloodActive || s.MaxPollGapUs != 120 || s.Drops["conn_table_full"] != 3 {
		t.Errorf("%+v", s)
	}
	// an older govsd: no evicted, no flood_active
	var old directorSample
	if err := parseLcoreStats([]byte(`{"lcores":[{"rx_packets":1,"conns":2,"conns_created":3,"drops":{}}]}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.HasEvicted || old.HasFloodActive || old.Created != 3 {
		t.Errorf("%+v", old)
	}
	for _, bad := range []string{`{"lcores":[]}`, `{"lcores":[{"conns":1,"conns_created":1}]}`, `{`} {
		if err := parseLcoreStats([]byte(bad), &directorSample{}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestDeltaOf(t *testing.T) {
	t0 := time.Unix(100, 0)
	a := directorSample{At: t0, Rx: 10, Created: 5, Evicted: 1, HasEvicted: true, WanRx: 4, Drops: map[string]uint64{"conn_table_full": 2}}
	b := directorSample{At: t0.Add(2 * time.Second), Rx: 110, Created: 45, Evicted: 31, HasEvicted: true, WanRx: 84,
		Drops: map[string]uint64{"conn_table_full": 7, "not_local": 3}}
	d := deltaOf(a, b)
	if d.Secs != 2 || d.Rx != 100 || d.Created != 40 || d.Evicted != 30 || d.TableFull != 5 || d.Drops["not_local"] != 3 || d.perSec(d.WanRx) != 40 {
		t.Errorf("%+v", d)
	}
	b.HasEvicted = false
	if d := deltaOf(a, b); d.HasEvicted || d.Evicted != 0 {
		t.Errorf("evicted without the counter: %+v", d)
	}
	if got := slowestWanRx([]directorSample{a, b, {At: t0.Add(3 * time.Second), WanRx: 94}}); got != 10 {
		t.Errorf("slowest %v, want 10", got)
	}
	if got := slowestWanRx([]directorSample{a}); !math.IsNaN(got) {
		t.Errorf("slowest of one sample %v", got)
	}
}

func TestParseLinkStats(t *testing.T) {
	js := `[{"ifindex":94,"ifname":"gv1234w","txqlen":1000,"stats64":{"rx":{"bytes":1,"packets":1,"errors":0,"dropped":0},"tx":{"bytes":9,"packets":9,"errors":0,"dropped":1234,"carrier_errors":0}}}]`
	s, err := parseLinkStats([]byte(js))
	if err != nil || s.TxDropped != 1234 || s.TxQueueLen != 1000 {
		t.Errorf("%+v %v", s, err)
	}
	if _, err := parseLinkStats([]byte(`[]`)); err == nil {
		t.Error("no link: no error")
	}
}

func TestLegitSummary(t *testing.T) {
	as := []attempt{{Connect: 3 * time.Millisecond, Outcome: outcomeOK}, {Connect: time.Millisecond, Outcome: outcomeOK},
		{Outcome: outcomeConnectTimeout}, {Outcome: outcomeConnectTimeout}, {Outcome: outcomeRequestError}}
	p := summarise(as)
	if p.Tried != 5 || p.OK != 2 || p.ConnectP50 != 3*time.Millisecond || p.ConnectMax != 3*time.Millisecond {
		t.Errorf("%+v", p)
	}
	if got := p.failureText(); got != "connect_timeout 2, request_error 1" {
		t.Errorf("failures %q", got)
	}
	if !httpOK("HTTP/1.0 200 OK\r\n") || httpOK("HTTP/1.1 503 Service Unavailable\r\n") || httpOK("") {
		t.Error("httpOK")
	}
	t0 := time.Unix(0, 0)
	ok, failed := probesIn([]probe{{t0, true}, {t0.Add(time.Second), false}, {t0.Add(2 * time.Second), true}, {t0.Add(5 * time.Second), false}},
		t0.Add(time.Second), t0.Add(3*time.Second))
	if ok != 1 || failed != 1 {
		t.Errorf("probes in window: %d ok %d failed", ok, failed)
	}
}

// sampleFloodResult is a defence run that met the goals and a control run.
func sampleFloodResult() *synfloodResult {
	def := floodRun{Plan: floodPlans(false)[0], Attempt: 1, FloodPct: 75, FloodSynRecv: 3 * time.Second, SynRecv: time.Minute,
		Baseline: &legitPhase{Tried: 100, OK: 100, Outcomes: map[string]int{}},
		Flood:    legitPhase{Tried: 360, OK: 357, Outcomes: map[string]int{outcomeConnectTimeout: 3}, ConnectP50: 500 * time.Microsecond, ConnectMax: 300 * time.Millisecond},
		Send:     sendStats{Wanted: 819200, Sent: 819000, Missed: 200, Secs: 20},
		Dir: directorDelta{Secs: 20, Rx: 1640000, Created: 819000, Evicted: 815000, HasEvicted: true, WanRx: 820000,
			Drops: map[string]uint64{"not_local": 50000}},
		MaxConns: 4096, Active: 40, Samples: 40, HasActive: true, SlowestWanRx: 40100, MaxPollGapUs: 900,
		EstOK: 320, EstKept: 16, EstOpen: 16, TapQueue: [2]int{1000, floodTapQueue}}
	ctl := def
	ctl.Plan, ctl.Baseline = floodPlans(false)[1], nil
	ctl.Dir = directorDelta{Secs: 10, Created: 409600, WanRx: 410000, Drops: map[string]uint64{}}
	return &synfloodResult{Runs: []floodRun{def, ctl}}
}

func TestSynfloodTargetsAndInfo(t *testing.T) {
	res := sampleFloodResult()
	var lines []string
	for _, tg := range synfloodTargets(res) {
		lines = append(lines, tg.line())
	}
	want := []string{
		"TARGET name=synflood-legit-success measured=0.992 goal=>=0.95 met=true",
		"TARGET name=synflood-established-kept measured=1 goal=>=1 met=true",
		"TARGET name=synflood-flood-rate measured=10.01 goal=>=10 met=true",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	info := synfloodInfo(res)
	if len(info) != 2 || !strings.HasPrefix(info[0], "INFO synflood run=defence attempt=1 table=4096 flood_secs=20.0 flood_goal_pps=40960 flood_sent_pps=40950 flood_rx_pps=41000 rx_per_table=10.01 legit_baseline_ok=100 legit_baseline_tried=100 legit_flood_ok=357 legit_flood_tried=360 legit_flood_share=0.992 conns_created=819000 evicted=815000 conn_table_full=0") ||
		strings.Contains(info[1], "legit_baseline") || !strings.Contains(info[1], "evicted=none") {
		t.Errorf("INFO lines:\n%s", strings.Join(info, "\n"))
	}
	// nothing measured: the targets are there, not met
	for _, tg := range synfloodTargets(&synfloodResult{}) {
		if tg.Known || tg.met() {
			t.Errorf("%s known without a run", tg.Name)
		}
	}
}

func TestSynfloodRetryAndReport(t *testing.T) {
	res := sampleFloodResult()
	short := res.Runs[0]
	short.Dir.WanRx = 700000 // 35000/s: a stalled director
	if short.floodReached() || !res.Runs[0].floodReached() {
		t.Fatal("floodReached")
	}
	// a retried defence run: the targets are the last attempt's
	second := res.Runs[0]
	second.Attempt = 2
	second.Flood.OK = 300
	res.Runs = []floodRun{short, second, res.Runs[1]}
	if tg := synfloodTargets(res)[0]; tg.Measured != round3(300.0/360) {
		t.Errorf("target of the last attempt: %v", tg.Measured)
	}
	var b strings.Builder
	writeSynflood(&b, res)
	out := b.String()
	for _, want := range []string{
		"## New connections under a SYN flood",
		"| | defence run, table 4096 | defence run, table 4096, attempt 2 | control run, table 585728 |",
		"| **legitimate new connections, during the flood** | **357/360 (99.2 %)** | **300/360 (83.3 %)** |",
		"| dropped: other reasons | not_local 50000 | not_local 50000 | none |",
		"| full tap queues: frames of the flood / of the client's connections / of the servers (LAN) | 0 / 0 / 0 |",
		"TARGET name=synflood-legit-success measured=0.833 goal=>=0.95 met=false",
		"are set to 4096",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	var none strings.Builder
	writeSynflood(&none, nil)
	if none.Len() != 0 {
		t.Error("a section without the case")
	}
}

func newTestRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }
