package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// sendHostile forges a few frames a director on the edge must refuse
// (netlab.HostileFrames) from the client's link and shows the drop reason
// each moved; it fails if a frame was not dropped as it should be.
func sendHostile(ctx context.Context, lab *netlab.NATLab, topo demoTopo, cl *admin.Client) error {
	st, err := cl.Status()
	if err != nil {
		return err
	}
	var dirMAC net.HardwareAddr
	for _, p := range st.Ports {
		if p.Name == "wan" {
			dirMAC, err = net.ParseMAC(p.MAC)
		}
	}
	if dirMAC == nil || err != nil {
		return fmt.Errorf("the wan port's MAC: %q %v", dirMAC, err)
	}
	clientMAC, err := lab.Client.HardwareAddr(topo.wanTap)
	if err != nil {
		return err
	}
	client, err := netip.ParsePrefix(topo.spec.ClientCIDR)
	if err != nil {
		return err
	}
	frames, err := netlab.HostileFrames(netlab.HostileSite{SenderMAC: clientMAC, DirectorMAC: dirMAC,
		Sender: client.Addr(), VIP: topo.httpVIP, FirstPort: 61000})
	if err != nil {
		return err
	}
	step("%d forged frames from the client's link (security: each must be a counted drop)", len(frames))
	for _, h := range frames {
		before, err := cl.Stats()
		if err != nil {
			return err
		}
		if err := lab.Client.SendFrames(topo.wanTap, [][]byte{h.Frame}); err != nil {
			return err
		}
		var after admin.Stats
		// the drop is counted within a poll of the lcore; an aging tick
		// of the admin API's reading is the most it can take
		if err := waitCounted(ctx, cl, 2*time.Second, func(s admin.Stats) bool {
			after = s
			return s.Drops[h.Reason] > before.Drops[h.Reason]
		}); err != nil {
			return fmt.Errorf("%s: drop reason %s did not move: %w", h.What, h.Reason, err)
		}
		fmt.Printf("    %-36s -> dropped: %s (+%d)\n", h.What, h.Reason, after.Drops[h.Reason]-before.Drops[h.Reason])
	}
	return nil
}

// waitCounted polls the admin API's stats until cond holds or timeout.
func waitCounted(ctx context.Context, cl *admin.Client, timeout time.Duration, cond func(admin.Stats) bool) error {
	deadline := time.Now().Add(timeout)
	for {
		s, err := cl.Stats()
		if err != nil {
			return err
		}
		if cond(s) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
