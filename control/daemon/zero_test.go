package daemon

import (
	"errors"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// listed is web (tcp 10.0.0.100:80) with one server; the server carries
// a tenth of the service's traffic.
func listed(conns, pkts uint64) []admin.Service {
	c := admin.Counters{Conns: conns, InPkts: pkts, OutPkts: pkts / 2, InBytes: pkts * 100, OutBytes: pkts * 1000}
	rc := admin.Counters{Conns: conns / 10, InPkts: pkts / 10, OutPkts: pkts / 20, InBytes: pkts * 10, OutBytes: pkts * 100}
	return []admin.Service{
		{VIP: "10.0.0.100", Protocol: "tcp", Port: 80, Stats: c, RealServers: []admin.RealServer{{Address: "10.1.0.11", Port: 8080, Stats: rc}}},
		{VIP: "10.0.0.100", Protocol: "udp", Port: 53, Stats: c},
	}
}

func TestCounterBaseline(t *testing.T) {
	var b counterBaseline
	b.set(listed(100, 1000), "")
	got := listed(150, 1200)
	b.subtract(got)
	if want := (admin.Counters{Conns: 50, InPkts: 200, OutPkts: 100, InBytes: 20000, OutBytes: 200000}); got[0].Stats != want {
		t.Errorf("service since zero: %+v, want %+v", got[0].Stats, want)
	}
	if c := got[0].RealServers[0].Stats; c.Conns != 5 || c.InPkts != 20 {
		t.Errorf("server since zero: %+v, want 5 conns, 20 packets", c)
	}
	// A counter below its baseline was reset by the dataplane: shown as is.
	got = listed(30, 40)
	b.subtract(got)
	if got[0].Stats.Conns != 30 {
		t.Errorf("after a reset: %d conns, want 30", got[0].Stats.Conns)
	}
	// Zeroing one service leaves the other's baseline alone.
	var one counterBaseline
	one.set(listed(100, 1000), "udp/10.0.0.100:53")
	got = listed(100, 1000)
	one.subtract(got)
	if got[0].Stats.Conns != 100 || got[1].Stats.Conns != 0 {
		t.Errorf("zero of udp only: tcp %d, udp %d conns; want 100, 0", got[0].Stats.Conns, got[1].Stats.Conns)
	}
}

// The estimator moves a quarter of the way to each 2 s sample's rate.
func TestRateEstimator(t *testing.T) {
	var e rateEstimator
	t0 := time.Unix(1000, 0)
	e.sample(listed(0, 0), t0)
	wantCPS := []uint64{25, 44, 58, 68, 76}
	for i, want := range wantCPS {
		e.sample(listed(uint64(i+1)*200, uint64(i+1)*2000), t0.Add(time.Duration(i+1)*rateInterval))
		got := listed(0, 0)
		e.attach(got)
		if r := got[0].Rate; r == nil || r.CPS != want {
			t.Fatalf("sample %d: service rate %+v, want cps %d", i+1, r, want)
		}
	}
	got := listed(0, 0)
	e.attach(got)
	// 1000 in-packets/s steady: after five samples 1000*(1-(3/4)^5) = 763.
	if r := got[0].Rate; r.InPPS != 763 || r.OutPPS != 381 || r.InBPS != 76270 {
		t.Errorf("service rates %+v, want in_pps 763, out_pps 381, in_bps 76270", r)
	}
	if r := got[0].RealServers[0].Rate; r == nil || r.CPS != 8 {
		t.Errorf("server rates %+v, want cps 8", r)
	}
	// A service that is gone is forgotten; one made anew restarts at 0.
	e.sample(listed(5, 5)[1:], t0.Add(20*time.Second))
	got = listed(0, 0)
	e.attach(got)
	if got[0].Rate != nil || got[1].Rate == nil || got[1].Rate.CPS != 0 {
		t.Errorf("after tcp left and udp went back: %+v, %+v", got[0].Rate, got[1].Rate)
	}
}

func TestZeroUnknownService(t *testing.T) {
	d, _, _ := overrideDaemon(t)
	var nf *admin.NotFoundError
	if err := d.Zero("mail"); !errors.As(err, &nf) {
		t.Errorf("Zero(mail) = %v, want a NotFoundError", err)
	}
	if err := d.Zero("web"); err != nil {
		t.Errorf("Zero(web) = %v", err)
	}
	if err := d.Zero(""); err != nil {
		t.Errorf("Zero() = %v", err)
	}
}
