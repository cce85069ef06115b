package daemon

import "github.com/govs-project/govs/control/health"

// overrideCounter is the health manager's side of the overrides: the
// quorum counts a server in maintenance or drained as the dataplane gets
// it, at weight 0, and an operator's weight in place of the configured
// one. Optional, so a fake health checker need not implement it.
type overrideCounter interface {
	SetOverrides([]health.WeightOverride)
}

// quorumOverrides is set as the quorum counts it: the weight each
// overridden server gets while its checks leave it up (weightFor).
func quorumOverrides(set map[serverKey]serverOverride) []health.WeightOverride {
	out := make([]health.WeightOverride, 0, len(set))
	for k, o := range set {
		if o.empty() {
			continue // nothing overridden: configured or dynamic weight
		}
		out = append(out, health.WeightOverride{Service: k.service, Addr: k.addr, Port: k.port, Weight: o.weightFor(0)})
	}
	return out
}

// pushOverrides gives the health manager the current overrides, before
// the snapshot that carries them is composed: a maintenance that loses
// the quorum then brings in the sorry server in that same snapshot, and
// fires quorum_down (event and notify command) as a failed check would.
func (d *Daemon) pushOverrides() {
	if c, ok := d.health.(overrideCounter); ok {
		c.SetOverrides(quorumOverrides(d.overrides.snapshot()))
	}
}
