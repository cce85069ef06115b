package slowpath

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"time"
)

// announcement is a gratuitous ARP still to be sent.
type announcement struct {
	port     int
	ip       uint32
	attempts int
}

// Apply installs a new configuration: static entries become permanent,
// wanted next hops get an entry (resolved by the following Ticks), learned
// entries the new view no longer allows are deleted, and a new Gen (or the
// first view) queues gratuitous ARPs for the next Tick. An invalid view is
// refused whole and changes nothing.
func (s *SlowPath) Apply(v View, now time.Time) error {
	if err := v.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
	announce := !s.applied || v.Gen != s.view.Gen
	s.applied = true
	s.view = v.clone()
	s.own = ownAddresses(&s.view)
	s.applyStatic(now)
	s.applyWanted(now)
	s.purgeDisallowed()
	s.trimToLimit()
	if announce {
		s.garps = announcements(&s.view)
	}
	return nil
}

func (v *View) validate() error {
	checkPort := func(what string, ip uint32, port int) error {
		if ip == 0 {
			return fmt.Errorf("%s 0.0.0.0: not an address", what)
		}
		if port < 0 || port >= len(v.Ports) {
			return fmt.Errorf("%s %v: port %d out of range (%d ports)", what, ipString(ip), port, len(v.Ports))
		}
		return nil
	}
	for ip, port := range v.VIPs {
		if err := checkPort("vip", ip, port); err != nil {
			return err
		}
	}
	for ip := range v.Standby {
		if _, ok := v.VIPs[ip]; !ok {
			return fmt.Errorf("standby %v: not a VIP", ipString(ip))
		}
	}
	for ip, mac := range v.MACs {
		switch _, ok := v.VIPs[ip]; {
		case !ok:
			return fmt.Errorf("mac of %v: not a VIP", ipString(ip))
		case v.Standby[ip]:
			return fmt.Errorf("mac of %v: the VIP is standby", ipString(ip))
		case !usableMAC(mac):
			return fmt.Errorf("mac of %v: %v is not a unicast MAC", ipString(ip), net.HardwareAddr(mac[:]))
		}
	}
	for ip, port := range v.Wanted {
		if err := checkPort("wanted neighbour", ip, port); err != nil {
			return err
		}
	}
	for _, st := range v.Static {
		if err := checkPort("static neighbour", st.IP, st.Port); err != nil {
			return err
		}
	}
	return nil
}

// clone copies what the caller might still modify.
func (v *View) clone() View {
	c := *v
	c.Ports = slices.Clone(v.Ports)
	c.VIPs = maps.Clone(v.VIPs)
	c.Standby = maps.Clone(v.Standby)
	c.MACs = maps.Clone(v.MACs)
	c.Wanted = maps.Clone(v.Wanted)
	c.Static = slices.Clone(v.Static)
	return c
}

func ownAddresses(v *View) map[uint32]bool {
	own := make(map[uint32]bool, len(v.Ports)+len(v.VIPs))
	for _, p := range v.Ports {
		if p.IP != 0 {
			own[p.IP] = true
		}
	}
	for vip := range v.VIPs {
		own[vip] = true
	}
	return own
}

// announcements lists every port address and every active (not standby)
// VIP on its port, in a stable order (ports, then VIPs by address).
func announcements(v *View) []announcement {
	var out []announcement
	for i, p := range v.Ports {
		if p.IP != 0 {
			out = append(out, announcement{port: i, ip: p.IP})
		}
	}
	vips := slices.Sorted(maps.Keys(v.VIPs))
	for _, vip := range vips {
		if v.Standby[vip] {
			continue
		}
		out = append(out, announcement{port: v.VIPs[vip], ip: vip})
	}
	return out
}

// applyStatic makes the view's static entries permanent and deletes the
// ones it dropped.
func (s *SlowPath) applyStatic(now time.Time) {
	keep := make(map[uint32]bool, len(s.view.Static))
	for _, st := range s.view.Static {
		keep[st.IP] = true
	}
	for _, n := range s.table.byIP {
		if n.static && !keep[n.ip] {
			s.remove(n)
		}
	}
	for _, st := range s.view.Static {
		n := s.table.byIP[st.IP]
		if n == nil {
			n = s.table.add(st.IP, st.Port, now)
		}
		wasResolved := n.resolved
		n.static = true
		if !n.inMirror || n.mac != st.MAC || n.port != st.Port || !wasResolved {
			s.bind(n, st.MAC, st.Port, now) // an unchanged entry keeps its age
		}
		if !wasResolved {
			s.flush(n)
		}
		s.table.track(n)
	}
}

// applyWanted gives every wanted next hop an entry on its port; next hops
// no longer wanted become ordinary learned entries and age out as such.
func (s *SlowPath) applyWanted(now time.Time) {
	for _, n := range s.table.byIP {
		if _, still := s.view.Wanted[n.ip]; n.wanted && !still {
			n.wanted, n.revalidate = false, false
			s.table.track(n)
		}
	}
	for ip, port := range s.view.Wanted {
		n := s.table.byIP[ip]
		if n != nil && n.static {
			continue
		}
		if n != nil && n.port != port { // a binding on another port means nothing here
			s.remove(n)
			n = nil
		}
		if n == nil {
			n = s.table.add(ip, port, now)
		}
		n.wanted = true
		s.table.track(n)
	}
}

// purgeDisallowed deletes learned entries the new view would refuse to
// learn (an address that became a VIP, a port or subnet that changed).
func (s *SlowPath) purgeDisallowed() {
	for _, n := range s.table.byIP {
		if n.static || n.wanted {
			continue
		}
		if n.port >= len(s.view.Ports) || s.addressRefusal(n.ip, n.port) != accepted {
			s.remove(n)
		}
	}
}

func ipString(ip uint32) string {
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}).String()
}
