package daemon

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
)

// The Daemon is the admin API's OverrideSource: every change is written to
// the state file, then applied through applyCurrent, the one path that
// composes configuration, checks, overrides and VRRP into a snapshot.

var _ admin.OverrideSource = (*Daemon)(nil)

// parseServiceKey checks a "tcp/VIP:port", or "TCP  VIP:port" as
// govsctl list prints it, and returns it canonical.
func parseServiceKey(s string) (string, error) {
	if f := strings.Fields(s); len(f) == 2 {
		s = f[0] + "/" + f[1]
	}
	proto, hostPort, ok := strings.Cut(s, "/")
	p, pok := config.ParseProtocol(strings.ToLower(proto))
	ap, err := netip.ParseAddrPort(hostPort)
	if !ok || !pok || err != nil {
		return "", fmt.Errorf("service %q is not protocol/VIP:port like tcp/10.0.0.10:80", s)
	}
	return serviceKey(config.Service{Protocol: p, VIP: ap.Addr(), Port: ap.Port()}), nil
}

// resolveService finds the configured service named by s: its name,
// "tcp/VIP:port", or "VIP:port" when only one protocol has it.
func resolveService(cfg *config.Config, s string) (*config.Service, error) {
	var found []*config.Service
	for i := range cfg.Services {
		if sv := &cfg.Services[i]; sv.Name != "" && sv.Name == s {
			found = append(found, sv)
		}
	}
	if len(found) == 0 {
		if key, err := parseServiceKey(s); err == nil {
			for i := range cfg.Services {
				if serviceKey(cfg.Services[i]) == key {
					found = append(found, &cfg.Services[i])
				}
			}
		} else if ap, err := netip.ParseAddrPort(s); err == nil {
			for i := range cfg.Services {
				if sv := &cfg.Services[i]; sv.VIP == ap.Addr() && sv.Port == ap.Port() {
					found = append(found, sv)
				}
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, &admin.NotFoundError{Msg: fmt.Sprintf("no service %q (give its name, tcp/VIP:port or VIP:port)", s)}
	case 1:
		return found[0], nil
	}
	keys := make([]string, len(found))
	for i, sv := range found {
		keys[i] = serviceKey(*sv)
	}
	return nil, &admin.BadRequestError{Msg: fmt.Sprintf("service %q is ambiguous: %s; give protocol/VIP:port", s, strings.Join(keys, ", "))}
}

// resolveServer finds the real server addr of sv (the sorry server is not
// one: it serves only while the quorum is lost).
func resolveServer(sv *config.Service, addr string) (serverKey, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return serverKey{}, &admin.BadRequestError{Msg: fmt.Sprintf("server %q is not ip:port", addr)}
	}
	for _, rs := range sv.RealServers {
		if rs.Address == ap.Addr() && rs.Port == ap.Port() {
			return serverKey{serviceKey(*sv), rs.Address, rs.Port}, nil
		}
	}
	return serverKey{}, &admin.NotFoundError{Msg: fmt.Sprintf("service %s has no real server %s", serviceKey(*sv), ap)}
}

// SetOverride changes one configured real server's override.
func (d *Daemon) SetOverride(req admin.OverrideRequest) (admin.Override, error) {
	if err := req.Validate(); err != nil {
		return admin.Override{}, &admin.BadRequestError{Msg: err.Error()}
	}
	sv, err := resolveService(d.cfg.Load(), req.Service)
	if err != nil {
		return admin.Override{}, err
	}
	key, err := resolveServer(sv, req.Server)
	if err != nil {
		return admin.Override{}, err
	}
	var now serverOverride
	err = d.changeOverrides(func(set map[serverKey]serverOverride) {
		now = set[key].apply(req, time.Now())
		if now.empty() {
			delete(set, key) // ready with no weight: nothing left to override
		} else {
			set[key] = now
		}
	})
	if err != nil {
		return admin.Override{}, err
	}
	d.log.Info("runtime override", "service", key.service, "server", netip.AddrPortFrom(key.addr, key.port), "action", req.Action, "weight", req.Weight)
	return overrideOf(key, now, false), nil
}

// ClearOverride drops one server's override, stale ones included (so a
// service that left the configuration is named by protocol/VIP:port).
func (d *Daemon) ClearOverride(service, server string) error {
	key, err := d.overrideKey(service, server)
	if err != nil {
		return err
	}
	if _, ok := d.overrides.snapshot()[key]; !ok {
		return &admin.NotFoundError{Msg: fmt.Sprintf("no override for %s in %s", server, key.service)}
	}
	if err := d.changeOverrides(func(set map[serverKey]serverOverride) { delete(set, key) }); err != nil {
		return err
	}
	d.log.Info("runtime override cleared", "service", key.service, "server", server)
	return nil
}

func (d *Daemon) overrideKey(service, server string) (serverKey, error) {
	if sv, err := resolveService(d.cfg.Load(), service); err == nil {
		if key, err := resolveServer(sv, server); err == nil {
			return key, nil
		}
	}
	key, err := parseServiceKey(service)
	if err != nil {
		return serverKey{}, &admin.NotFoundError{Msg: fmt.Sprintf("no service %q (give its name or protocol/VIP:port)", service)}
	}
	ap, err := netip.ParseAddrPort(server)
	if err != nil {
		return serverKey{}, &admin.BadRequestError{Msg: fmt.Sprintf("server %q is not ip:port", server)}
	}
	return serverKey{key, ap.Addr(), ap.Port()}, nil
}

// ClearOverrides drops every override.
func (d *Daemon) ClearOverrides() (int, error) {
	n := 0
	err := d.changeOverrides(func(set map[serverKey]serverOverride) {
		n = len(set)
		clear(set)
	})
	if err == nil {
		d.log.Info("runtime overrides cleared", "count", n)
	}
	return n, err
}

// changeOverrides persists edit, gives it to the quorum count, then
// applies it; if the dataplane refuses the snapshot, the overrides (the
// file and the quorum count too) are put back.
func (d *Daemon) changeOverrides(edit func(map[serverKey]serverOverride)) error {
	old, err := d.overrides.update(edit)
	if err != nil {
		return err
	}
	d.pushOverrides()
	if err := d.applyCurrent(); err != nil {
		if rerr := d.overrides.restore(old); rerr != nil {
			d.log.Error("runtime override: undo after a refused apply", "err", rerr)
		}
		d.pushOverrides()
		return fmt.Errorf("dataplane refused the override: %w", err)
	}
	return nil
}

// Overrides lists every override, marking those the configuration no
// longer has a server for.
func (d *Daemon) Overrides() []admin.Override {
	ix := indexConfig(d.cfg.Load())
	out := []admin.Override{}
	for k, o := range d.overrides.snapshot() {
		out = append(out, overrideOf(k, o, ix.servers[k] == nil))
	}
	slices.SortFunc(out, func(a, b admin.Override) int {
		return cmp.Or(strings.Compare(a.Service, b.Service), strings.Compare(a.Server, b.Server))
	})
	return out
}

func overrideOf(k serverKey, o serverOverride, stale bool) admin.Override {
	return admin.Override{Service: k.service, Server: netip.AddrPortFrom(k.addr, k.port).String(),
		Weight: o.weight, State: o.state, Since: o.since, Stale: stale}
}

// reportStaleOverrides logs each override whose server cfg does not have
// (at start and after a reload): it stays until cleared.
func (d *Daemon) reportStaleOverrides(cfg *config.Config) {
	ix := indexConfig(cfg)
	for k := range d.overrides.snapshot() {
		if ix.servers[k] == nil {
			d.log.Warn("runtime override for a server not in the configuration; kept until cleared (govsctl server clear)",
				"service", k.service, "server", netip.AddrPortFrom(k.addr, k.port))
		}
	}
}

// view is the health manager's verdicts with the operator's overrides:
// what effectiveSpec composes.
func (d *Daemon) view() healthView {
	v := viewOf(d.health)
	v.overrides = d.overrides.snapshot()
	return v
}

// withOverrides marks each listed server that has an override.
func withOverrides(svcs []admin.Service, set map[serverKey]serverOverride) []admin.Service {
	if len(set) == 0 {
		return svcs
	}
	for i := range svcs {
		as := &svcs[i]
		key, ok := listedKey(*as)
		if !ok {
			continue
		}
		for j := range as.RealServers {
			ar := &as.RealServers[j]
			k, ok := listedServer(key, *ar)
			if !ok {
				continue
			}
			if o, ok := set[k]; ok {
				ov := overrideOf(k, o, false)
				ar.Override = &ov
			}
		}
	}
	return svcs
}

// listedKey is the serviceKey of a listed service.
func listedKey(as admin.Service) (string, bool) {
	vip, err := netip.ParseAddr(as.VIP)
	if err != nil {
		return "", false
	}
	return fmt.Sprintf("%s/%s", as.Protocol, netip.AddrPortFrom(vip, as.Port)), true
}

// listedServer is the key of a listed real server of the service key.
func listedServer(key string, ar admin.RealServer) (serverKey, bool) {
	addr, err := netip.ParseAddr(ar.Address)
	return serverKey{key, addr, ar.Port}, err == nil
}
