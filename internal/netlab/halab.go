package netlab

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// HASpec describes two directors in front of the same real servers, for
// failover (VRRP) tests. With NAT there are two segments:
//
//	client ns (ClientCIDR) ---+                       +--- rsN ns (ServerCIDRs[N-1], default via ServerGW)
//	peer ns (PeerCIDR) -------+ WAN switch ns: br0    |
//	director 1's WAN tap* ----+                       + servers' switch ns: br0
//	director 2's WAN tap* ----+   director 1's LAN tap* +
//	                              director 2's LAN tap* +
//
// (* through a bridge in the director's namespace: see AttachDirector.)
//
// Without NAT (LVS/DR) everything sits on one segment, the servers'
// switch: client, peer, each director's one tap and the servers, whose
// replies go straight to the client.
//
// Each director has its own port addresses; the VIP (and with NAT the
// servers' gateway, ServerGW) are virtual addresses that only the current
// master answers for. Namespaces are Prefix+"d1" and Prefix+"d2" (the
// directors), Prefix+"c" (client), Prefix+"k" (peer, only with PeerCIDR),
// Prefix+"w" (the WAN switch, NAT only), Prefix+"s" (the servers' switch)
// and Prefix+"r1".. (servers, idents "rs1"..). Client and peer links are
// eth0 and have no default route: the VIP is on their segment.
type HASpec struct {
	Prefix string
	NAT    bool
	// ClientCIDR is the client's address on the WAN segment, e.g.
	// "10.0.0.2/24".
	ClientCIDR string
	// PeerCIDR, if set, adds a third router's namespace on the WAN segment
	// (keepalived in the interop tests).
	PeerCIDR    string
	ServerCIDRs []string
	// ServerGW is the servers' default gateway (NAT only): the floating
	// address on the servers' segment that moves with the VIP.
	ServerGW string
	// Prepare and Cleanup: as DSRSpec's (the VIP on lo of a DR server).
	Prepare func(*Server) error
	Cleanup func(*Server) error
	Services
}

// HALab is a built HASpec topology with its servers running. Hosts is the
// servers' side: Director is Directors[0] and Switch the servers' segment.
type HALab struct {
	Spec HASpec
	Hosts
	Directors [2]*NS
	WAN       *Switch // the client's segment: Switch itself without NAT
	Peer      *NS     // nil without PeerCIDR
}

// NewHALab builds the namespaces, the segments and the real servers. The
// directors are started in Directors (StartProcIn) and their taps plugged
// in by AttachDirector after each start. On error, what was built is torn
// down.
func NewHALab(spec HASpec) (l *HALab, err error) {
	if spec.ServerGW != "" && !spec.NAT {
		return nil, errors.New("HA lab: ServerGW is the NAT servers' gateway; DR servers reply straight to the client")
	}
	l = &HALab{Spec: spec}
	l.cleanup = spec.Cleanup
	defer func() {
		if err != nil {
			l.Close()
			l = nil
		}
	}()
	for i := range l.Directors {
		if l.Directors[i], err = NewNS(fmt.Sprintf("%sd%d", spec.Prefix, i+1)); err != nil {
			return
		}
		l.Director = l.Directors[0] // for Hosts.Close, from the start
	}
	if l.Client, err = NewNS(spec.Prefix + "c"); err != nil {
		return
	}
	if l.Switch, err = NewSwitch(spec.Prefix + "s"); err != nil {
		return
	}
	l.WAN = l.Switch
	if spec.NAT {
		if l.WAN, err = NewSwitch(spec.Prefix + "w"); err != nil {
			return
		}
	}
	if err = l.WAN.AttachHost(l.Client, "eth0", spec.ClientCIDR, ""); err != nil {
		return
	}
	if spec.PeerCIDR != "" {
		if l.Peer, err = NewNS(spec.Prefix + "k"); err != nil {
			return
		}
		if err = l.WAN.AttachHost(l.Peer, "eth0", spec.PeerCIDR, ""); err != nil {
			return
		}
	}
	err = l.addServers(spec.Prefix, spec.ServerCIDRs, spec.ServerGW, spec.Services, spec.Prepare)
	return
}

