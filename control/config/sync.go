package config

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/govs-project/govs/control/connsync"
)

// Sync is the connection synchronisation section: IPVS's sync daemon, run
// as keepalived's lvs_sync_daemon runs it (following a VRRP instance or
// sync group), or with a fixed role as ipvsadm --start-daemon does.
type Sync struct {
	// Enabled: the file has a sync section. A config built in code sets it.
	Enabled bool
	Port    string // its kernel-side interface carries the messages
	// Exactly one of the three: sender while the instance (or group) is
	// MASTER and receiver otherwise, or the fixed Role.
	VRRPInstance  string
	VRRPSyncGroup string
	Role          string // "master" or "backup"; "" when following VRRP
	SyncID        int    // IPVS syncid 0..255: messages of another id are dropped
	// Group is the IPv4 multicast group; invalid (zero) with UnicastPeers.
	Group        netip.Addr
	UnicastPeers []netip.Addr
	UDPPort      int
	TTL          int
	// Threshold and Period are IPVS's sync_threshold pair: a connection is
	// sent when its client packet count % Period == Threshold; Period 0
	// sends it once, at Threshold.
	Threshold int
	Period    int
	// ResyncPeriod: the whole table is resent this often while sending;
	// 0: never. ResyncRate bounds that resync in records/s.
	ResyncPeriod time.Duration
	ResyncRate   int
	MaxRate      int // records/s of incremental sync at most
	Queue        int // records waiting to be sent at most; beyond, dropped and counted
	// MaxMessage is the datagram payload in bytes; 0: the port's MTU - 28
	// (IPv4 and UDP headers), see MessageSize.
	MaxMessage   int
	FlushDelay   time.Duration // a partly filled message waits at most this long
	AuthKeyFile  string
	AuthKey      SyncKey // read from AuthKeyFile at load; nil: IPVS's unauthenticated messages
	ReplayWindow int     // sequence numbers remembered per sender (1..64)
}

// SyncKey is the shared secret of the sync messages. It formats as its
// length only, so a logged or printed configuration never shows it.
type SyncKey []byte

// Format implements fmt.Formatter for every verb (%v, %s, %x, %#v...).
func (k SyncKey) Format(f fmt.State, _ rune) {
	if k == nil {
		fmt.Fprint(f, "none")
		return
	}
	fmt.Fprintf(f, "[%d-byte key]", len(k))
}

// MarshalText keeps the key out of JSON and YAML dumps too.
func (k SyncKey) MarshalText() ([]byte, error) { return []byte(fmt.Sprint(k)), nil }

// FollowsVRRP reports whether the role comes from VRRP rather than Role.
func (s Sync) FollowsVRRP() bool { return s.VRRPInstance != "" || s.VRRPSyncGroup != "" }

// Multicast reports whether messages go to Group rather than UnicastPeers.
func (s Sync) Multicast() bool { return len(s.UnicastPeers) == 0 }

// MessageSize is the datagram payload to use on a port of the given MTU.
func (s Sync) MessageSize(mtu int) int {
	if s.MaxMessage != 0 {
		return s.MaxMessage
	}
	return mtu - ipUDPHeaders
}

// ipUDPHeaders are an IPv4 header without options and a UDP header.
const ipUDPHeaders = 20 + 8

// Defaults are IPVS's (224.0.0.81:8848, TTL 1, sync_threshold 3 50,
// syncid 0) plus govs's pacing, resync and replay window.
var (
	DefaultSyncGroup = connsync.DefaultGroup
)

const (
	DefaultSyncUDPPort      = connsync.DefaultPort
	defaultSyncTTL          = 1
	defaultSyncThreshold    = 3
	defaultSyncPeriod       = 50
	defaultSyncResyncPeriod = 30 * time.Second
	defaultSyncResyncRate   = 20000
	defaultSyncMaxRate      = 100000
	defaultSyncQueue        = 65536
	defaultSyncFlushDelay   = 10 * time.Millisecond
	defaultSyncReplayWindow = 64
)

// DefaultSync is an enabled section with every default; Port and the role
// (VRRPInstance, VRRPSyncGroup or Role) are left to the caller.
func DefaultSync() Sync {
	return Sync{
		Enabled: true, Group: DefaultSyncGroup, UDPPort: DefaultSyncUDPPort, TTL: defaultSyncTTL,
		Threshold: defaultSyncThreshold, Period: defaultSyncPeriod,
		ResyncPeriod: defaultSyncResyncPeriod, ResyncRate: defaultSyncResyncRate, MaxRate: defaultSyncMaxRate,
		Queue: defaultSyncQueue, FlushDelay: defaultSyncFlushDelay, ReplayWindow: defaultSyncReplayWindow,
	}
}
