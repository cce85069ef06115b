// Package kernelif sets up the kernel side of a data port's kernel
// interface (the exception path): the net_tap device govsd creates per
// port, configured so that the kernel uses the DPDK port as its own NIC
// without ever competing with the fast path.
//
// The settings and why:
//   - the port's MAC, MTU and address/prefix: the kernel's frames leave the
//     data port unchanged, and the peers see one host;
//   - arp_ignore 8 (never answer ARP): the slow path is the port's one ARP
//     responder (port address and VIPs); two would race;
//   - arp_announce 2: the kernel's own requests ask from the port address;
//   - IPv6 off: the fast path is IPv4 only, and router solicitations and
//     MLD reports would only be dropped;
//   - a default route via the port's gateway at a metric of its own, so it
//     never displaces a management route the namespace already has.
//
// Everything here is a syscall on the caller's network namespace (the
// calling thread's): govsd runs in one namespace for its whole life.
package kernelif

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/govs-project/govs/internal/rtnl"
)

// RouteMetricBase is the metric of the default route via port i's
// gateway: RouteMetricBase + i, so the first port with a gateway is the
// kernel's choice as it is the fast path's.
const RouteMetricBase = 1000

// Config is one kernel interface.
type Config struct {
	Name    string       // interface name
	MAC     [6]byte      // the data port's
	MTU     int          // the data port's
	Addr    netip.Prefix // the port's address and connected subnet
	Gateway netip.Addr   // optional: a default route via it
	Metric  uint32       // of that route
}

// Devargs is the net_tap devargs that create the interface as DPDK device
// vdev (e.g. "net_tap_govs0") with the data port's MAC.
func Devargs(vdev, name string, mac [6]byte) string {
	return fmt.Sprintf("%s,iface=%s,mac=%s", vdev, name, net.HardwareAddr(mac[:]))
}

// CheckName refuses what Linux would not take as an interface name
// (IFNAMSIZ, '/', whitespace, ':' aliases) or what devargs cannot carry (',').
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("empty interface name")
	case len(name) > 15:
		return fmt.Errorf("interface name %q is longer than 15 bytes", name)
	case name == "." || name == "..":
		return fmt.Errorf("interface name %q is reserved", name)
	case strings.ContainsAny(name, "/:, \t\n="):
		return fmt.Errorf("interface name %q contains one of / : , = or whitespace", name)
	}
	return nil
}

// Exists reports whether an interface of that name is in the namespace.
func Exists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

// Prepare sets the interface's sysctls (IPv6 off, ARP left to the slow
// path) before its link comes up, so it never says anything of its own.
func Prepare(name string) error {
	for _, s := range []struct{ path, value string }{
		{"ipv6/conf/" + name + "/disable_ipv6", "1"},
		{"ipv4/conf/" + name + "/arp_ignore", "8"},
		{"ipv4/conf/" + name + "/arp_announce", "2"},
	} {
		if err := writeSysctl(s.path, s.value); err != nil {
			// A kernel without IPv6 has no ipv6/conf: nothing to disable.
			if strings.HasPrefix(s.path, "ipv6/") && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return err
		}
	}
	return nil
}

// Configure gives the interface the port's MTU, MAC and address, brings
// it up and adds the default route via the gateway, if any (a route that
// is already there is fine). Idempotent.
func Configure(c Config) error {
	if err := CheckName(c.Name); err != nil {
		return err
	}
	if !c.Addr.Addr().Is4() {
		return fmt.Errorf("interface %s: address %v is not IPv4", c.Name, c.Addr)
	}
	nl, err := rtnl.Open()
	if err != nil {
		return err
	}
	defer nl.Close()
	ifi, err := net.InterfaceByName(c.Name)
	if err != nil {
		return fmt.Errorf("interface %s: %w", c.Name, err)
	}
	if ifi.MTU != c.MTU {
		if err := nl.SetLinkMTU(c.Name, c.MTU); err != nil {
			return err
		}
	}
	if string(ifi.HardwareAddr) != string(c.MAC[:]) {
		if err := nl.SetLinkMAC(c.Name, c.MAC); err != nil {
			return err
		}
	}
	have, err := rtnl.HasAddr(c.Name, c.Addr)
	if err != nil {
		return err
	}
	if !have {
		if err := nl.AddAddr(c.Name, c.Addr); err != nil {
			return err
		}
	}
	if err := nl.SetLinkUp(c.Name, true); err != nil {
		return err
	}
	if c.Gateway.IsValid() {
		if err := nl.AddDefaultRoute(c.Name, c.Gateway, c.Metric); err != nil && !errors.Is(err, rtnl.ErrRouteExists) {
			return err
		}
	}
	return nil
}

// Sysctl reads net.<path> (e.g. "ipv4/conf/govs-wan/arp_ignore").
func Sysctl(path string) (string, error) {
	b, err := os.ReadFile(filepath.Join("/proc/sys/net", path))
	if err != nil {
		return "", fmt.Errorf("read sysctl net/%s: %w", path, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func writeSysctl(path, value string) error {
	f, err := os.OpenFile(filepath.Join("/proc/sys/net", path), os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(value)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("set sysctl net/%s=%s: %w", path, value, err)
	}
	return nil
}
