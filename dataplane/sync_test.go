package dataplane

import (
	"testing"
	"time"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
)

// Connection sync through the harness: what a master's lcore emits, and
// what a backup's lcore makes of it.

func newSyncRig(t *testing.T, ring int, rules SyncRules) *rig {
	t.Helper()
	spec := testSpec()
	spec.Sync = rules
	return newRigWith(t, fastpath.HarnessConfig{ConnCapacity: 1024, SyncRing: ring}, spec)
}

var ipvsRules = SyncRules{Threshold: 3, Period: 50}

// clientSeg sends one client segment of client:sport to the web service.
func (r *rig) clientSeg(sport uint16, f tcpFlags, payload string) fastpath.Output {
	r.t.Helper()
	o := r.run(tcpSeg(r.t, macClient, macWAN, client, sport, vip, 80, f, payload), 0)
	if o.Verdict != fastpath.VerdictSent {
		r.t.Fatalf("client segment %+v from port %d: verdict %v drop %v", f, sport, o.Verdict, o.Drop)
	}
	return o
}

func TestSyncEmitsAtThresholdAndPeriod(t *testing.T) {
	r := newSyncRig(t, 64, ipvsRules)
	r.h.SetSyncSend(true)
	r.clientSeg(1000, flSYN, "")
	r.clientSeg(1000, flACK, "")
	if got := r.h.SyncEmitted(); len(got) != 0 {
		t.Fatalf("after SYN and ACK (2 client packets): %d records, want none before the threshold (3)", len(got))
	}
	o := r.clientSeg(1000, flACK, "data")
	got := r.h.SyncEmitted()
	if len(got) != 1 {
		t.Fatalf("3rd client packet: %d records, want 1", len(got))
	}
	rec := got[0]
	want := fastpath.SyncRecord{ClientIP: addrU32(client), VIP: addrU32(vip), RSIP: addrU32(dstAddr(o.Frame)),
		ClientPort: 1000, VPort: 80, RSPort: 8080, Proto: packet.ProtoTCP, State: StateEstablished,
		Method: uint8(MethodNAT), TimeoutMs: testTimeouts[StateEstablished]}
	if rec != want {
		t.Fatalf("record %+v, want %+v", rec, want)
	}
	for range 49 { // packets 4..52: none; 53 % 50 == 3
		r.clientSeg(1000, flACK, "x")
	}
	if n := len(r.h.SyncEmitted()); n != 0 {
		t.Fatalf("packets 4..52: %d records, want none", n)
	}
	r.clientSeg(1000, flACK, "x")
	if n := len(r.h.SyncEmitted()); n != 1 {
		t.Fatalf("packet 53: %d records, want 1 (53 %% 50 == 3)", n)
	}
	r.clientSeg(1000, flFINACK, "")
	fin := r.h.SyncEmitted()
	// IPVS's input table: a client FIN on ESTABLISHED is CLOSE_WAIT
	if len(fin) != 1 || fin[0].State != StateCloseWait {
		t.Fatalf("client FIN: records %+v, want one CLOSE_WAIT record at once", fin)
	}
	if st := r.h.Counters().Lcore(); st.SyncEmitted != 3 || st.SyncRingFull != 0 {
		t.Fatalf("emitted %d ring full %d, want 3 and 0", st.SyncEmitted, st.SyncRingFull)
	}
}

func TestSyncPeriodZeroSendsOnce(t *testing.T) {
	r := newSyncRig(t, 64, SyncRules{Threshold: 2, Period: 0})
	r.h.SetSyncSend(true)
	r.clientSeg(1000, flSYN, "")
	for range 300 {
		r.clientSeg(1000, flACK, "x")
	}
	if n := len(r.h.SyncEmitted()); n != 1 {
		t.Fatalf("period 0, threshold 2, 301 client packets: %d records, want exactly 1", n)
	}
}

func TestSyncOffEmitsNothing(t *testing.T) {
	r := newSyncRig(t, 64, ipvsRules)
	r.clientSeg(1000, flSYN, "")
	for range 10 {
		r.clientSeg(1000, flACK, "x")
	}
	if n := len(r.h.SyncEmitted()); n != 0 {
		t.Fatalf("sync send off: %d records emitted", n)
	}
}

