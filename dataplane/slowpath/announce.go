package slowpath

import (
	"fmt"
	"time"
)

// Announce sends at once times gratuitous ARPs ("who-has ip tell ip", as
// keepalived sends on becoming master) for each of ips from the port that
// owns it: a port address or an active VIP. They go out in rounds, one per
// address each, back to back (keepalived's garp_master_repeat). A standby
// or unknown address, or times below 1, is refused whole, before anything
// is sent. Frames the wire refuses are retried by the next Ticks, as the
// announcements of a new view.
func (s *SlowPath) Announce(ips []uint32, times int, now time.Time) error {
	if times < 1 {
		return fmt.Errorf("announce: %d gratuitous ARPs per address, want at least 1", times)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
	round := make([]announcement, 0, len(ips))
	for _, ip := range ips {
		port, err := s.announcer(ip)
		if err != nil {
			return err
		}
		round = append(round, announcement{port: port, ip: ip})
	}
	for range times {
		s.garps = append(s.garps, round...)
	}
	s.announce()
	return nil
}

// announcer is the port that announces ip.
func (s *SlowPath) announcer(ip uint32) (int, error) {
	for i, p := range s.view.Ports {
		if p.IP != 0 && p.IP == ip {
			return i, nil
		}
	}
	port, ok := s.view.VIPs[ip]
	switch {
	case !ok:
		return 0, fmt.Errorf("announce %v: neither a port address nor a VIP", ipString(ip))
	case s.view.Standby[ip]:
		return 0, fmt.Errorf("announce %v: the VIP is standby", ipString(ip))
	}
	return port, nil
}
