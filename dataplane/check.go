package dataplane

import (
	"errors"
	"fmt"
)

// checkStart refuses what Start would refuse before it touches EAL: the
// port list, the sizing options and the kernel interfaces' settings.
func checkStart(opts Options, spec *Spec) error {
	if len(spec.Ports) == 0 {
		return errors.New("ports: no port configured; add at least one port (a DPDK vdev such as net_tap0,iface=govs0 or a PCI device bound to vfio-pci)")
	}
	if len(spec.Ports) > maxPorts {
		return fmt.Errorf("ports: %d configured, at most %d", len(spec.Ports), maxPorts)
	}
	if err := checkOptions(opts); err != nil {
		return err
	}
	return checkKernelPorts(spec.Ports)
}

// Check runs, without EAL, hugepages or devices, every check of spec that
// Start and Apply make: the start-time checks, then the snapshot compiler
// (schedulers, routes to the real servers, limits, VIPs, virtual MACs),
// with stand-in MACs for the ports (a device's MAC is known only once it
// is started). It is what `govsd -t` runs: a configuration it accepts is
// refused at start only for the machine's reasons (devices, memory).
func Check(opts Options, spec *Spec) error {
	if err := checkStart(opts, spec); err != nil {
		return err
	}
	ports := make([]portInfo, len(spec.Ports))
	for i, ps := range spec.Ports {
		ports[i] = newPortInfo(ps, uint16(i), standInMAC(i))
	}
	_, err := compile(1, spec, ports, newIDAllocator())
	return err
}

// standInMAC is a locally administered unicast MAC no VRRP virtual MAC
// (00:00:5e:00:01:xx) can equal.
func standInMAC(port int) [6]byte {
	return [6]byte{0x02, 0x67, 0x6f, 0x76, 0x73, byte(port)}
}