func TestSyncRingFullCounted(t *testing.T) {
	r := newSyncRig(t, 2, SyncRules{Threshold: 1, Period: 0})
	r.h.SetSyncSend(true)
	for sport := uint16(1000); sport < 1005; sport++ {
		r.clientSeg(sport, flSYN, "") // UDP-like: threshold 1 on a SYN_RECV conn emits nothing ...
		r.clientSeg(sport, flACK, "") // ... and ESTABLISHED at packet 2 is past it
	}
	udp := func(sport uint16) {
		if o := r.run(udpFrame(t, macClient, macWAN, client, sport, vip, 53, "q"), 0); o.Verdict != fastpath.VerdictSent {
			t.Fatalf("udp from %d: %v %v", sport, o.Verdict, o.Drop)
		}
	}
	for sport := uint16(2000); sport < 2005; sport++ {
		udp(sport) // the first datagram reaches threshold 1
	}
	st := r.h.Counters().Lcore()
	if st.SyncEmitted != 2 || st.SyncRingFull != 3 {
		t.Fatalf("5 UDP flows into a ring of 2: emitted %d ring full %d, want 2 and 3", st.SyncEmitted, st.SyncRingFull)
	}
	if n := len(r.h.SyncEmitted()); n != 2 {
		t.Fatalf("took %d records, want 2", n)
	}
}

// A backup enters the master's record, and the connection goes on
// through it to the same server, both ways, without being scheduled.
func TestSyncBackupContinuesConnection(t *testing.T) {
	master := newSyncRig(t, 64, ipvsRules)
	master.h.SetSyncSend(true)
	master.clientSeg(1000, flSYN, "")
	master.clientSeg(1000, flACK, "")
	o := master.clientSeg(1000, flACK, "data")
	server := dstAddr(o.Frame)
	recs := master.h.SyncEmitted()

	backup := newSyncRig(t, 64, ipvsRules)
	if n := backup.h.SyncReceive(recs); n != len(recs) {
		t.Fatalf("ring took %d of %d records", n, len(recs))
	}
	c, ok := backup.conn(client, 1000, vip, 80, packet.ProtoTCP)
	if !ok || !c.Synced || c.State != StateEstablished || c.RSIP != addrU32(server) {
		t.Fatalf("backup's entry %+v (found %v), want a synced ESTABLISHED connection to %v", c, ok, server)
	}
	if ttl := c.Expire - backup.h.Now(); ttl != testTimeouts[StateEstablished] {
		t.Fatalf("backup's entry expires in %d ms, want the record's %d", ttl, testTimeouts[StateEstablished])
	}
	st := backup.h.Counters().Lcore()
	if st.SyncInserted != 1 || st.Live != 1 || backup.svc(0).Active != 1 {
		t.Fatalf("inserted %d live %d active %d, want 1 each", st.SyncInserted, st.Live, backup.svc(0).Active)
	}
	// a retransmitted record refreshes, it does not duplicate
	backup.h.SyncReceive(recs)
	if st := backup.h.Counters().Lcore(); st.SyncUpdated != 1 || st.Live != 1 || backup.svc(0).Active != 1 {
		t.Fatalf("the same record again: updated %d live %d active %d, want 1, 1, 1", st.SyncUpdated, st.Live, backup.svc(0).Active)
	}
	// the backup takes over: a data segment (no SYN) goes to the same server
	got := backup.clientSeg(1000, flACK, "more")
	if dstAddr(got.Frame) != server {
		t.Fatalf("after failover the segment went to %v, want %v", dstAddr(got.Frame), server)
	}
	if c, _ := backup.conn(client, 1000, vip, 80, packet.ProtoTCP); c.Synced {
		t.Fatal("entry still marked synced after a packet passed")
	}
	var rsMAC packet.MAC
	for i, a := range rsAddrs {
		if a == server {
			rsMAC = macRS[i]
		}
	}
	reply := backup.run(tcpSeg(t, rsMAC, macLAN, server, 8080, client, 1000, flACK, "answer"), 1)
	if reply.Verdict != fastpath.VerdictSent || decode(t, reply.Frame).ip.SrcIP.String() != vip.String() {
		t.Fatalf("server's reply through the backup: %v %v, want sent from the VIP", reply.Verdict, reply.Drop)
	}
	if backup.h.Counters().Lcore().Created != 0 {
		t.Fatal("the backup scheduled a connection it was given")
	}
}

