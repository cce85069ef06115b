package dataplane

import (
	"fmt"
	"net"
	"slices"

	"github.com/govs-project/govs/dataplane/fastpath"
)

// MaxVirtualMACs is how many distinct virtual MACs one port accepts.
const MaxVirtualMACs = fastpath.MaxVirtualMACs

// addVirtualMACs gives each listed address its MAC in the slow path's ARP
// and adds the MAC to what its port accepts (the port that answers ARP for
// the address, the one whose subnet holds it). Only a VIP or floating
// address that is served here can have one: a standby address is the
// other director's to answer, with the same virtual MAC.
func (c *compiled) addVirtualMACs(vmacs []VirtualMAC, ports []portInfo) error {
	c.macs = make(map[uint32][6]byte, len(vmacs))
	for i, vm := range vmacs {
		field := fmt.Sprintf("virtual_macs[%d]", i)
		if !vm.Addr.Is4() {
			return fmt.Errorf("%s: %v is not an IPv4 address", field, vm.Addr)
		}
		ip := addrU32(vm.Addr)
		port, ok := c.vips[ip]
		switch {
		case !ok:
			return fmt.Errorf("%s: %v is neither a service's VIP nor a floating address", field, vm.Addr)
		case c.standby[ip]:
			return fmt.Errorf("%s: %v is standby; only addresses served here answer with a virtual MAC", field, vm.Addr)
		case vm.MAC[0]&1 != 0 || vm.MAC == [6]byte{}:
			return fmt.Errorf("%s: %v for %v is not a unicast MAC", field, net.HardwareAddr(vm.MAC[:]), vm.Addr)
		case vm.MAC == ports[port].mac:
			return fmt.Errorf("%s: %v for %v is port %s's own MAC", field, net.HardwareAddr(vm.MAC[:]), vm.Addr, ports[port].name)
		}
		if _, dup := c.macs[ip]; dup {
			return fmt.Errorf("%s: %v is listed twice", field, vm.Addr)
		}
		c.macs[ip] = vm.MAC
		fp := &c.fp.Ports[port]
		if slices.Contains(fp.VirtualMACs, vm.MAC) {
			continue // one VRRP instance, several addresses
		}
		if len(fp.VirtualMACs) == MaxVirtualMACs {
			return fmt.Errorf("%s: port %s would accept more than %d virtual MACs", field, ports[port].name, MaxVirtualMACs)
		}
		fp.VirtualMACs = append(fp.VirtualMACs, vm.MAC)
	}
	return nil
}
