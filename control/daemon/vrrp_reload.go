package daemon

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"

	"github.com/govs-project/govs/control/config"
)

// vrrpPlan is what a reload does to the running instances.
type vrrpPlan struct {
	remove      []*runningInstance    // stopped gracefully (priority 0)
	add         []config.VRRPInstance // started
	reconfigure []config.VRRPInstance // same instance, new settings
	oldGroups   []string              // dropped; start makes the new ones
}

// plan compares the running instances with next's. Same name, VRID and
// port is the same instance, reconfigured in place; a changed VRID or port
// is another virtual router: removed and added. A sync group ties its
// members for life (vrrp.NewSyncGroup), so every member of a group that
// changes (members or notify commands), appears, goes, or loses or gains
// a restarted member is restarted with it: old and new groups are remade
// whole.
func (r *vrrpRunner) plan(next *config.Config) vrrpPlan {
	r.mu.Lock()
	defer r.mu.Unlock()
	nextIn := map[string]config.VRRPInstance{}
	for _, in := range next.VRRP.Instances {
		nextIn[in.Name] = in
	}
	restart := map[string]bool{}
	for name, ri := range r.instances {
		in, ok := nextIn[name]
		if !ok || ri.cfg.VRID != in.VRID || ri.cfg.Port != in.Port {
			restart[name] = true
		}
	}
	for _, in := range next.VRRP.Instances {
		if r.instances[in.Name] == nil {
			restart[in.Name] = true
		}
	}
	newGroups := map[string]config.VRRPSyncGroup{}
	for _, g := range next.VRRP.SyncGroups {
		newGroups[g.Name] = g
	}
	markAll := func(members []string) {
		for _, m := range members {
			restart[m] = true
		}
	}
	var all [][]string // every group's members, old and new
	for name, rg := range r.groups {
		all = append(all, rg.cfg.Instances)
		if g, ok := newGroups[name]; !ok || !reflect.DeepEqual(g, rg.cfg) {
			markAll(rg.cfg.Instances)
		}
	}
	for _, g := range next.VRRP.SyncGroups {
		all = append(all, g.Instances)
		if rg := r.groups[g.Name]; rg == nil || !reflect.DeepEqual(g, rg.cfg) {
			markAll(g.Instances)
		}
	}
	// A restarted member drags the other members of its groups along.
	for grown := true; grown; {
		grown = false
		for _, members := range all {
			if slices.ContainsFunc(members, func(m string) bool { return restart[m] }) &&
				slices.ContainsFunc(members, func(m string) bool { return !restart[m] }) {
				markAll(members)
				grown = true
			}
		}
	}

	var p vrrpPlan
	for name, rg := range r.groups {
		if g, ok := newGroups[name]; !ok || !reflect.DeepEqual(g, rg.cfg) || slices.ContainsFunc(rg.cfg.Instances, func(m string) bool { return restart[m] }) {
			p.oldGroups = append(p.oldGroups, name)
		}
	}
	for name, ri := range r.instances {
		if restart[name] {
			p.remove = append(p.remove, ri)
		}
	}
	for _, in := range next.VRRP.Instances {
		ri := r.instances[in.Name]
		switch {
		case restart[in.Name]:
			p.add = append(p.add, in)
		case !reflect.DeepEqual(ri.cfg, in):
			p.reconfigure = append(p.reconfigure, in)
		}
	}
	return p
}

// reload brings the instances to next's configuration; the dataplane
// already runs next (Reload applied it). It runs outside d.mu: a stopping
// instance's Release applies a snapshot itself.
func (r *vrrpRunner) reload(next *config.Config) error {
	r.notifier.SetTimeout(next.VRRP.NotifyTimeout)
	p := r.plan(next)
	r.stopInstances(p.remove)
	r.mu.Lock()
	for _, ri := range p.remove {
		if r.instances[ri.cfg.Name] == ri {
			delete(r.instances, ri.cfg.Name)
		}
	}
	for _, name := range p.oldGroups {
		delete(r.groups, name)
	}
	r.mu.Unlock()
	for _, ri := range p.remove {
		r.track.forget(ri)
		r.log.Info("vrrp: instance removed", "vrrp_instance", ri.cfg.Name)
	}
	r.track.setConfig(next)
	var errs []error
	for _, in := range p.reconfigure {
		if err := r.reconfigure(next, in); err != nil {
			errs = append(errs, err)
		}
	}
	if len(p.add) > 0 {
		if err := r.start(next, p.add); err != nil {
			errs = append(errs, err)
		}
	}
	r.track.wake()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("configuration applied, but VRRP: %w", err)
	}
	return nil
}

// reconfigure applies new settings to a running instance: no transition
// unless they demand one (vrrp.Instance.Reconfigure). A master announces
// the addresses it gained (the snapshot already answers them).
func (r *vrrpRunner) reconfigure(next *config.Config, in config.VRRPInstance) error {
	r.mu.Lock()
	ri := r.instances[in.Name]
	r.mu.Unlock()
	ic, _, err := r.instanceConfig(next, in)
	if err == nil {
		err = ri.inst.Reconfigure(ic)
	}
	if err != nil {
		return err
	}
	r.mu.Lock()
	was := ri.cfg
	ri.cfg = in
	r.mu.Unlock()
	r.track.resend(ri)
	var gained []netip.Addr
	for _, a := range in.VirtualAddresses {
		if !slices.Contains(was.VirtualAddresses, a) {
			gained = append(gained, a)
		}
	}
	if ri.hooks.master.Load() {
		if len(gained) > 0 {
			ri.hooks.announceAddrs(gained, in.GARP.Repeat)
		}
		if in.GARP != was.GARP {
			ri.hooks.garp.schedule(ri.hooks, in.GARP) // the new delay and refresh from now
		}
	}
	r.log.Info("vrrp: instance reconfigured", "vrrp_instance", in.Name)
	return nil
}
