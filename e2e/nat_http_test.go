package e2e

import (
	"math"
	"testing"
	"time"
)

// TestNATHTTPWeightedShares: 1000 new connections to the wrr service with
// weights 1:2:3 are all answered, in shares within 10 % of 1/6, 2/6, 3/6.
func TestNATHTTPWeightedShares(t *testing.T) {
	env := natLab(t)
	const n = 1000
	start := time.Now()
	res := getMany(env.lab.Client, "http://"+vip+":80/", n, 4, 90*time.Second)
	t.Logf("%d GETs in %v: %v", n, time.Since(start).Round(time.Millisecond), res.perServer)
	if len(res.errs) > 0 {
		t.Fatalf("%d of %d requests failed:%s", len(res.errs), n, res.firstErrors())
	}
	want := map[string]float64{"rs1": 1.0 / 6, "rs2": 2.0 / 6, "rs3": 3.0 / 6}
	for ident, share := range want {
		got := float64(res.perServer[ident]) / n
		if math.Abs(got-share) > 0.10*share {
			t.Errorf("%s answered %.3f of requests, want %.3f ±10%%", ident, got, share)
		}
	}
	for ident := range res.perServer {
		if _, ok := want[ident]; !ok {
			t.Errorf("unexpected answer %q", ident)
		}
	}
}
