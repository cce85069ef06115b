package netlab

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"time"
)

// Switch is a namespace holding one Linux bridge: an L2 segment that hosts
// and moved-in links (such as a DPDK tap) are plugged into.
type Switch struct {
	NS     *NS
	Bridge string
	nports int
}

// NewSwitch creates the namespace and its bridge (STP off, so ports
// forward as soon as they are up).
func NewSwitch(name string) (*Switch, error) {
	ns, err := NewNS(name)
	if err != nil {
		return nil, err
	}
	s := &Switch{NS: ns, Bridge: "br0"}
	if _, err := ns.IP("link", "add", s.Bridge, "type", "bridge", "stp_state", "0"); err != nil {
		ns.Close()
		return nil, err
	}
	if _, err := ns.IP("link", "set", s.Bridge, "up"); err != nil {
		ns.Close()
		return nil, err
	}
	return s, nil
}

// Close deletes the switch namespace, its bridge and the switch ends of
// every veth (which takes the host ends with them).
func (s *Switch) Close() error { return s.NS.Close() }

// AttachHost plugs host into the switch with a veth pair: one end on the
// bridge, the other named ifname in host with cidr (e.g. "10.1.0.11/24")
// and, unless gateway is empty, a default route via gateway.
func (s *Switch) AttachHost(host *NS, ifname, cidr, gateway string) error {
	s.nports++
	port := fmt.Sprintf("p%d", s.nports)
	if _, err := s.NS.IP("link", "add", port, "type", "veth", "peer", "name", ifname, "netns", host.Name); err != nil {
		return err
	}
	if _, err := s.NS.IP("link", "set", port, "master", s.Bridge, "up"); err != nil {
		return err
	}
	return host.ConfigureLink(ifname, cidr, gateway)
}

// AttachLinkToBridge moves ifname from namespace from into the switch
// (see MoveLink) and adds it to the bridge.
func (s *Switch) AttachLinkToBridge(from *NS, ifname string) error {
	if err := MoveLink(ifname, from, s.NS); err != nil {
		return err
	}
	_, err := s.NS.IP("link", "set", ifname, "master", s.Bridge)
	return err
}

// MoveLink moves ifname from namespace from into namespace to, gives it a
// fresh MAC address, disables IPv6 on it and brings it up.
//
// The fresh MAC matters for DPDK net_tap ports: the PMD gives the kernel
// side the same MAC as the DPDK port, so as a peer on a segment it would
// collide with the director (a bridge delivers frames for a port's own MAC
// locally instead of forwarding them).
func MoveLink(ifname string, from, to *NS) error {
	if _, err := from.IP("link", "set", "dev", ifname, "netns", to.Name); err != nil {
		return err
	}
	if _, err := to.IP("link", "set", "dev", ifname, "address", RandomMAC().String()); err != nil {
		return err
	}
	if err := to.Do(func() error { return disableIPv6(ifname) }); err != nil {
		return err
	}
	_, err := to.IP("link", "set", "dev", ifname, "up")
	return err
}

// ConfigureLink brings ifname in n up, adds cidr to it (if not empty) and a
// default route via gateway (if not empty).
func (n *NS) ConfigureLink(ifname, cidr, gateway string) error {
	if err := n.Do(func() error { return disableIPv6(ifname) }); err != nil {
		return err
	}
	if _, err := n.IP("link", "set", "dev", ifname, "up"); err != nil {
		return err
	}
	if cidr != "" {
		if _, err := n.IP("addr", "add", cidr, "dev", ifname); err != nil {
			return err
		}
	}
	if gateway != "" {
		if _, err := n.IP("route", "replace", "default", "via", gateway, "dev", ifname); err != nil {
			return err
		}
	}
	return nil
}

// RandomMAC returns a random locally administered unicast address.
func RandomMAC() net.HardwareAddr {
	m := make(net.HardwareAddr, 6)
	rand.Read(m)
	m[0] = m[0]&^0x01 | 0x02
	return m
}

// WaitLink waits until ifname exists in the namespace and, if up is set,
// has IFF_UP (for a DPDK tap: the port has been started). A timeout of 0
// checks once.
func (n *NS) WaitLink(ifname string, up bool, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var notReady error
		if err := n.Do(func() error { notReady = linkReady(ifname, up); return nil }); err != nil {
			return err // the namespace itself is unusable
		}
		if notReady == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("interface %s not ready in netns %s after %v: %v", ifname, n.Name, timeout, notReady)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// LinkExists reports whether ifname exists in the namespace.
func (n *NS) LinkExists(ifname string) bool {
	var missing error
	err := n.Do(func() error { missing = linkReady(ifname, false); return nil })
	return err == nil && missing == nil
}

// linkReady checks ifname in the calling thread's namespace.
func linkReady(ifname string, up bool) error {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return err
	}
	if up && ifi.Flags&net.FlagUp == 0 {
		return errors.New("exists but is not up")
	}
	return nil
}
