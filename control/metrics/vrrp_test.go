package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/govs-project/govs/control/admin"
)

type vrrpSource struct {
	scaleSource
	ins []admin.VRRPInstance
}

func (v vrrpSource) VRRP() []admin.VRRPInstance { return v.ins }

// vrrpSeries gathers src and returns the govs_vrrp_* values by name and
// label values.
func vrrpSeries(t *testing.T, src Source) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := Register(reg, src); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "," + l.GetValue()
			}
			switch {
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

func TestVRRPSeries(t *testing.T) {
	src := vrrpSource{ins: []admin.VRRPInstance{{Name: "VI_1", State: "MASTER", Priority: 130, ConfiguredPriority: 150, Transitions: 2, AdvertsSent: 9,
		AdvertsReceived: 3, Rejected: map[string]uint64{"ttl": 4},
		Tracking: []admin.VRRPTracked{{Object: "port:lan", Up: true}, {Object: "script:chk", Weight: -20}}}}}
	got := vrrpSeries(t, src)
	for key, want := range map[string]float64{
		"govs_vrrp_state,VI_1,MASTER": 1, "govs_vrrp_state,VI_1,BACKUP": 0, "govs_vrrp_state,VI_1,FAULT": 0,
		"govs_vrrp_priority,VI_1": 150, "govs_vrrp_effective_priority,VI_1": 130,
		"govs_vrrp_tracked_up,VI_1,port:lan": 1, "govs_vrrp_tracked_up,VI_1,script:chk": 0,
		"govs_vrrp_transitions_total,VI_1": 2, "govs_vrrp_adverts_sent_total,VI_1": 9,
		"govs_vrrp_adverts_received_total,VI_1": 3, "govs_vrrp_adverts_rejected_total,VI_1,ttl": 4,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
		}
	}
	for key := range vrrpSeries(t, scaleSource{}) {
		if len(key) > 9 && key[:9] == "govs_vrrp" {
			t.Errorf("a source without VRRP exports %s", key)
		}
	}
}
