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
	spec           netlab.NATSpec
	httpVIP        netip.AddrPort // the first tcp service
	udpVIP         netip.AddrPort // the first udp service
}

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
