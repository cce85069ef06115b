package main

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// showRuntime drains a real server of the HTTP service without a reload
// (govsctl server drain), shows that new connections avoid it while the
// listing marks it, lists the connections the demo made (govsctl conns),
// brings the server back and clears the override, and prints the running
// services as ipvsadm rules (govsctl save).
func showRuntime(ctx context.Context, lab *netlab.NATLab, topo demoTopo, cl *admin.Client, ctl string) error {
	if !topo.fail.valid() {
		step("no checked HTTP server to drain: runtime controls not shown")
		return nil
	}
	svc, server := topo.fail.service, topo.fail.server.String()
	ident := identOf(lab, topo.fail.server)
	if err := govsctl(ctx, ctl, topo.socket, "server", "drain", svc, server); err != nil {
		return err
	}
	url := fmt.Sprintf("http://%s/", topo.httpVIP)
	const n = 12
	for i := range n {
		body, err := netlab.HTTPGetNewConn(lab.Client, url, 5*time.Second)
		if err != nil {
			return fmt.Errorf("GET #%d with %s drained: %w", i+1, server, err)
		}
		if body == ident {
			return fmt.Errorf("GET #%d with %s drained was answered by it (%s)", i+1, server, ident)
		}
	}
	step("%d new connections while %s (%s) is drained: none went to it", n, server, ident)
	for _, args := range [][]string{{"list"}, {"overrides"}, {"conns", "-vip", topo.httpVIP.String(), "-state", "TIME_WAIT", "-n", "5"}} {
		if err := govsctl(ctx, ctl, topo.socket, args...); err != nil {
			return err
		}
	}
	if err := govsctl(ctx, ctl, topo.socket, "server", "clear", svc, server); err != nil {
		return err
	}
	if ov, err := cl.Overrides(); err != nil || len(ov) != 0 {
		return fmt.Errorf("overrides after clearing: %+v, %v", ov, err)
	}
	return govsctl(ctx, ctl, topo.socket, "save")
}

// identOf is the ident the lab's server at addr answers HTTP with.
func identOf(lab *netlab.NATLab, addr netip.AddrPort) string {
	for _, s := range lab.Servers {
		if s.IP.String() == addr.Addr().String() {
			return s.Ident
		}
	}
	return ""
}
