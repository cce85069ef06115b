package dataplane

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	dpdk "github.com/govs-project/govs/cgo"
)

// nicMACs keeps each port's NIC receiving the virtual MACs of the running
// configuration. Ports are put in promiscuous mode at start; those whose
// device refused it get the MACs added to their unicast filter instead. A
// device that supports neither (net_null, net_ring) filters nothing, so
// ENOTSUP from it is not an error.
type nicMACs struct {
	ports  []nicPort
	add    func(port uint16, mac [6]byte) error
	remove func(port uint16, mac [6]byte) error
}

type nicPort struct {
	name        string
	dpdk        uint16
	promiscuous bool
	added       map[[6]byte]bool // in the NIC's filter because we put them there
}

func newNICMACs(ports []portInfo, promiscuous []bool) *nicMACs {
	n := &nicMACs{add: dpdk.AddMACAddr, remove: dpdk.RemoveMACAddr}
	for i, p := range ports {
		n.ports = append(n.ports, nicPort{name: p.name, dpdk: p.dpdk, promiscuous: promiscuous[i], added: map[[6]byte]bool{}})
	}
	return n
}

// admit adds to the filters what c's ports accept and they lack, before
// c's snapshot is published. On error what it added is removed again.
func (n *nicMACs) admit(c *compiled) error {
	type added struct {
		port int
		mac  [6]byte
	}
	var done []added
	for i := range n.ports {
		p := &n.ports[i]
		if p.promiscuous || i >= len(c.fp.Ports) {
			continue
		}
		for _, mac := range c.fp.Ports[i].VirtualMACs {
			if p.added[mac] {
				continue
			}
			err := n.add(p.dpdk, mac)
			if errors.Is(err, syscall.ENOTSUP) {
				continue // the device does not filter by MAC
			}
			if err != nil {
				for _, d := range done {
					_ = n.remove(n.ports[d.port].dpdk, d.mac)
					delete(n.ports[d.port].added, d.mac)
				}
				return fmt.Errorf("port %s is not promiscuous and its NIC refuses virtual MAC %v: %w", p.name, net.HardwareAddr(mac[:]), err)
			}
			p.added[mac] = true
			done = append(done, added{i, mac})
		}
	}
	return nil
}

// prune removes from the filters what c's ports no longer accept, once c
// is published (nil: none). A MAC the NIC fails to remove stays listed and is tried
// again with the next configuration: meanwhile its frames arrive and
// mac_filter drops them.
func (n *nicMACs) prune(c *compiled) {
	for i := range n.ports {
		p := &n.ports[i]
		want := map[[6]byte]bool{}
		if c != nil && i < len(c.fp.Ports) {
			for _, mac := range c.fp.Ports[i].VirtualMACs {
				want[mac] = true
			}
		}
		for mac := range p.added {
			if want[mac] {
				continue
			}
			if err := n.remove(p.dpdk, mac); err == nil || errors.Is(err, syscall.ENOTSUP) {
				delete(p.added, mac)
			}
		}
	}
}
