package fastpath

/*
#include "fp_internal.h"
*/
import "C"

// SetSyncSend makes the harness worker emit sync records (a master) or not.
func (hs *Harness) SetSyncSend(on bool) { hs.sh.SetSyncSend(on) }

// SyncEmitted takes every record the worker emitted since the last call.
func (hs *Harness) SyncEmitted() []SyncRecord {
	out := make([]SyncRecord, hs.syncOut.Pending())
	return out[:hs.syncOut.Take(out)]
}

// SyncReceive hands records to the worker as a backup's daemon does (its
// inbound sync ring) and lets it enter them as its loop does between
// bursts; it returns how many the ring took.
func (hs *Harness) SyncReceive(recs []SyncRecord) int {
	n := hs.syncIn.Put(recs)
	C.fp_worker_begin(hs.w.ptr)
	for hs.syncIn.Pending() > 0 {
		C.fp_sync_apply_pending(hs.w.ptr)
	}
	return n
}

// SyncTake takes up to len(out) emitted records, as the daemon's pump does
// (one goroutine at a time; it may run while Bench does).
func (hs *Harness) SyncTake(out []SyncRecord) int { return hs.syncOut.Take(out) }