func TestSyncBackupRejects(t *testing.T) {
	backup := newSyncRig(t, 64, ipvsRules)
	good := fastpath.SyncRecord{ClientIP: addrU32(client), VIP: addrU32(vip), RSIP: addrU32(rsAddrs[0]),
		ClientPort: 1000, VPort: 80, RSPort: 8080, Proto: packet.ProtoTCP, State: StateEstablished, TimeoutMs: 1000}
	noService, noDest, badState, udpTCPState := good, good, good, good
	noService.VPort = 81
	noDest.RSIP = addrU32(client)
	badState.State = 200
	udpTCPState.Proto, udpTCPState.VPort, udpTCPState.RSPort = packet.ProtoUDP, 53, 5353
	backup.h.SyncReceive([]fastpath.SyncRecord{noService, noDest, badState, udpTCPState})
	st := backup.h.Counters().Lcore()
	want := map[string]uint64{"no_service": 1, "no_dest": 1, "bad_state": 2}
	for i, n := range st.SyncRejected {
		if n != want[fastpath.SyncRejectName(i)] {
			t.Errorf("rejected %s: %d, want %d", fastpath.SyncRejectName(i), n, want[fastpath.SyncRejectName(i)])
		}
	}
	if st.SyncInserted != 0 || backup.h.Conns() != 0 {
		t.Fatalf("inserted %d, table %d, want nothing", st.SyncInserted, backup.h.Conns())
	}
	// the master moved the flow to another server: its word wins
	backup.h.SyncReceive([]fastpath.SyncRecord{good})
	moved := good
	moved.RSIP = addrU32(rsAddrs[1])
	backup.h.SyncReceive([]fastpath.SyncRecord{moved})
	c, ok := backup.conn(client, 1000, vip, 80, packet.ProtoTCP)
	if !ok || c.RSIP != moved.RSIP || backup.h.Counters().Lcore().Live != 1 {
		t.Fatalf("after a record naming another server: %+v (found %v), live %d", c, ok, backup.h.Counters().Lcore().Live)
	}
}

// Templates of a persistent service travel too: the backup schedules a
// new connection of that client network to the template's server.
func TestSyncTemplateKeepsPersistence(t *testing.T) {
	spec := testSpec()
	spec.Sync = ipvsRules
	spec.Services[0].Scheduler = "rr"
	spec.Services[0].Persistence = 300 * time.Second
	spec.Services[0].PersistenceBits = 24
	master := newRigWith(t, fastpath.HarnessConfig{ConnCapacity: 1024, SyncRing: 64}, spec)
	master.h.SetSyncSend(true)
	o := master.clientSeg(1000, flSYN, "")
	server := dstAddr(o.Frame)
	recs := master.h.SyncEmitted()
	if len(recs) != 1 || !recs[0].Template || recs[0].TimeoutMs != 300000 || recs[0].RSIP != addrU32(server) {
		t.Fatalf("records after a persistent SYN: %+v, want the template to %v for 300 s", recs, server)
	}
	backup := newRigWith(t, fastpath.HarnessConfig{ConnCapacity: 1024, SyncRing: 64}, spec)
	backup.h.SyncReceive(recs)
	if st := backup.h.Counters().Lcore(); st.Templates != 1 || st.Live != 0 {
		t.Fatalf("backup: templates %d live %d, want 1 and 0", st.Templates, st.Live)
	}
	// rr on the backup would start at its first server; the template wins
	for sport := uint16(2000); sport < 2003; sport++ {
		if got := dstAddr(backup.clientSeg(sport, flSYN, "").Frame); got != server {
			t.Fatalf("new connection from port %d on the backup went to %v, the synced template names %v", sport, got, server)
		}
	}
}
