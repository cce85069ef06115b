package admin

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleSync() SyncStatus {
	return SyncStatus{
		Enabled: true, Role: "master", Follows: "instance VI_WAN", SyncID: 7, Port: "wan", Interface: "govs-wan",
		Group: "224.0.0.81", UDPPort: 8848, Authenticated: true, Since: t0.Add(-90 * time.Second),
		Sender: SyncSender{Messages: 120, Records: 5400, Bytes: 310000, ResyncRecords: 20000, ResyncRuns: 2, Queued: 12, ResyncQueued: 300,
			LagMs: 3.5, LastResync: t0.Add(-25 * time.Second), Dropped: map[string]uint64{"send_error": 1, "queue_full": 40, "ring_full": 0}},
		Receiver: SyncReceiver{Messages: 5, Records: 40, Inserted: 38, Rejected: map[string]uint64{"replay": 1, "auth": 2, "sync_id": 4},
			LastMessage: t0.Add(-2 * time.Minute),
			Peers: []SyncPeer{{Address: "10.0.0.2", Messages: 4, LastSeq: 1234, LastSeen: t0.Add(-2 * time.Minute)},
				{Address: "10.0.0.3", Messages: 1, LastSeen: t0.Add(-time.Hour)}}},
	}
}

func TestFormatSync(t *testing.T) {
	var b bytes.Buffer
	if err := formatSync(&b, sampleSync(), t0); err != nil {
		t.Fatal(err)
	}
	golden(t, "sync", b.Bytes())

	// A fixed-role backup to unicast peers, unauthenticated, nothing yet.
	b.Reset()
	st := SyncStatus{Enabled: true, Role: "backup", Follows: "role", Port: "lan", Interface: "govs-lan", Peers: []string{"10.1.0.2", "10.1.0.3"}, UDPPort: 9000}
	if err := formatSync(&b, st, t0); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"role:     backup (fixed role), sync id 0\n",
		"port:     lan (interface govs-lan) to 10.1.0.2:9000, 10.1.0.3:9000\n",
		"auth:     none (IPVS messages, unauthenticated)\n",
		"resync:   0 runs, 0 records, queued 0, last never\n",
		"dropped:  none\n",
		"received: 0 messages, 0 records, 0 inserted, last never\n",
		"rejected: none\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("fixed backup: missing %q in\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "PEER") {
		t.Errorf("no peers heard, yet a peer table:\n%s", b.String())
	}

	b.Reset()
	if err := formatSync(&b, SyncStatus{}, t0); err != nil || b.String() != "connection sync not configured\n" {
		t.Errorf("off: %q %v", b.String(), err)
	}
}

// syncFake is a Source that also runs connection sync.
type syncFake struct {
	*fakeSource
	st SyncStatus
}

func (s syncFake) Sync() SyncStatus { return s.st }

func TestSyncOverTheSocket(t *testing.T) {
	path, _ := serve(t, syncFake{newFake(), sampleSync()}, nil)
	got, err := Dial(path).Sync()
	if err != nil || !reflect.DeepEqual(got, sampleSync()) {
		t.Fatalf("Sync() = %+v, %v", got, err)
	}
	// A source without sync, or with sync off, answers {"enabled":false}.
	for _, src := range []Source{newFake(), syncFake{newFake(), SyncStatus{Role: "master"}}} {
		path, _ = serve(t, src, nil)
		body, err := Dial(path).Do("GET", "/v1/sync")
		if err != nil || strings.Join(strings.Fields(string(body)), "") != `{"enabled":false}` {
			t.Errorf("without sync: %s, %v", body, err)
		}
		if st, err := Dial(path).Sync(); err != nil || st.Enabled {
			t.Errorf("without sync: %+v, %v", st, err)
		}
	}
}
