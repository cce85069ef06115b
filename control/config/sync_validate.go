package config

import (
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/govs-project/govs/control/connsync"
)

// Limits of the sync section. The threshold rule is the kernel's
// (proc_do_sync_threshold: 0 <= threshold, 0 <= period, threshold < period
// unless period is 0); period and threshold fit the one-byte packet count
// the fast path keeps per connection. Message size, key length and replay
// window are the protocol's (control/connsync).
const (
	maxSyncID         = 255
	maxSyncCount      = 255
	minSyncMessage    = 256
	maxSyncMessage    = connsync.MaxMessage
	maxSyncRate       = 10_000_000
	maxSyncQueue      = 1 << 24
	minSyncResync     = time.Second
	maxSyncResync     = 24 * time.Hour
	minSyncFlushDelay = time.Millisecond
	maxSyncFlushDelay = time.Second
	minSyncKey        = connsync.MinKeyLen
	maxReplayWindow   = connsync.MaxReplayWindow
)

func (c *Config) validateSync(p *problems) {
	s := c.Sync
	if !s.Enabled {
		return
	}
	c.validateSyncPort(p, s)
	c.validateSyncRole(p, s)
	checkInt(p, "sync.sync_id", s.SyncID, 0, maxSyncID)
	c.validateSyncDestination(p, s)
	checkInt(p, "sync.udp_port", s.UDPPort, 1, 65535)
	checkInt(p, "sync.ttl", s.TTL, 1, 255)
	validateSyncPacing(p, s)
	validateSyncAuth(p, s)
}

func (c *Config) validateSyncPort(p *problems, s Sync) {
	port := slices.IndexFunc(c.Ports, func(pt Port) bool { return pt.Name == s.Port })
	switch {
	case s.Port == "":
		p.add("sync.port", "required: the name of the port whose kernel interface carries the sync messages")
	case port < 0:
		p.add("sync.port", "no port named %q", s.Port)
	case !c.Ports[port].Kernel.Enabled:
		p.add("sync.port", "port %q has no kernel interface (kernel_interface.enabled: false); connection sync needs it", s.Port)
	}
}

// validateSyncRole: exactly one of vrrp_instance, vrrp_sync_group, role.
func (c *Config) validateSyncRole(p *problems, s Sync) {
	var set []string
	if s.VRRPInstance != "" {
		set = append(set, "vrrp_instance")
		if !slices.ContainsFunc(c.VRRP.Instances, func(in VRRPInstance) bool { return in.Name == s.VRRPInstance }) {
			p.add("sync.vrrp_instance", "no instance named %q in vrrp.instances", s.VRRPInstance)
		}
	}
	if s.VRRPSyncGroup != "" {
		set = append(set, "vrrp_sync_group")
		if !slices.ContainsFunc(c.VRRP.SyncGroups, func(g VRRPSyncGroup) bool { return g.Name == s.VRRPSyncGroup }) {
			p.add("sync.vrrp_sync_group", "no sync group named %q in vrrp.sync_groups", s.VRRPSyncGroup)
		}
	}
	if s.Role != "" {
		set = append(set, "role")
		if r := strings.ToLower(s.Role); r != "master" && r != "backup" {
			p.add("sync.role", "must be master or backup, got %q", s.Role)
		}
	}
	switch len(set) {
	case 0:
		p.add("sync", "required: one of vrrp_instance (follow a VRRP instance), vrrp_sync_group (follow a sync group) or role (master or backup, without VRRP)")
	case 1:
	default:
		p.add("sync."+set[1], "conflicts with sync.%s: set exactly one of vrrp_instance, vrrp_sync_group and role", set[0])
	}
}

// validateSyncDestination: a multicast group, or unicast peers that are
// not ours; not both.
func (c *Config) validateSyncDestination(p *problems, s Sync) {
	switch {
	case len(s.UnicastPeers) > 0 && s.Group.IsValid():
		p.add("sync.group", "set either group (multicast) or unicast_peers, not both")
	case len(s.UnicastPeers) == 0 && !s.Group.IsValid():
		p.add("sync.group", "required: a multicast group like %v, or unicast_peers", DefaultSyncGroup)
	case s.Group.IsValid() && (!s.Group.Is4() || !s.Group.IsMulticast()):
		p.add("sync.group", "%v is not an IPv4 multicast address (224.0.0.0/4) like %v", s.Group, DefaultSyncGroup)
	}
	for i, a := range s.UnicastPeers {
		path := idx("sync.unicast_peers", i)
		switch {
		case !isUnicast(a):
			p.add(path, "%v is not a unicast address", a)
		case slices.Index(s.UnicastPeers, a) < i:
			p.add(path, "%v is listed twice", a)
		default:
			if j, ours := c.portWithAddress(a); ours {
				p.add(path, "%v is the address of port %s: a peer is the other director", a, c.Ports[j].Name)
			}
		}
	}
}

func isUnicast(a netip.Addr) bool {
	return a.Is4() && !a.IsMulticast() && !a.IsUnspecified() && !a.IsLoopback() && a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

func validateSyncPacing(p *problems, s Sync) {
	checkInt(p, "sync.period", s.Period, 0, maxSyncCount)
	switch {
	case s.Threshold < 0 || s.Threshold > maxSyncCount:
		checkInt(p, "sync.threshold", s.Threshold, 0, maxSyncCount)
	case s.Period > 0 && s.Threshold >= s.Period:
		p.add("sync.threshold", "must be below period (%d) as IPVS's sync_threshold, got %d", s.Period, s.Threshold)
	}
	if s.ResyncPeriod != 0 && (s.ResyncPeriod < minSyncResync || s.ResyncPeriod > maxSyncResync) {
		p.add("sync.resync_period", "must be 0s (off) or between %v and %v, got %v", minSyncResync, maxSyncResync, s.ResyncPeriod)
	}
	checkInt(p, "sync.resync_rate", s.ResyncRate, 1, maxSyncRate)
	checkInt(p, "sync.max_rate", s.MaxRate, 1, maxSyncRate)
	checkInt(p, "sync.queue", s.Queue, 1, maxSyncQueue)
	if s.MaxMessage != 0 && (s.MaxMessage < minSyncMessage || s.MaxMessage > maxSyncMessage) {
		p.add("sync.max_message", "must be 0 (the port's MTU - 28) or between %d and %d bytes, got %d", minSyncMessage, maxSyncMessage, s.MaxMessage)
	}
	if s.FlushDelay < minSyncFlushDelay || s.FlushDelay > maxSyncFlushDelay {
		p.add("sync.flush_delay", "must be between %v and %v, got %v", minSyncFlushDelay, maxSyncFlushDelay, s.FlushDelay)
	}
}

func validateSyncAuth(p *problems, s Sync) {
	switch {
	case s.AuthKeyFile != "" && !filepath.IsAbs(s.AuthKeyFile):
		p.add("sync.auth_key_file", "%q must be an absolute path", s.AuthKeyFile)
	case s.AuthKeyFile != "" && len(s.AuthKey) < minSyncKey:
		p.add("sync.auth_key_file", "the key is %d bytes, at least %d are needed", len(s.AuthKey), minSyncKey)
	case s.AuthKeyFile == "" && len(s.AuthKey) > 0 && len(s.AuthKey) < minSyncKey:
		p.add("sync.auth_key_file", "the key set in code is %d bytes, at least %d are needed", len(s.AuthKey), minSyncKey)
	}
	checkInt(p, "sync.replay_window", s.ReplayWindow, 1, maxReplayWindow)
}
