package config

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// decodeSync reads the sync section; an absent one leaves sync off.
func decodeSync(o *object, s *Sync) {
	if o.m == nil {
		return
	}
	*s = DefaultSync()
	o.str("port", &s.Port)
	o.str("vrrp_instance", &s.VRRPInstance)
	o.str("vrrp_sync_group", &s.VRRPSyncGroup)
	if o.str("role", &s.Role) {
		s.Role = strings.ToLower(s.Role) // the daemon compares with "master" and "backup"
	}
	o.int("sync_id", &s.SyncID, wideMin, wideMax)
	s.UnicastPeers = o.addrs("unicast_peers")
	if len(s.UnicastPeers) > 0 {
		s.Group = netip.Addr{} // unicast: no group unless the file names one (then Validate objects)
	}
	o.addr("group", &s.Group)
	o.int("udp_port", &s.UDPPort, wideMin, wideMax)
	o.int("ttl", &s.TTL, wideMin, wideMax)
	o.int("threshold", &s.Threshold, wideMin, wideMax)
	o.int("period", &s.Period, wideMin, wideMax)
	o.duration("resync_period", &s.ResyncPeriod)
	o.int("resync_rate", &s.ResyncRate, wideMin, wideMax)
	o.int("max_rate", &s.MaxRate, wideMin, wideMax)
	o.int("queue", &s.Queue, wideMin, wideMax)
	o.int("max_message", &s.MaxMessage, wideMin, wideMax)
	o.duration("flush_delay", &s.FlushDelay)
	if o.str("auth_key_file", &s.AuthKeyFile) && filepath.IsAbs(s.AuthKeyFile) {
		key, err := ReadSyncKey(s.AuthKeyFile)
		if err != nil {
			o.p.add(join(o.path, "auth_key_file"), "%v", err)
		}
		s.AuthKey = key
	}
	o.int("replay_window", &s.ReplayWindow, wideMin, wideMax)
	o.close()
}

// ReadSyncKey reads a key file: its bytes less one final newline (what
// `head -c 32 /dev/urandom | base64 > key` or an editor leaves). Too
// short a key is returned with an error, for the caller to report.
func ReadSyncKey(path string) (SyncKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the key: %w", err)
	}
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		data = bytes.TrimSuffix(data, []byte("\n"))
	} else {
		data = data[:len(data)-2]
	}
	key := SyncKey(data)
	if len(key) < minSyncKey {
		return key, fmt.Errorf("the key in %s is %d bytes, at least %d are needed (e.g. head -c 32 /dev/urandom | base64 > %s)",
			path, len(key), minSyncKey, path)
	}
	return key, nil
}
