package daemon

import (
	"fmt"
	"net/netip"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/control/health"
)

// serviceKey names a service to the health manager, the admin API and the
// metrics: protocol/VIP:port, like "tcp/10.0.0.10:80".
func serviceKey(sv config.Service) string {
	return fmt.Sprintf("%s/%s", sv.Protocol, netip.AddrPortFrom(sv.VIP, sv.Port))
}

// healthSpec maps the configuration to what the health manager checks:
// every service (its quorum matters even when no server is checked) and
// every real server, with the check the loader merged for it. The sorry
// server is not checked, as in keepalived.
func healthSpec(c *config.Config) health.Spec {
	var s health.Spec
	for _, sv := range c.Services {
		ss := health.ServiceSpec{
			Key: serviceKey(sv), Quorum: sv.Quorum, Hysteresis: sv.Hysteresis, Alpha: sv.Alpha,
			QuorumUp: sv.QuorumUp, QuorumDown: sv.QuorumDown,
		}
		for _, rs := range sv.RealServers {
			ss.Servers = append(ss.Servers, health.ServerSpec{
				Addr: rs.Address, Port: rs.Port, Weight: rs.Weight, Check: healthCheck(rs.Check),
				NotifyUp: rs.NotifyUp, NotifyDown: rs.NotifyDown,
			})
		}
		s.Services = append(s.Services, ss)
	}
	return s
}

// healthCheck converts one merged check; nil (or none) is no check.
func healthCheck(c *config.Check) *health.Check {
	if c == nil || c.Type == config.CheckNone {
		return nil
	}
	h := &health.Check{
		Kind:     health.Kind(c.Type),
		Interval: c.Interval, Timeout: c.Timeout, RetryDelay: c.RetryDelay, Warmup: c.Warmup,
		Rise: uint32(c.Rise), Fall: uint32(c.Fall),
		ConnectAddr: c.ConnectAddress, ConnectPort: c.ConnectPort, SourceAddr: c.SourceAddress,

		Method: c.HTTP.Method, Path: c.HTTP.Path, Host: c.HTTP.Host,
		BodyRegex: c.HTTP.BodyRegex, Digest: c.HTTP.Digest, TLSSNI: c.HTTP.TLSSNI, TLSVerify: c.HTTP.TLSVerify,

		Payload: string(c.UDP.Payload), RequireReply: c.UDP.RequireReply,

		QueryName: c.DNS.Name, QueryType: c.DNS.Type, RequireAnswer: c.DNS.RequireAnswer,

		Command: c.Script.Command, Dynamic: c.Script.Dynamic,
	}
	for _, r := range c.HTTP.Status {
		h.Status.Add(r.Lo, r.Hi)
	}
	return h
}
