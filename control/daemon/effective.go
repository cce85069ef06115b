package daemon

import (
	"net/netip"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/control/health"
	"github.com/govs-project/govs/dataplane"
)

// serverKey names one real server of one service across the health
// manager, the configuration and the dataplane.
type serverKey struct {
	service string
	addr    netip.Addr
	port    uint16
}

// healthView is the health manager's verdicts, as effectiveSpec reads them,
// and the operator's runtime overrides (override.go).
type healthView struct {
	servers   map[serverKey]health.ServerStatus
	quorum    map[string]health.ServiceStatus
	overrides map[serverKey]serverOverride
}

func viewOf(h healthChecker) healthView {
	v := healthView{servers: map[serverKey]health.ServerStatus{}, quorum: map[string]health.ServiceStatus{}}
	if h == nil {
		return v
	}
	for _, s := range h.Servers() {
		v.servers[serverKey{s.Service, s.Addr, s.Port}] = s
	}
	for _, s := range h.Services() {
		v.quorum[s.Key] = s
	}
	return v
}

// serverState is what the dataplane should do with one configured server.
type serverState struct {
	up     bool
	weight uint32
}

// state of rs in sv: a server without a check is always up; one the
// manager does not know yet (before its first Apply) starts up, or down
// with alpha, as the manager will start it.
func (v healthView) state(key string, sv config.Service, rs config.RealServer) serverState {
	if rs.Check == nil {
		return serverState{up: true, weight: rs.Weight}
	}
	st, known := v.servers[serverKey{key, rs.Address, rs.Port}]
	if !known {
		return serverState{up: !sv.Alpha, weight: rs.Weight}
	}
	w := rs.Weight
	if st.DynamicWeight >= 0 {
		w = uint32(st.DynamicWeight)
	}
	return serverState{up: st.Up, weight: w}
}

// quorumLost reports whether the manager says the service lost its quorum.
func (v healthView) quorumLost(key string) bool {
	q, known := v.quorum[key]
	return known && !q.QuorumUp
}

// effectiveSpec is the configuration as the health checks leave it, as
// keepalived edits IPVS: a server that failed is removed (its connections
// stay, their packets are dropped until they expire, as IPVS's
// expire_nodest_conn=0) or, with inhibit_on_failure, kept at weight 0 so
// its connections go on; while a service's quorum is lost its sorry server,
// if it has one, serves alone. The operator's overrides then apply to the
// servers the checks leave up (serverOverride.weightFor).
func effectiveSpec(c *config.Config, v healthView) *dataplane.Spec {
	s := spec(c)
	for i, sv := range c.Services {
		key := serviceKey(sv)
		if sv.SorryServer != nil && v.quorumLost(key) {
			s.Services[i].Dests = []dataplane.DestSpec{destSpec(*sv.SorryServer)}
			continue
		}
		dests := s.Services[i].Dests[:0]
		for _, rs := range sv.RealServers {
			st := v.state(key, sv, rs)
			d := destSpec(rs)
			switch {
			case st.up:
				d.Weight = v.overrides[serverKey{key, rs.Address, rs.Port}].weightFor(st.weight)
			case inhibited(sv, rs):
				d.Weight = 0
			default:
				continue
			}
			dests = append(dests, d)
		}
		s.Services[i].Dests = dests
	}
	return s
}

func destSpec(rs config.RealServer) dataplane.DestSpec {
	return dataplane.DestSpec{Addr: rs.Address, Port: rs.Port, Weight: rs.Weight, Method: rs.Method,
		UpperThreshold: rs.UpperThreshold, LowerThreshold: rs.LowerThreshold}
}

// inhibited reports whether a failed rs stays at weight 0 instead of being
// removed (the loader resolved the server's own value over the service's).
func inhibited(_ config.Service, rs config.RealServer) bool { return rs.InhibitOnFailure }
