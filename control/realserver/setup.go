package realserver

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// sysctlWant is a per-interface IPv4 sysctl a mode needs: set to value
// unless it already holds one of the values in ok.
type sysctlWant struct {
	key   string
	value string
	ok    []string
}

var (
	// arp_ignore 1 (or 2, 8): answer ARP only for addresses of the
	// receiving interface, so never for the VIP on lo or the TUN device.
	// arp_announce 2: never use the VIP as the source of ARP requests.
	arpIgnore   = sysctlWant{"arp_ignore", "1", []string{"1", "2", "8"}}
	arpAnnounce = sysctlWant{"arp_announce", "2", []string{"2"}}
	// rp_filter: strict mode (1) drops tunnelled packets, whose client
	// source is not routed via the tunnel device; loose (2) passes them.
	rpFilter = sysctlWant{"rp_filter", "0", []string{"0", "2"}}
)

// needs reports whether mode m relies on the sysctl name holding value,
// so that tearing down the other mode must hand it over, not restore it.
func needs(m Mode, name string) bool {
	switch name[strings.LastIndexByte(name, '.')+1:] {
	case arpIgnore.key, arpAnnounce.key:
		return true
	case rpFilter.key:
		return m == TUN
	}
	return false
}

// Setup prepares this network namespace as a real server for o.Mode and
// o.VIPs, recording every change in the state directory. Running it again
// with the same VIPs reports "already set up" (and restarts a dead
// decapsulator); other VIPs need a teardown first. A failed setup undoes
// what it did.
func Setup(o Options, out io.Writer) error {
	if o.Mode != DR && o.Mode != TUN {
		return fmt.Errorf("setup needs a mode (dr or tun), got %q", o.Mode)
	}
	o, err := o.normalize(true)
	if err != nil {
		return err
	}
	unlock, err := lockDir(o.StateDir)
	if err != nil {
		return err
	}
	defer unlock()
	nsid, err := netnsID()
	if err != nil {
		return err
	}
	s, err := currentState(o.StateDir, o.Mode, nsid, out)
	if err != nil {
		return err
	}
	if s != nil {
		return setupAgain(o, s, out)
	}
	nl, err := openRTNL()
	if err != nil {
		return err
	}
	defer nl.Close()
	c := &changer{o: o, nl: nl, out: out,
		s: &State{Mode: o.Mode, VIPs: o.VIPs, Netns: nsid, Since: time.Now().UTC().Truncate(time.Second)}}
	if err := c.save(); err != nil {
		return err
	}
	if err := c.apply(); err != nil {
		if uerr := undo(c.s, nil, nl, io.Discard); uerr != nil {
			c.save()
			return fmt.Errorf("%w; rolling back failed too: %v (what is left is in %s)", err, uerr, statePath(o.StateDir, o.Mode))
		}
		removeState(o.StateDir, o.Mode)
		return err
	}
	fmt.Fprintf(out, "realserver %s set up for %s (state %s)\n", o.Mode, vipList(o.VIPs), statePath(o.StateDir, o.Mode))
	return nil
}

// setupAgain handles a setup of a mode that is already set up.
func setupAgain(o Options, s *State, out io.Writer) error {
	if !sameVIPs(s.VIPs, o.VIPs) {
		return fmt.Errorf("%s is already set up for %s, not %s: run teardown first to change the VIPs",
			o.Mode, vipList(s.VIPs), vipList(o.VIPs))
	}
	if d := s.Decap; d != nil && !d.alive() {
		nd, err := startDecap(o)
		if err != nil {
			return fmt.Errorf("decapsulator (pid %d) was not running and did not restart: %w", d.Pid, err)
		}
		s.Decap = nd
		if err := saveState(o.StateDir, s); err != nil {
			return err
		}
		fmt.Fprintf(out, "realserver tun already set up, but its decapsulator (pid %d) had died: restarted as pid %d (log %s)\n", d.Pid, nd.Pid, nd.Log)
		return nil
	}
	fmt.Fprintf(out, "realserver %s already set up for %s (state %s)\n", o.Mode, vipList(s.VIPs), statePath(o.StateDir, o.Mode))
	return nil
}

// currentState loads the state of mode m made in this namespace. State
// left by a namespace that no longer exists is discarded (its changes went
// with it); state of another live namespace is an error.
func currentState(dir string, m Mode, nsid string, out io.Writer) (*State, error) {
	s, err := loadState(dir, m)
	if err != nil || s == nil || s.Netns == nsid {
		return s, err
	}
	if nsAlive(s.Netns) {
		return nil, fmt.Errorf("state directory %s holds the %s setup of another network namespace (%s; this one is %s): use --state-dir",
			dir, m, s.Netns, nsid)
	}
	fmt.Fprintf(out, "discarding %s: its network namespace %s no longer exists\n", statePath(dir, m), s.Netns)
	return nil, removeState(dir, m)
}

// changer applies a mode's changes, recording each in the state file as
// soon as it is made.
type changer struct {
	o   Options
	s   *State
	nl  *rtnl
	out io.Writer
}

