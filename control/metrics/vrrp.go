package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/govs-project/govs/control/admin"
)

// vrrpStates are the values of govs_vrrp_state's state label.
var vrrpStates = []string{"INIT", "BACKUP", "MASTER", "FAULT"}

// vrrpDescs are the VRRP instances' series; a source without VRRP
// (admin.VRRPSource) has none.
type vrrpDescs struct {
	state, prio, effective, tracked, transitions, sent, received, rejected *prometheus.Desc
}

func newVRRPDescs() vrrpDescs {
	return vrrpDescs{
		state:       desc("vrrp_state", "1 for the VRRP instance's current state (INIT, BACKUP, MASTER, FAULT), 0 for the others.", "instance", "state"),
		prio:        desc("vrrp_priority", "The VRRP instance's configured priority.", "instance"),
		effective:   desc("vrrp_effective_priority", "The VRRP instance's priority after tracking weights: the one it advertises.", "instance"),
		tracked:     desc("vrrp_tracked_up", "1 while an object the VRRP instance tracks (port:NAME, script:NAME, dataplane) is up.", "instance", "object"),
		transitions: desc("vrrp_transitions_total", "State changes of the VRRP instance.", "instance"),
		sent:        desc("vrrp_adverts_sent_total", "Adverts the VRRP instance sent.", "instance"),
		received:    desc("vrrp_adverts_received_total", "Valid adverts for the instance's VRID received from another router.", "instance"),
		rejected:    desc("vrrp_adverts_rejected_total", "Adverts dropped, by reason (as keepalived drops them).", "instance", "reason"),
	}
}

func (v vrrpDescs) all() []*prometheus.Desc {
	return []*prometheus.Desc{v.state, v.prio, v.effective, v.tracked, v.transitions, v.sent, v.received, v.rejected}
}

func (v vrrpDescs) collect(ch chan<- prometheus.Metric, src Source) {
	vs, ok := src.(admin.VRRPSource)
	if !ok {
		return
	}
	for _, in := range vs.VRRP() {
		for _, s := range vrrpStates {
			gauge(ch, v.state, boolValue(in.State == s), in.Name, s)
		}
		gauge(ch, v.prio, float64(in.ConfiguredPriority), in.Name)
		gauge(ch, v.effective, float64(in.Priority), in.Name)
		for _, t := range in.Tracking {
			gauge(ch, v.tracked, boolValue(t.Up), in.Name, t.Object)
		}
		counter(ch, v.transitions, in.Transitions, in.Name)
		counter(ch, v.sent, in.AdvertsSent, in.Name)
		counter(ch, v.received, in.AdvertsReceived, in.Name)
		for reason, n := range in.Rejected {
			counter(ch, v.rejected, n, in.Name, reason)
		}
	}
}
