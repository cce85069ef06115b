package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/govs-project/govs/control/admin"
)

// syncRoles are the values of govs_sync_role's role label.
var syncRoles = []string{"master", "backup", "off"}

// syncDescs are the connection sync series; a source without sync
// (admin.SyncSource), or with sync off, has none.
type syncDescs struct {
	role, sent, records, bytes, dropped, received, receivedRecords, inserted, rejected *prometheus.Desc
	queue, resyncQueue, lag, resyncRecords, resyncRuns, lastMessage                    *prometheus.Desc
}

func newSyncDescs() syncDescs {
	return syncDescs{
		role:            desc("sync_role", "1 for the connection sync daemon's current role (master: sending, backup: receiving, off), 0 for the others.", "role"),
		sent:            desc("sync_sent_messages_total", "Sync messages (datagrams) sent."),
		records:         desc("sync_sent_records_total", "Connection records sent, incremental and resync."),
		bytes:           desc("sync_sent_bytes_total", "Payload bytes of the sync messages sent."),
		dropped:         desc("sync_dropped_records_total", "Connection records that were never sent, by reason (queue_full, ring_full, send_error).", "reason"),
		received:        desc("sync_received_messages_total", "Valid sync messages received."),
		receivedRecords: desc("sync_received_records_total", "Connection records received in valid messages."),
		inserted:        desc("sync_inserted_records_total", "Received records entered into the connection tables."),
		rejected:        desc("sync_rejected_total", "Sync messages and records refused, by reason (authentication and replay included).", "reason"),
		queue:           desc("sync_queue_records", "Incremental records waiting to be sent."),
		resyncQueue:     desc("sync_resync_queue_records", "Resync records waiting to be sent."),
		lag:             desc("sync_lag_seconds", "Age of the oldest record waiting to be sent."),
		resyncRecords:   desc("sync_resync_records_total", "Records sent by full-table resyncs."),
		resyncRuns:      desc("sync_resync_runs_total", "Full-table resyncs started."),
		lastMessage:     desc("sync_last_received_timestamp_seconds", "Unix time of the last valid sync message received; 0: none yet."),
	}
}

func (s syncDescs) all() []*prometheus.Desc {
	return []*prometheus.Desc{s.role, s.sent, s.records, s.bytes, s.dropped, s.received, s.receivedRecords, s.inserted, s.rejected,
		s.queue, s.resyncQueue, s.lag, s.resyncRecords, s.resyncRuns, s.lastMessage}
}

func (s syncDescs) collect(ch chan<- prometheus.Metric, src Source) {
	ss, ok := src.(admin.SyncSource)
	if !ok {
		return
	}
	st := ss.Sync()
	if !st.Enabled {
		return
	}
	for _, r := range syncRoles {
		gauge(ch, s.role, boolValue(st.Role == r), r)
	}
	snd, rcv := st.Sender, st.Receiver
	counter(ch, s.sent, snd.Messages)
	counter(ch, s.records, snd.Records)
	counter(ch, s.bytes, snd.Bytes)
	for reason, n := range snd.Dropped {
		counter(ch, s.dropped, n, reason)
	}
	counter(ch, s.received, rcv.Messages)
	counter(ch, s.receivedRecords, rcv.Records)
	counter(ch, s.inserted, rcv.Inserted)
	for reason, n := range rcv.Rejected {
		counter(ch, s.rejected, n, reason)
	}
	gauge(ch, s.queue, float64(snd.Queued))
	gauge(ch, s.resyncQueue, float64(snd.ResyncQueued))
	gauge(ch, s.lag, snd.LagMs/1000)
	counter(ch, s.resyncRecords, snd.ResyncRecords)
	counter(ch, s.resyncRuns, snd.ResyncRuns)
	var last float64
	if !rcv.LastMessage.IsZero() {
		last = float64(rcv.LastMessage.UnixNano()) / 1e9
	}
	gauge(ch, s.lastMessage, last)
}
