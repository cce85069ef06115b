package dataplane

import (
	"fmt"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
)

// Connection synchronisation (issue 12): each worker has two sync rings
// (Options.SyncRing records each). While SetSyncSend(true), the lcores
// emit records of the connections worth syncing (IPVS's sync_threshold
// rules, Spec.Sync) on their outbound ring and the daemon takes them
// (SyncTake); the records a backup received go to the lcore owning each
// flow (SyncDeliver), which enters them between bursts. The full-table
// resync reads the tables as the connection listing does (SyncTable).

// SyncRecord is one connection or template between the lcores and the
// sync daemon.
type SyncRecord = fastpath.SyncRecord

// SyncCounters sums the workers' sync counters.
type SyncCounters struct {
	Emitted, RingFull, Inserted, Updated uint64
	Rejected                             map[string]uint64 // received records the lcores refused, by reason
	OutPending, InPending                int               // records waiting in the rings now
}

// SyncEnabled: the workers have sync rings.
func (dp *Dataplane) SyncEnabled() bool { return len(dp.syncOut) > 0 }

func (dp *Dataplane) syncRings(mem fastpath.Memory, worker, socket int) (out, in *fastpath.SyncRing, err error) {
	if dp.opts.SyncRing == 0 {
		return nil, nil, nil
	}
	if out, err = fastpath.NewSyncRing(mem, fmt.Sprintf("govs_sync_out_%d", worker), dp.opts.SyncRing, socket); err != nil {
		return nil, nil, err
	}
	dp.syncOut = append(dp.syncOut, out)
	if in, err = fastpath.NewSyncRing(mem, fmt.Sprintf("govs_sync_in_%d", worker), dp.opts.SyncRing, socket); err != nil {
		return nil, nil, err
	}
	dp.syncIn = append(dp.syncIn, in)
	return out, in, nil
}

// SetSyncSend makes the lcores emit sync records (this director is the
// sync master) or stop, from their next burst.
func (dp *Dataplane) SetSyncSend(on bool) {
	if dp.SyncEnabled() {
		dp.sh.SetSyncSend(on)
	}
}

// SyncTake moves up to len(out) emitted records off the workers' rings,
// each worker's in order, and returns how many.
func (dp *Dataplane) SyncTake(out []SyncRecord) int {
	dp.syncMu.Lock()
	defer dp.syncMu.Unlock()
	n := 0
	for _, r := range dp.syncOut {
		n += r.Take(out[n:])
	}
	return n
}

// SyncDeliver hands received records to the lcores that own their flows
// (a template with per-port flow affinity to every lcore) and returns how
// many were taken; the rest found their lcore's ring full.
func (dp *Dataplane) SyncDeliver(recs []SyncRecord) int {
	if !dp.SyncEnabled() || len(recs) == 0 {
		return 0
	}
	dp.syncMu.Lock()
	defer dp.syncMu.Unlock()
	owner := make([]uint16, len(recs))
	dp.sh.SyncOwners(recs, owner)
	per := make([][]SyncRecord, len(dp.syncIn))
	for i, o := range owner {
		if int(o) < len(per) {
			per[o] = append(per[o], recs[i])
			continue
		}
		for w := range per { // fastpath.AllWorkers
			per[w] = append(per[w], recs[i])
		}
	}
	taken := 0
	for w, rs := range per {
		taken += dp.syncIn[w].Put(rs)
	}
	return min(taken, len(recs))
}

// SyncTable reads up to max records for the full-table resync, starting
// at cursor (the zero cursor is the beginning): the connections a backup
// would be sent (established or closing TCP, UDP) and the templates, each
// with what is left of its timeout.
func (dp *Dataplane) SyncTable(cursor ConnCursor, max int) (recs []SyncRecord, next ConnCursor, done bool) {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	if dp.stopped {
		return nil, cursor, true
	}
	tables := make([]dumper, len(dp.workers))
	for i, w := range dp.workers {
		tables[i] = w.DumpConns
	}
	return syncTable(tables, cursor, max)
}

// syncTable reads tables from cursor until max records, the scan budget
// of one listing page or the last table's end.
func syncTable(tables []dumper, cursor ConnCursor, max int) (recs []SyncRecord, next ConnCursor, done bool) {
	budget := connScanBudget
	for cursor.Worker < len(tables) && len(recs) < max && budget > 0 {
		start := cursor.Index
		page := tables[cursor.Worker](start, max-len(recs), budget)
		budget -= int(page.Next - start)
		for _, c := range page.Conns {
			if r, ok := syncRecordOf(c); ok {
				recs = append(recs, r)
			}
		}
		cursor.Index = page.Next
		if page.Done {
			cursor = ConnCursor{Worker: cursor.Worker + 1}
		}
	}
	return recs, cursor, cursor.Worker >= len(tables)
}

// syncRecordOf is c as a resync record, unless a backup has no use for it.
func syncRecordOf(c fastpath.DumpedConn) (SyncRecord, bool) {
	if c.ExpiresInMs <= 0 {
		return SyncRecord{}, false
	}
	if !c.Template && c.Proto == packet.ProtoTCP && !fastpath.SyncedTCPState(c.State) {
		return SyncRecord{}, false
	}
	return SyncRecord{ClientIP: c.ClientIP, VIP: c.VIP, RSIP: c.RSIP, ClientPort: c.ClientPort, VPort: c.VPort,
		RSPort: c.RSPort, Proto: c.Proto, State: c.State, Method: c.Method, Template: c.Template,
		TimeoutMs: uint32(c.ExpiresInMs)}, true
}

// SyncCounters sums the workers' sync counters.
func (dp *Dataplane) SyncCounters() SyncCounters {
	s := SyncCounters{Rejected: map[string]uint64{}}
	for _, w := range dp.workers {
		st := w.Counters().Lcore()
		s.Emitted += st.SyncEmitted
		s.RingFull += st.SyncRingFull
		s.Inserted += st.SyncInserted
		s.Updated += st.SyncUpdated
		for i, n := range st.SyncRejected {
			s.Rejected[fastpath.SyncRejectName(i)] += n
		}
	}
	for _, r := range dp.syncOut {
		s.OutPending += r.Pending()
	}
	for _, r := range dp.syncIn {
		s.InPending += r.Pending()
	}
	return s
}
