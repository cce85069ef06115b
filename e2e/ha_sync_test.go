package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/connsync"
	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/vrrp"
)

// Connection sync (issue 12) across a failover: the master's connections
// reach the backup, so established connections survive the master's
// death on their real server, and survive again when it comes back and
// takes over (preempt).

const (
	haSyncConns  = 50
	haSyncKey    = "govs-e2e-sync-key-0123456789abcdef"
	haSyncResync = 2 * time.Second
	// haSyncPreemptDelay lets a returning director hear the master's
	// resync before it takes the addresses back, as an operator running
	// sync sets preempt_delay.
	haSyncPreemptDelay = 3 * time.Second
)

// syncYAML is the sync section both directors run.
func (e *haEnv) syncYAML() string {
	key := filepath.Join(e.dir, "sync.key")
	if _, err := os.Stat(key); err != nil {
		os.WriteFile(key, []byte(haSyncKey+"\n"), 0o600) // a failure shows as govsd's config error
	}
	follow := "vrrp_instance: VI_WAN"
	if e.nat {
		follow = "vrrp_sync_group: G_NAT"
	}
	return fmt.Sprintf("sync: {port: wan, %s, resync_period: %v, auth_key_file: %s}\n", follow, haSyncResync, key)
}

func haSyncVRRP(sched string) haVRRP {
	v := haV3()
	v.Sync, v.EchoSched, v.PreemptDelay = true, sched, haSyncPreemptDelay
	return v
}

func (e *haEnv) echoTarget() string {
	if e.nat {
		return fmt.Sprintf("%s:%d", vip, rsEchoPort)
	}
	return fmt.Sprintf("%s:%d", vip, dsrEchoPort)
}

// syncStatus is director i's sync status.
func (e *haEnv) syncStatus(t *testing.T, i int) admin.SyncStatus {
	t.Helper()
	st, err := e.dirs[i].d.admin.Sync()
	if err != nil {
		t.Fatalf("%s: sync status: %v", e.dirs[i].name, err)
	}
	return st
}

// awaitSyncRole waits until director i's sync runs as role.
func (e *haEnv) awaitSyncRole(t *testing.T, i int, role string, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		st := e.syncStatus(t, i)
		if st.Role == role {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: sync role %q after %v, want %q", e.dirs[i].name, st.Role, within, role)
		}
	}
}

