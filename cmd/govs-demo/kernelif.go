package main

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// pingCount is how many echo requests go to each port address.
const pingCount = 3

// showKernelPath pings the director's port addresses from the client's
// namespace. Both arrive on the wan port, whose fast path leaves traffic
// to the director's own addresses to the port's kernel-side interface:
// the director's kernel answers, the interface's counters move and the
// lcores answer nothing themselves. It also checks that the health
// checks left through the lan port's kernel-side interface.
func showKernelPath(ctx context.Context, lab *netlab.NATLab, topo demoTopo, cl *admin.Client, ctl string) error {
	if topo.wanKernel == "" {
		step("port wan has no kernel interface: the lcores answer ping themselves, nothing to show")
		return nil
	}
	st0, err := cl.Status()
	if err != nil {
		return err
	}
	stats0, err := cl.Stats()
	if err != nil {
		return err
	}
	for _, a := range []netip.Addr{topo.wanAddr, topo.lanAddr} {
		if err := ping(ctx, lab.Client, a); err != nil {
			return err
		}
	}
	st1, err := cl.Status()
	if err != nil {
		return err
	}
	stats1, err := cl.Stats()
	if err != nil {
		return err
	}
	k0, k1 := kernelIf(st0, topo.wanKernel), kernelIf(st1, topo.wanKernel)
	if k1 == nil {
		return fmt.Errorf("govsctl status has no kernel interface %s", topo.wanKernel)
	}
	in, out := k1.ToKernel.Packets, k1.FromKernel.Packets
	if k0 != nil {
		in, out = in-k0.ToKernel.Packets, out-k0.FromKernel.Packets
	}
	sent := uint64(2 * pingCount)
	if in < sent || out < sent {
		return fmt.Errorf("%s moved %d packets to the kernel and %d from it during %d pings: the kernel did not answer them", topo.wanKernel, in, out, sent)
	}
	if answered := answeredByLcores(stats1) - answeredByLcores(stats0); answered != 0 {
		return fmt.Errorf("the lcores answered %d packets themselves during the pings: they should have been the kernel's", answered)
	}
	step("answered by the director's kernel: %s took %d packets to the kernel and %d from it, the lcores answered none themselves", topo.wanKernel, in, out)
	if err := checksTravelled(st1, topo); err != nil {
		return err
	}
	return govsctl(ctx, ctl, topo.socket, "status")
}

// ping sends pingCount echo requests to addr from ns and prints ping's
// output.
func ping(ctx context.Context, ns *netlab.NS, addr netip.Addr) error {
	args := []string{"-n", "-c", fmt.Sprint(pingCount), "-i", "0.1", "-W", "1", addr.String()}
	step("ping %s (from netns %s)", strings.Join(args, " "), ns.Name)
	out, err := ns.CommandContext(ctx, "ping", args...).CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fmt.Println("    " + line)
	}
	if err != nil {
		return fmt.Errorf("ping %v from netns %s: %w", addr, ns.Name, err)
	}
	return nil
}

// checksTravelled checks that the lan port's kernel-side interface sent
// something out of the port: the health checks, which the director's
// kernel routes to the real servers through it.
func checksTravelled(st admin.Status, topo demoTopo) error {
	if !topo.fail.valid() || topo.lanKernel == "" {
		return nil
	}
	k := kernelIf(st, topo.lanKernel)
	if k == nil || k.FromKernel.Packets == 0 || k.ToKernel.Packets == 0 {
		return fmt.Errorf("%s carried no health checks: %+v", topo.lanKernel, k)
	}
	step("the health checks went through the lan port: %s has sent %d packets out of it and received %d",
		topo.lanKernel, k.FromKernel.Packets, k.ToKernel.Packets)
	return nil
}

func kernelIf(st admin.Status, name string) *admin.KernelInterface {
	for i := range st.Kernel {
		if st.Kernel[i].Name == name {
			return &st.Kernel[i]
		}
	}
	return nil
}

func answeredByLcores(s admin.Stats) uint64 {
	var n uint64
	for _, l := range s.Lcores {
		n += l.Answered
	}
	return n
}
