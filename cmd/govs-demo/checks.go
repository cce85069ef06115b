package main

import (
	"context"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// waitChecksUp waits until every checked server of the service the demo
// fails is up and has passed a check: the checks run, from the director's
// kernel through the lan port's kernel-side interface. Checks that start
// before the demo has wired govsd's ports into the lab fail, and take
// their server down until it rises again: the demo's traffic waits.
func waitChecksUp(ctx context.Context, d *netlab.Proc, cl *admin.Client, topo demoTopo) error {
	f := topo.fail
	if !f.valid() {
		return nil
	}
	c := f.check
	limit := c.Warmup + time.Duration(c.Fall+c.Rise+1)*c.Interval + 2*c.Timeout + 2*time.Second
	err := pollFor(ctx, d, 50*time.Millisecond, limit, func() (bool, error) {
		h, err := cl.Health()
		if err != nil {
			return false, err
		}
		up := 0
		for _, s := range h.Servers {
			if s.Service == f.service && s.State == admin.HealthUp && s.Successes > 0 {
				up++
			}
		}
		return up == f.checked, nil
	})
	if err != nil {
		return err
	}
	via := "its kernel"
	if topo.lanKernel != "" {
		via = "its kernel interface " + topo.lanKernel
	}
	step("health checks: %d servers of %s up (%s every %v, timeout %v, fall %d, rise %d), checked by the director through %s",
		f.checked, f.service, c.Type, c.Interval, c.Timeout, c.Fall, c.Rise, via)
	return nil
}
