package main

import (
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// syncSource is a daemon whose connection sync is a master following a
// VRRP instance, with drops and a peer heard.
type syncSource struct{ fakeSource }

func (syncSource) Sync() admin.SyncStatus {
	return admin.SyncStatus{Enabled: true, Role: "master", Follows: "instance VI_WAN", SyncID: 3, Port: "wan", Interface: "govs-wan",
		Group: "224.0.0.81", UDPPort: 8848, Authenticated: true, Since: time.Now().Add(-time.Minute),
		Sender: admin.SyncSender{Messages: 10, Records: 400, Bytes: 25000, Queued: 2, LagMs: 1.5, Dropped: map[string]uint64{"queue_full": 7}},
		Receiver: admin.SyncReceiver{Messages: 1, Rejected: map[string]uint64{"auth": 3},
			Peers: []admin.SyncPeer{{Address: "10.0.0.2", Messages: 1, LastSeq: 99}}}}
}

func TestSyncCommand(t *testing.T) {
	sock := daemon(t, syncSource{})
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-s", sock, "sync"}, []string{
			"role:     master since 1m0s (follows instance VI_WAN), sync id 3\n",
			"port:     wan (interface govs-wan) to 224.0.0.81:8848\n",
			"sent:     10 messages, 400 records, 25000 bytes; queued 2, lag 1.5ms\n",
			"dropped:  queue_full 7\n",
			"rejected: auth 3\n",
			"10.0.0.2  1         99",
		}},
		{[]string{"-s", sock, "sync", "-json"}, []string{`"role": "master"`, `"follows": "instance VI_WAN"`, `"queue_full": 7`, `"last_seq": 99`}},
	} {
		code, out, errOut := runCtl(tc.args...)
		for _, w := range tc.want {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("govsctl %q: exit %d, stdout\n%s\nstderr %s\nwant %q", tc.args, code, out, errOut, w)
			}
		}
	}
	// A daemon without sync says so, in text and JSON.
	sock = daemon(t, fakeSource{})
	if code, out, _ := runCtl("-s", sock, "sync"); code != 0 || out != "connection sync not configured\n" {
		t.Errorf("without sync: exit %d, %q", code, out)
	}
	if code, out, _ := runCtl("-s", sock, "sync", "-json"); code != 0 || !strings.Contains(out, `"enabled": false`) {
		t.Errorf("without sync -json: exit %d, %q", code, out)
	}
	if code, _, errOut := runCtl("-s", sock, "sync", "extra"); code == 0 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("extra argument: exit %d, %q", code, errOut)
	}
}