// echoConns counts director i's ESTABLISHED connections to the echo
// service.
func (e *haEnv) echoConns(t *testing.T, i int) (n, synced int) {
	t.Helper()
	vp := netip.MustParseAddrPort(e.echoTarget())
	err := e.dirs[i].d.admin.EachConnPage(admin.ConnFilter{Proto: "tcp", Virtual: vp, State: "ESTABLISHED"}, func(p admin.ConnPage) error {
		for _, c := range p.Conns {
			n++
			if c.Synced {
				synced++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: connection listing: %v", e.dirs[i].name, err)
	}
	return n, synced
}

// awaitEchoConns waits until director i holds at least want echo
// connections.
func (e *haEnv) awaitEchoConns(t *testing.T, i, want int, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(50 * time.Millisecond) {
		n, synced := e.echoConns(t, i)
		if n >= want {
			t.Logf("HA sync: %s holds %d echo connections (%d synced, no packet of them seen)", e.dirs[i].name, n, synced)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %d of the %d echo connections %v after they opened; its sync: %+v", e.dirs[i].name, n, want, within, e.syncStatus(t, i))
		}
	}
}

// checkAlive: every long-lived connection exchanged a few messages since
// before, on the server it started on, without an error.
func checkAlive(t *testing.T, l *netlab.LongLived, before []netlab.LongLivedConn, what string) []netlab.LongLivedConn {
	t.Helper()
	now := l.AwaitExchanges(context.Background(), before, 2, 5*time.Second)
	alive, err := netlab.LongLivedAlive(now)
	t.Logf("HA sync: %s: %d of %d long-lived connections alive on their server", what, alive, len(now))
	if alive != len(now) {
		t.Errorf("%s: %d of %d long-lived connections survived:\n%v", what, alive, len(now), err)
	}
	return now
}

// testSyncFailover: 50 long-lived connections and the client loop;
// director 1 SIGKILLed, director 2 takes over with every connection; then
// director 1 comes back and takes over again, with every connection.
func testSyncFailover(t *testing.T, env *haEnv, sched, mode string) {
	env.restore(t)
	v := haSyncVRRP(sched)
	env.ensure(t, v)
	env.awaitSyncRole(t, 0, "master", 5*time.Second)
	env.awaitSyncRole(t, 1, "backup", 5*time.Second)
	l, err := netlab.StartLongLived(env.lab.Client, netlab.LongLivedSpec{Target: env.echoTarget(), Conns: haSyncConns,
		Interval: 50 * time.Millisecond, For: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Stop() })
	c := env.startClients(t)
	env.awaitEchoConns(t, 1, haSyncConns, 5*time.Second)
	before := l.Snapshot()

	killed := env.kill(t, 0)
	bound := vrrp.MasterDownInterval(uint8(v.Version), uint8(v.Priority[1]), v.Interval) + haMargin
	took := time.Duration(0)
	for _, name := range env.instances() {
		took = max(took, takeover(env.awaitT(t, 1, name, "MASTER", bound+5*time.Second), killed))
	}
	o := c.finish(t, killed.Add(took))
	t.Logf("HA sync: %s %s: director 2 MASTER %s after SIGKILL (bound %s); %v", mode, sched, ms(took), ms(bound), o)
	after := checkAlive(t, l, before, fmt.Sprintf("%s %s, director 1 killed", mode, sched))
	env.awaitSyncRole(t, 1, "master", 5*time.Second)

	// director 1 returns: BACKUP, it hears director 2's resync; after
	// its preempt delay it takes everything back
	restarted := time.Now()
	if err := env.start(0, env.yaml(0, v)); err != nil {
		t.Fatal(err)
	}
	env.awaitEchoConns(t, 0, haSyncConns, haSyncPreemptDelay)
	for _, name := range env.instances() {
		env.awaitT(t, 0, name, "MASTER", haSyncPreemptDelay+5*time.Second)
		env.awaitT(t, 1, name, "BACKUP", 2*time.Second)
	}
	t.Logf("HA sync: %s %s: director 1 back, MASTER again %s after its restart", mode, sched, ms(time.Since(restarted)))
	checkAlive(t, l, after, fmt.Sprintf("%s %s, director 1 back as master", mode, sched))
	st := env.syncStatus(t, 1)
	t.Logf("HA sync: director 2's sync after both failovers: %+v", st)
	if st.Receiver.Rejected["replay"] != 0 || st.Receiver.Rejected["bad_mac"] != 0 {
		t.Errorf("director 2 rejected the master's own messages: %v", st.Receiver.Rejected)
	}
}

// TestHANATSyncFailoverWLC: NAT, wlc (a backup with no synced connections
// would pick servers of its own, so only sync keeps them).
func TestHANATSyncFailoverWLC(t *testing.T) {
	testSyncFailover(t, haNATLab(t), "wlc", "NAT")
}

// TestHADRSyncFailoverMH: DR, Maglev hashing (the backup would pick the
// same servers anyway; sync still carries every connection: counted).
func TestHADRSyncFailoverMH(t *testing.T) {
	testSyncFailover(t, haDRLab(t), "mh", "DR")
}

// sendSync sends one datagram to director i's sync port from the client
// namespace (unicast: the client has no multicast route).
func (e *haEnv) sendSync(t *testing.T, i int, msg []byte) {
	t.Helper()
	c, err := e.lab.Client.Dial("udp", haWANAddrs[i]+":"+strconv.Itoa(8848), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
}

func ipv4(s string) uint32 { return connsync.IPv4(netip.MustParseAddr(s)) }

// captureTransport keeps the messages a connsync.Sender makes.
type captureTransport struct{ msgs chan []byte }

func (c captureTransport) Send(m []byte) error {
	c.msgs <- append([]byte(nil), m...)
	return nil
}
func (c captureTransport) Recv([]byte) (int, netip.Addr, error) {
	return 0, netip.Addr{}, connsync.ErrClosed
}
func (c captureTransport) Close() error { return nil }

// forge makes one sync message for conn, signed with key (nil: plain).
func forge(t *testing.T, key []byte, conn connsync.Conn) []byte {
	t.Helper()
	tr := captureTransport{msgs: make(chan []byte, 1)}
	s := connsync.NewSender(connsync.SenderConfig{MaxMessage: 1472, Rate: 1000, Queue: 10, FlushDelay: time.Millisecond, ResyncRate: 10, Key: key}, tr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	s.Offer([]connsync.Conn{conn})
	select {
	case m := <-tr.msgs:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("the sender made no message")
		return nil
	}
}

// TestHASyncInjectionRefused: director 2 (BACKUP, receiving) is sent
// forged messages naming a connection of the client's to the echo
// service: without the key, with a wrong key, and a replay of one signed
// with the right key. Only the first copy of the genuine one enters the
// connection; the others are counted by reason and change nothing.
func TestHASyncInjectionRefused(t *testing.T) {
	env := haNATLab(t)
	env.restore(t)
	env.ensure(t, haSyncVRRP("wlc"))
	env.awaitSyncRole(t, 1, "backup", 5*time.Second)
	conn := func(port uint16) connsync.Conn {
		return connsync.Conn{Proto: 6, Flags: connsync.FlagFwdMasq, State: 1, Client: ipv4(clientIP), VIP: ipv4(vip),
			Dest: ipv4(serverIPs[0]), CPort: port, VPort: uint16(rsEchoPort), DPort: uint16(rsEchoPort), Timeout: 600}
	}
	has := func(port uint16) bool {
		vp := netip.MustParseAddrPort(env.echoTarget())
		found := false
		env.dirs[1].d.admin.EachConnPage(admin.ConnFilter{Proto: "tcp", Virtual: vp, Client: netip.MustParsePrefix(clientIP + "/32")}, func(p admin.ConnPage) error {
			for _, c := range p.Conns {
				found = found || c.Client == fmt.Sprintf("%s:%d", clientIP, port)
			}
			return nil
		})
		return found
	}
	// the client's first datagram waits for ARP: send junk until director 2
	// counts one (a message too short to be one), so none of the forged
	// ones is lost on the way
	for deadline := time.Now().Add(5 * time.Second); env.syncStatus(t, 1).Receiver.Rejected["short"] == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("director 2 heard none of the client's datagrams to its sync port in 5 s")
		}
		env.sendSync(t, 1, []byte{0})
	}
	before := env.syncStatus(t, 1).Receiver
	env.sendSync(t, 1, forge(t, nil, conn(40001)))
	env.sendSync(t, 1, forge(t, []byte("not-the-lab-key-but-long-enough"), conn(40002)))
	genuine := forge(t, []byte(haSyncKey), conn(40003))
	env.sendSync(t, 1, genuine)
	env.sendSync(t, 1, genuine)
	want := map[string]uint64{"unauthenticated": 1, "bad_mac": 1, "replay": 1}
	var got connsyncCounts
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got = counts(before, env.syncStatus(t, 1).Receiver)
		if got.matches(want) && has(40003) || time.Now().After(deadline) {
			break
		}
	}
	if !got.matches(want) {
		t.Fatalf("director 2 rejected %v, want %v", got, want)
	}
	if !has(40003) {
		t.Fatal("the genuine message's connection is not in director 2's table")
	}
	if has(40001) || has(40002) {
		t.Fatal("a forged connection entered director 2's table")
	}
	t.Logf("HA sync: forged messages refused by director 2: %v; the genuine one entered once", got)
}

type connsyncCounts map[string]uint64

func counts(before, after admin.SyncReceiver) connsyncCounts {
	out := connsyncCounts{}
	for k, v := range after.Rejected {
		if d := v - before.Rejected[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func (c connsyncCounts) matches(want map[string]uint64) bool {
	for k, v := range want {
		if c[k] != v {
			return false
		}
	}
	return true
}
