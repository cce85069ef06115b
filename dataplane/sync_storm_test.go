package dataplane

import (
	"net/netip"
	"testing"

	"github.com/govs-project/govs/dataplane/fastpath"
)

// TestSyncStormRepairedByResync: a storm of new connections through a
// master whose sync ring is far too small for it. The lcore never waits:
// what does not fit is counted (ring_full); the backup holds what got
// through, and one full-table resync (read from the master's table as
// the daemon's resync does) brings it to the master's count.
func TestSyncStormRepairedByResync(t *testing.T) {
	const flows = 20000
	spec := testSpec()
	spec.Sync = SyncRules{Threshold: 3, Period: 50}
	spec.Ports[0].Gateway = wanGateway
	master := newRigWith(t, fastpath.HarnessConfig{ConnCapacity: 2 * flows, SyncRing: 1024}, spec)
	master.learn(wanGateway, macClient, 0)
	master.h.SetSyncSend(true)
	backup := newRigWith(t, fastpath.HarnessConfig{ConnCapacity: 2 * flows, SyncRing: 1 << 12}, spec)

	var got []fastpath.SyncRecord
	for i := range flows {
		c := netip.AddrFrom4([4]byte{10, 0, 1 + byte(i/60000), 2})
		sport := uint16(1024 + i%60000)
		for _, f := range []tcpFlags{flSYN, flACK, flACK} {
			if o := master.run(tcpSeg(t, macClient, macWAN, c, sport, vip, 80, f, "x"), 0); o.Verdict != fastpath.VerdictSent {
				t.Fatalf("flow %d: %v %v", i, o.Verdict, o.Drop)
			}
		}
		if i%5000 == 4999 { // the daemon's pump comes by now and then: late
			got = append(got, master.h.SyncEmitted()...)
		}
	}
	got = append(got, master.h.SyncEmitted()...)
	st := master.h.Counters().Lcore()
	if st.SyncEmitted+st.SyncRingFull != flows || st.SyncRingFull == 0 {
		t.Fatalf("emitted %d + ring full %d, want %d in all with overflow", st.SyncEmitted, st.SyncRingFull, flows)
	}
	deliver := func(recs []fastpath.SyncRecord) {
		for len(recs) > 0 {
			n := min(len(recs), 1<<12)
			backup.h.SyncReceive(recs[:n])
			recs = recs[n:]
		}
	}
	deliver(got)
	before := backup.h.Counters().Lcore().Live
	if before != uint64(len(got)) || before >= flows {
		t.Fatalf("backup holds %d after the incremental records (%d got through)", before, len(got))
	}
	var cursor ConnCursor
	for done := false; !done; {
		var recs []SyncRecord
		recs, cursor, done = syncTable([]dumper{master.h.DumpConns}, cursor, 1024)
		deliver(recs)
	}
	after := backup.h.Counters().Lcore()
	if after.Live < flows*99/100 || after.Live > flows {
		t.Fatalf("after the resync the backup holds %d of the master's %d connections (want within 1 %%)", after.Live, flows)
	}
	t.Logf("storm of %d connections: %d records through the ring, %d refused by it (counted); backup %d -> %d after one resync",
		flows, st.SyncEmitted, st.SyncRingFull, before, after.Live)
}
