package main

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/internal/netlab"
)

// demoTopo is what the demo builds and sends, read from the configuration
// so the two cannot drift apart.
type demoTopo struct {
	wanTap, lanTap string
	socket         string
	metrics        string // metrics.listen, "" for none: reached from govsd's namespace
	spec           netlab.NATSpec
	httpVIP        netip.AddrPort // the first tcp service
	udpVIP         netip.AddrPort // the first udp service
	fail           failTarget     // in the first tcp service; zero when none is checked
	// The director's port addresses and their kernel-side interfaces
	// ("" when disabled), in govsd's namespace.
	wanAddr, lanAddr     netip.Addr
	wanKernel, lanKernel string
}

// failTarget is the real server the demo fails and brings back: of the
// tcp service's servers with a check that a stopped listener fails (tcp,
// http), the one with the highest weight, so the most requests are lost
// while govsd detects it.
type failTarget struct {
	service string // as the health API names it: "tcp/10.0.0.100:80"
	server  netip.AddrPort
	check   config.Check
	checked int // servers of the service with a check
}

// valid reports whether the configuration has a server to fail.
func (f failTarget) valid() bool { return f.server.IsValid() }

// topology derives the lab from cfg: ports named wan and lan on net_tap
// devices, the client at the second host address of the wan subnet, every
// NAT real server on the lan segment, HTTP on the tcp service's real-server
// port and UDP echo on the udp service's.
func topology(cfg *config.Config) (demoTopo, error) {
	var t demoTopo
	wan, lan, err := wanLan(cfg)
	if err != nil {
		return t, err
	}
	if t.wanTap, err = tapIface(wan); err != nil {
		return t, err
	}
	if t.lanTap, err = tapIface(lan); err != nil {
		return t, err
	}
	t.socket = cfg.Admin.Socket
	t.metrics = cfg.Metrics.Listen
	t.wanAddr, t.lanAddr = wan.Address.Addr(), lan.Address.Addr()
	if wan.Kernel.Enabled {
		t.wanKernel = wan.Kernel.Name
	}
	if lan.Kernel.Enabled {
		t.lanKernel = lan.Kernel.Name
	}
	client := wan.Address.Masked().Addr().Next().Next()
	if client == wan.Address.Addr() {
		client = client.Next()
	}
	t.spec = netlab.NATSpec{
		Prefix:     "govsdemo-",
		ClientCIDR: netip.PrefixFrom(client, wan.Address.Bits()).String(),
		ClientGW:   wan.Address.Addr().String(),
		ServerGW:   lan.Address.Addr().String(),
	}
	var servers []netip.Addr
	for _, s := range cfg.Services {
		if len(s.RealServers) == 0 {
			continue
		}
		switch {
		case s.Protocol == config.ProtoTCP && t.spec.HTTPPort == 0:
			t.spec.HTTPPort = int(s.RealServers[0].Port)
			t.httpVIP = netip.AddrPortFrom(s.VIP, s.Port)
			t.fail = failTargetOf(s)
		case s.Protocol == config.ProtoUDP && t.spec.UDPPort == 0:
			t.spec.UDPPort = int(s.RealServers[0].Port)
			t.udpVIP = netip.AddrPortFrom(s.VIP, s.Port)
		}
		for _, rs := range s.RealServers {
			if !lan.Address.Contains(rs.Address) {
				return t, fmt.Errorf("real server %v is not on the lan subnet %v: the demo only builds a NAT lab", rs.Address, lan.Address.Masked())
			}
			if !slices.Contains(servers, rs.Address) {
				servers = append(servers, rs.Address)
			}
		}
	}
	if t.spec.HTTPPort == 0 {
		return t, fmt.Errorf("no tcp service with real servers in the configuration")
	}
	slices.SortFunc(servers, netip.Addr.Compare)
	for _, a := range servers {
		t.spec.ServerCIDRs = append(t.spec.ServerCIDRs, netip.PrefixFrom(a, lan.Address.Bits()).String())
	}
	return t, nil
}

// failTargetOf picks the failTarget of s (the last of equal weights).
func failTargetOf(s config.Service) failTarget {
	f := failTarget{service: fmt.Sprintf("%s/%s", s.Protocol, netip.AddrPortFrom(s.VIP, s.Port))}
	var best *config.RealServer
	for i, rs := range s.RealServers {
		if rs.Check == nil || rs.Check.Type == config.CheckNone {
			continue
		}
		f.checked++
		if rs.Check.Type != config.CheckTCP && rs.Check.Type != config.CheckHTTP {
			continue
		}
		if best == nil || rs.Weight >= best.Weight {
			best = &s.RealServers[i]
		}
	}
	if best != nil {
		f.server, f.check = netip.AddrPortFrom(best.Address, best.Port), *best.Check
	}
	return f
}

func wanLan(cfg *config.Config) (wan, lan config.Port, err error) {
	var found int
	for _, p := range cfg.Ports {
		switch p.Name {
		case "wan":
			wan, found = p, found|1
		case "lan":
			lan, found = p, found|2
		}
	}
	if found != 3 {
		err = fmt.Errorf("the demo needs ports named wan and lan")
	}
	return
}

// tapIface returns the kernel interface of a net_tap device string.
func tapIface(p config.Port) (string, error) {
	if !strings.HasPrefix(p.Device, "net_tap") {
		return "", fmt.Errorf("port %s: the demo needs a net_tap device, got %q", p.Name, p.Device)
	}
	for _, kv := range strings.Split(p.Device, ",")[1:] {
		if v, ok := strings.CutPrefix(kv, "iface="); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("port %s: device %q has no iface= name", p.Name, p.Device)
}