func (c *changer) save() error { return saveState(c.o.StateDir, c.s) }

func (c *changer) apply() error {
	// ARP first, so the VIP is never answered for, not even briefly.
	if err := c.arpSysctls(); err != nil {
		return err
	}
	if c.o.Mode == DR {
		return c.addVIPs("lo")
	}
	if err := c.sysctl("all", rpFilter); err != nil {
		return err
	}
	return c.tunnel()
}

// arpSysctls sets arp_ignore and arp_announce on "all" (the kernel uses
// the larger of all and the interface's value) and on every interface
// but lo, as the LVS documentation does.
func (c *changer) arpSysctls() error {
	ifaces := []string{"all"}
	ifs, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("list interfaces: %w", err)
	}
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagLoopback == 0 && ifi.Name != c.o.Tun {
			ifaces = append(ifaces, ifi.Name)
		}
	}
	for _, ifn := range ifaces {
		for _, w := range []sysctlWant{arpIgnore, arpAnnounce} {
			if err := c.sysctl(ifn, w); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *changer) sysctl(iface string, w sysctlWant) error {
	name := ipv4Conf(iface, w.key)
	cur, err := readSysctl(name)
	if err != nil {
		return err
	}
	if slices.Contains(w.ok, cur) {
		return nil
	}
	if err := writeSysctl(name, w.value); err != nil {
		return err
	}
	c.s.Sysctls = append(c.s.Sysctls, SysctlChange{Name: name, Previous: cur, Value: w.value})
	fmt.Fprintf(c.out, "set %s=%s (was %s)\n", name, w.value, cur)
	return c.save()
}

// addVIPs brings link up (if down) and adds every VIP as a /32 to it,
// leaving alone those already there.
func (c *changer) addVIPs(link string) error {
	exists, up := linkUp(link)
	if !exists {
		return fmt.Errorf("interface %s does not exist", link)
	}
	if !up {
		if err := c.nl.SetLinkUp(link, true); err != nil {
			return err
		}
		c.s.LinksUp = append(c.s.LinksUp, link)
		fmt.Fprintf(c.out, "set link %s up\n", link)
		if err := c.save(); err != nil {
			return err
		}
	}
	for _, v := range c.o.VIPs {
		p := netip.PrefixFrom(v, 32)
		have, err := hasAddr(link, p)
		if err != nil {
			return err
		}
		if have {
			fmt.Fprintf(c.out, "%s already on %s: left as it is\n", p, link)
			continue
		}
		if err := c.nl.AddAddr(link, p); err != nil {
			return err
		}
		c.s.Addresses = append(c.s.Addresses, AddrChange{Address: p, Interface: link})
		fmt.Fprintf(c.out, "added %s to %s\n", p, link)
		if err := c.save(); err != nil {
			return err
		}
	}
	return nil
}

// tunnel sets up IPIP decapsulation: kernel ipip if asked or available,
// else the userspace decapsulator.
func (c *changer) tunnel() error {
	if c.o.Decap != DecapUser {
		dev, err := c.kernelTunnel()
		if err == nil {
			c.s.KernelTunnel = dev
			if err := c.save(); err != nil {
				return err
			}
			if err := c.sysctl(dev, rpFilter); err != nil {
				return err
			}
			return c.addVIPs(dev)
		}
		if c.o.Decap == DecapKernel {
			return err
		}
		fmt.Fprintf(c.out, "%v: using the userspace decapsulator\n", err)
	}
	d, err := startDecap(c.o)
	if err != nil {
		return err
	}
	c.s.Decap = d
	fmt.Fprintf(c.out, "started decapsulator pid %d: IPIP for %s -> %s (log %s)\n", d.Pid, vipList(c.o.VIPs), d.Tun, d.Log)
	return c.save()
}

// kernelTunnel returns the kernel ipip device to hold the VIPs: tunl0 if
// the ipip module is loaded (it creates tunl0, the catch-all tunnel, in
// every namespace), else a new ipip device, which loads the module if the
// kernel has it.
func (c *changer) kernelTunnel() (string, error) {
	if exists, _ := linkUp("tunl0"); exists {
		return "tunl0", nil
	}
	err := c.nl.AddLink(kernelTunnel, "ipip")
	switch {
	case err == nil:
		c.s.Links = append(c.s.Links, kernelTunnel)
		fmt.Fprintf(c.out, "created ipip device %s\n", kernelTunnel)
		return kernelTunnel, c.save()
	case errors.Is(err, unix.EEXIST):
		// Loading the module created tunl0, which has the same
		// (any, any) endpoints as ours would.
		if exists, _ := linkUp("tunl0"); exists {
			return "tunl0", nil
		}
	}
	return "", fmt.Errorf("kernel cannot create an ipip device (%s): %w", kernelTunnel, err)
}

func vipList(vips []netip.Addr) string {
	s := make([]string, len(vips))
	for i, v := range vips {
		s[i] = v.String()
	}
	if len(s) == 1 {
		return "VIP " + s[0]
	}
	return "VIPs " + strings.Join(s, ", ")
}
