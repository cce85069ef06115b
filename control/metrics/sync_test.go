package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
)

type syncSource struct {
	scaleSource
	st admin.SyncStatus
}

func (s syncSource) Sync() admin.SyncStatus { return s.st }

func TestSyncSeries(t *testing.T) {
	last := time.Unix(1_800_000_000, 500_000_000)
	src := syncSource{st: admin.SyncStatus{Enabled: true, Role: "backup",
		Sender: admin.SyncSender{Messages: 10, Records: 400, Bytes: 25000, ResyncRecords: 300, ResyncRuns: 2, Queued: 5, ResyncQueued: 7, LagMs: 250,
			Dropped: map[string]uint64{"queue_full": 3, "ring_full": 1}},
		Receiver: admin.SyncReceiver{Messages: 6, Records: 90, Inserted: 88, Rejected: map[string]uint64{"auth": 2, "replay": 1}, LastMessage: last}}}
	got := vrrpSeries(t, src) // gathers every series, not only VRRP's
	for key, want := range map[string]float64{
		"govs_sync_role,backup": 1, "govs_sync_role,master": 0, "govs_sync_role,off": 0,
		"govs_sync_sent_messages_total": 10, "govs_sync_sent_records_total": 400, "govs_sync_sent_bytes_total": 25000,
		"govs_sync_dropped_records_total,queue_full": 3, "govs_sync_dropped_records_total,ring_full": 1,
		"govs_sync_received_messages_total": 6, "govs_sync_received_records_total": 90, "govs_sync_inserted_records_total": 88,
		"govs_sync_rejected_total,auth": 2, "govs_sync_rejected_total,replay": 1,
		"govs_sync_queue_records": 5, "govs_sync_resync_queue_records": 7, "govs_sync_lag_seconds": 0.25,
		"govs_sync_resync_records_total": 300, "govs_sync_resync_runs_total": 2,
		"govs_sync_last_received_timestamp_seconds": 1_800_000_000.5,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
		}
	}
	// Without sync, or with it off, no series.
	for _, s := range []Source{scaleSource{}, syncSource{st: admin.SyncStatus{Role: "master"}}} {
		for key := range vrrpSeries(t, s) {
			if strings.HasPrefix(key, "govs_sync_") {
				t.Errorf("%T without sync exports %s", s, key)
			}
		}
	}
}
