package daemon

import (
	"github.com/govs-project/govs/control/admin"
)

// Sync is connection sync's state and counters for /v1/sync and the
// metrics: the sender's and receiver's own, with what the lcores counted
// (records their full ring refused, received records they refused).
func (d *Daemon) Sync() admin.SyncStatus {
	s := d.syncer.Load()
	if s == nil {
		return admin.SyncStatus{Enabled: false, Role: "off"}
	}
	sc := s.cfg
	st := admin.SyncStatus{Enabled: true, Role: "backup", Follows: s.follows(), SyncID: sc.SyncID, Port: sc.Port,
		Interface: s.ifname, UDPPort: sc.UDPPort, Authenticated: len(sc.AuthKey) > 0}
	if s.master.Load() {
		st.Role = "master"
	}
	if sc.Multicast() {
		st.Group = sc.Group.String()
	}
	for _, p := range sc.UnicastPeers {
		st.Peers = append(st.Peers, p.String())
	}
	s.mu.Lock()
	st.Since, st.Sender.LastResync, st.Sender.ResyncRuns = s.since, s.lastResync, s.resyncRuns
	s.mu.Unlock()

	ss := s.sender.Stats()
	st.Sender.Messages, st.Sender.Records, st.Sender.Bytes = ss.Messages, ss.Records, ss.Bytes
	st.Sender.ResyncRecords, st.Sender.Queued, st.Sender.ResyncQueued = ss.ResyncRecords, ss.Queued, ss.ResyncQueued
	st.Sender.LagMs = float64(ss.OldestQueued.Microseconds()) / 1000
	st.Sender.Dropped = ss.Dropped

	rs := s.recv.Stats()
	st.Receiver.Messages, st.Receiver.Records, st.Receiver.Inserted = rs.Messages, rs.Records, rs.Inserted
	st.Receiver.Rejected, st.Receiver.LastMessage = rs.Rejected, rs.LastMessage
	for _, p := range rs.Peers {
		st.Receiver.Peers = append(st.Receiver.Peers, admin.SyncPeer{Address: p.Addr.String(), Messages: p.Messages,
			LastSeq: p.LastSeq, LastSeen: p.LastSeen})
	}
	s.withSync(func(sd syncDataplane) {
		c := sd.SyncCounters()
		if c.RingFull > 0 {
			if st.Sender.Dropped == nil {
				st.Sender.Dropped = map[string]uint64{}
			}
			st.Sender.Dropped["ring_full"] = c.RingFull
		}
		for why, n := range c.Rejected {
			if n == 0 {
				continue
			}
			if st.Receiver.Rejected == nil {
				st.Receiver.Rejected = map[string]uint64{}
			}
			st.Receiver.Rejected["lcore_"+why] += n
		}
		// what the lcores entered is what counts as inserted
		st.Receiver.Inserted = c.Inserted + c.Updated
	})
	return st
}