// AttachDirector waits (up to timeout) for director i's taps to be up in
// its namespace and connects wan to the client's segment and, with NAT,
// lan to the servers' ("" without NAT). Call it after every start of the
// director: its taps live and die with its process.
//
// Unlike the one-director labs, the taps stay in the director's namespace,
// each on a bridge of its own there (named tap+"b") whose uplink, a veth
// (tap+"u"), has its other end on the segment's switch under the tap's own
// name. DPDK's tap PMD reads a port's link state by interface name in the
// namespace it was started in: a tap moved elsewhere reads as down
// forever, so nothing that follows the link (VRRP track_port, the
// dataplane's own health) could work. The tap gets a fresh MAC, as
// MoveLink gives one (see there: the bridge would otherwise keep frames
// for the director's MAC to itself). The bridge and uplink are made on
// the first attach and reused by the next ones.
func (l *HALab) AttachDirector(i int, wan, lan string, timeout time.Duration) error {
	if i < 0 || i >= len(l.Directors) {
		return fmt.Errorf("HA lab: no director %d", i)
	}
	if (lan != "") != l.Spec.NAT {
		return fmt.Errorf("HA lab: director %d: a LAN tap (%q) exactly when the lab is NAT (%v)", i, lan, l.Spec.NAT)
	}
	plug := []struct {
		tap string
		sw  *Switch
	}{{wan, l.WAN}, {lan, l.Switch}}
	for _, p := range plug {
		if p.tap == "" {
			continue
		}
		if err := l.attachTap(l.Directors[i], p.tap, p.sw, timeout); err != nil {
			return fmt.Errorf("HA lab: director %d: %w", i, err)
		}
	}
	return nil
}

func (l *HALab) attachTap(d *NS, tap string, sw *Switch, timeout time.Duration) error {
	if err := d.WaitLink(tap, true, timeout); err != nil {
		return err
	}
	br, up := tap+"b", tap+"u"
	if !d.LinkExists(br) {
		if _, err := d.IP("link", "add", br, "type", "bridge", "stp_state", "0"); err != nil {
			return err
		}
		if _, err := d.IP("link", "add", up, "type", "veth", "peer", "name", tap, "netns", sw.NS.Name); err != nil {
			return err
		}
		if _, err := sw.NS.IP("link", "set", tap, "master", sw.Bridge, "up"); err != nil {
			return err
		}
		for _, name := range []string{br, up} {
			if err := d.ConfigureLink(name, "", ""); err != nil {
				return err
			}
		}
		if _, err := d.IP("link", "set", up, "master", br); err != nil {
			return err
		}
	}
	if _, err := d.IP("link", "set", "dev", tap, "address", RandomMAC().String()); err != nil {
		return err
	}
	if err := d.Do(func() error { return disableIPv6(tap) }); err != nil {
		return err
	}
	_, err := d.IP("link", "set", tap, "master", br)
	return err
}

// SetDirectorLink sets director i's tap down or up in its namespace, as a
// pulled and replugged cable: nothing crosses it while it is down, and the
// director's port reads link down.
func (l *HALab) SetDirectorLink(i int, tap string, up bool) error {
	if i < 0 || i >= len(l.Directors) {
		return fmt.Errorf("HA lab: no director %d", i)
	}
	state := "down"
	if up {
		state = "up"
	}
	_, err := l.Directors[i].IP("link", "set", "dev", tap, state)
	return err
}

func (l *HALab) switches() []*Switch {
	var out []*Switch
	if l.WAN != nil {
		out = append(out, l.WAN)
	}
	if l.Switch != nil && l.Switch != l.WAN {
		out = append(out, l.Switch)
	}
	return out
}

// Namespaces lists every namespace built so far: directors, client, peer,
// switches, servers.
func (l *HALab) Namespaces() []*NS {
	var all []*NS
	for _, d := range l.Directors {
		if d != nil {
			all = append(all, d)
		}
	}
	if l.Client != nil {
		all = append(all, l.Client)
	}
	if l.Peer != nil {
		all = append(all, l.Peer)
	}
	for _, sw := range l.switches() {
		all = append(all, sw.NS)
	}
	for _, s := range l.Servers {
		all = append(all, s.NS)
	}
	return all
}

// Describe returns links, addresses, routes and neighbours of every
// namespace: what to print when a test fails.
func (l *HALab) Describe() string {
	var b strings.Builder
	for _, ns := range l.Namespaces() {
		fmt.Fprintf(&b, "--- netns %s\n", ns.Name)
		for _, args := range [][]string{{"-br", "link"}, {"-br", "addr"}, {"route"}, {"neigh"}} {
			out, _ := ns.IP(args...)
			b.WriteString(out)
		}
	}
	return b.String()
}

// Close stops the servers, runs Cleanup and deletes every namespace (stop
// the directors first), as Hosts.Close does, reporting processes left in
// any of them.
func (l *HALab) Close() error {
	errs := []error{l.Hosts.Close()}
	var extra []*NS
	if l.Directors[1] != nil {
		extra = append(extra, l.Directors[1])
	}
	if l.Peer != nil {
		extra = append(extra, l.Peer)
	}
	if l.WAN != nil && l.WAN != l.Switch {
		extra = append(extra, l.WAN.NS)
	}
	for _, ns := range extra {
		if pids := killNSProcs(ns.Name); len(pids) > 0 {
			errs = append(errs, fmt.Errorf("netns %s still had processes %v at close (killed)", ns.Name, pids))
		}
		errs = append(errs, ns.Close())
	}
	return errors.Join(errs...)
}
