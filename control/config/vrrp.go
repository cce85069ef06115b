package config

import (
	"net/netip"
	"time"
)

// VRRP is the failover section: keepalived's vrrp_script, vrrp_instance
// and vrrp_sync_group blocks.
type VRRP struct {
	// NotifyTimeout kills a notify command that runs longer.
	NotifyTimeout time.Duration
	Scripts       []VRRPScript
	Instances     []VRRPInstance
	SyncGroups    []VRRPSyncGroup
}

// VRRPInstance is one VRRP instance (keepalived's vrrp_instance): the
// director holds its virtual addresses only while it is MASTER.
type VRRPInstance struct {
	Name     string
	VRID     int
	Port     string // the port whose kernel-side interface carries the adverts
	Version  int    // 2 (RFC 3768) or 3 (RFC 5798)
	Priority int    // 1..255; 255 = address owner
	// AdvertInterval: whole seconds in version 2, 10ms steps in 3.
	AdvertInterval time.Duration
	State          string // initial: BACKUP or MASTER
	Nopreempt      bool
	PreemptDelay   time.Duration
	AuthPass       string // version 2 PASS authentication; empty: none
	UnicastPeers   []netip.Addr
	// VirtualAddresses are the addresses it moves, each in the port's
	// subnet: service VIPs, or floating addresses that are no VIP (the
	// real servers' NAT gateway).
	VirtualAddresses []netip.Addr
	// UseVMAC answers the addresses' ARP with 00:00:5e:00:01:VRID.
	UseVMAC bool
	GARP    GARP
	// TrackPorts and TrackScripts change the priority or force FAULT.
	TrackPorts   []TrackPort
	TrackScripts []TrackScript
	// TrackDataplane puts the instance in FAULT while the fast path does
	// not forward: a stalled worker lcore or a port whose link is down.
	TrackDataplane bool
	Notify         VRRPNotify
}

// GARP is keepalived's gratuitous ARP timing for a new master.
type GARP struct {
	Delay         time.Duration // garp_master_delay: a second batch this long after the first; 0: none
	Repeat        int           // garp_master_repeat: gratuitous ARPs per address per batch
	Refresh       time.Duration // garp_master_refresh: a batch this often while master; 0: off
	RefreshRepeat int           // garp_master_refresh_repeat
}

// TrackPort follows a port's link: down with weight 0 is FAULT; otherwise
// the weight moves the priority (keepalived's track_interface).
type TrackPort struct {
	Port   string
	Weight int
}

// TrackScript follows a vrrp script's verdict. The loader fills Weight from
// the script's when the instance does not set it.
type TrackScript struct {
	Name   string
	Weight int
}

// VRRPScript is keepalived's vrrp_script: a command (/bin/sh -c) run every
// Interval; exit 0 is success.
type VRRPScript struct {
	Name     string
	Command  string
	Interval time.Duration
	Timeout  time.Duration // the loader's default: Interval
	Weight   int           // default for the instances tracking it
	Rise     int           // successes that bring it up
	Fall     int           // failures that bring it down
	InitFail bool          // starts down instead of up
}

// VRRPNotify are the commands (/bin/sh -c) run on transitions. Generic
// gets keepalived's arguments: INSTANCE|GROUP name STATE priority.
type VRRPNotify struct {
	Master, Backup, Fault, Stop, Generic string
}

// VRRPSyncGroup moves its instances together (keepalived's
// vrrp_sync_group): one becoming MASTER takes the others with it.
type VRRPSyncGroup struct {
	Name      string
	Instances []string
	Notify    VRRPNotify
}

// keepalived's defaults.
const (
	defaultVRRPNotifyTimeout = 10 * time.Second
	defaultGARPDelay         = 5 * time.Second
	defaultGARPRepeat        = 5
	defaultGARPRefreshRepeat = 1
	defaultScriptInterval    = time.Second
)

func defaultVRRPInstance() VRRPInstance {
	return VRRPInstance{Version: 2, Priority: 100, AdvertInterval: time.Second, State: "BACKUP", TrackDataplane: true,
		GARP: GARP{Delay: defaultGARPDelay, Repeat: defaultGARPRepeat, RefreshRepeat: defaultGARPRefreshRepeat}}
}

func defaultVRRPScript() VRRPScript {
	return VRRPScript{Interval: defaultScriptInterval, Rise: 1, Fall: 1}
}
