package dataplane

import (
	"fmt"
	"net/netip"
	"time"
)

// Announce sends one gratuitous ARP ("who-has addr tell addr") for each
// of addrs from the port that owns it, counted as the slow path's
// garp_sent: what a VRRP instance does on becoming MASTER. Each address
// must be a port address or an active (not standby) VIP of the running
// configuration; otherwise nothing is sent. An address with a virtual MAC
// (Spec.VirtualMACs) is announced with it, others with their port's MAC.
func (dp *Dataplane) Announce(addrs []netip.Addr) error {
	return dp.AnnounceTimes(addrs, 1)
}

// MaxAnnounceTimes bounds AnnounceTimes' repeat count.
const MaxAnnounceTimes = 100

// AnnounceTimes sends times gratuitous ARPs for each of addrs, back to back
// (keepalived's garp_master_repeat), with the same rules as Announce.
func (dp *Dataplane) AnnounceTimes(addrs []netip.Addr, times int) error {
	if times < 1 || times > MaxAnnounceTimes {
		return fmt.Errorf("announce: %d gratuitous ARPs per address, want 1..%d", times, MaxAnnounceTimes)
	}
	ips, err := announceIPs(addrs)
	if err != nil {
		return err
	}
	return dp.slow.sp.Announce(ips, times, time.Now())
}

func announceIPs(addrs []netip.Addr) ([]uint32, error) {
	ips := make([]uint32, len(addrs))
	for i, a := range addrs {
		if !a.Is4() {
			return nil, fmt.Errorf("announce %v: not an IPv4 address", a)
		}
		ips[i] = addrU32(a)
	}
	return ips, nil
}
