package vrrp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/dataplane/packet"
	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/internal/netlab/netlabtest"
)

// startKeepalived runs keepalived in ns with one instance, VRID 51 on
// ifname for 10.77.0.100, VRRPv2 at 1 s.
func startKeepalived(t *testing.T, ns *netlab.NS, ifname, state string, prio int) *netlab.Keepalived {
	t.Helper()
	conf := fmt.Sprintf(`global_defs {
  router_id govs-test
  vrrp_version 2
}
vrrp_instance VI_51 {
  state %s
  interface %s
  virtual_router_id 51
  priority %d
  advert_int 1
  virtual_ipaddress {
    10.77.0.100/24 dev %s
  }
}
`, state, ifname, prio, ifname)
	k, err := netlab.StartKeepalived(ns, t.TempDir(), conf, time.Minute)
	if err != nil {
		netlabtest.Missing(t, err.Error())
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.Close()
		if t.Failed() {
			t.Logf("keepalived's log:\n%s", k.Log())
		}
	})
	return k
}

// waitLog fails t unless k logs s within the time.
func waitLog(t *testing.T, k *netlab.Keepalived, s string, within time.Duration) {
	t.Helper()
	if _, err := k.WaitLog(s, within); err != nil {
		t.Fatalf("%v; its log:\n%s", err, k.Log())
	}
}

// vethPair joins two new namespaces with va (10.77.0.1) and vb (10.77.0.2).
func vethPair(t *testing.T, suffix string) (a, b *netlab.NS) {
	t.Helper()
	netlabtest.Require(t, 0)
	tag := fmt.Sprintf("vr%04x%s", os.Getpid()&0xffff, suffix)
	a, b = netlabtest.NewNS(t, tag+"a"), netlabtest.NewNS(t, tag+"b")
	if _, err := a.IP("link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b.Name); err != nil {
		t.Fatal(err)
	}
	if err := a.ConfigureLink("va", "10.77.0.1/24", ""); err != nil {
		t.Fatal(err)
	}
	if err := b.ConfigureLink("vb", "10.77.0.2/24", ""); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// v2Advert is the VRRPv2 advert of VRID 51 for 10.77.0.100, advert_int 1,
// no authentication, with its checksum (RFC 3768 5.3), built here by hand
// as the oracle of what keepalived sends.
func v2Advert(prio byte) []byte {
	m := []byte{0x21, 51, prio, 1, 0, 1, 0, 0, 10, 77, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(m[6:], packet.Checksum(m, 0))
	return m
}

// keepalived as MASTER sends, on the wire, exactly the advert the RFC and
// reference describe, and the transport receives it with TTL 255, TOS
// 0xC0 from the interface's address to the group.
func TestInteropReceivesKeepalivedAdverts(t *testing.T) {
	t.Parallel()
	a, b := vethPair(t, "k")
	src := netipMust("10.77.0.1")
	ta := openIn(t, a, "va", src)
	startKeepalived(t, b, "vb", "MASTER", 100)
	buf := make([]byte, 1500)
	ta.SetReadDeadline(time.Now().Add(10 * time.Second))
	p, err := ta.Recv(buf)
	if err != nil {
		t.Fatalf("no advert from keepalived: %v", err)
	}
	if want := v2Advert(100); !bytes.Equal(p.Msg, want) {
		t.Errorf("keepalived's advert % x, want % x", p.Msg, want)
	}
	if p.Src != netipMust("10.77.0.2") || p.Dst != Group || p.TTL != 255 || p.TOS != 0xc0 {
		t.Errorf("keepalived's advert came as %+v", p)
	}
	adv, err := Parse(p.Msg, p.Src, p.Dst, p.TTL)
	if err != nil {
		t.Fatalf("Parse(keepalived's advert): %v", err)
	}
	want := Expect{Version: 2, VRID: 51, Interval: time.Second, Addrs: []netip.Addr{netipMust("10.77.0.100")}}
	if err := adv.Check(want); err != nil || adv.Priority != 100 {
		t.Errorf("keepalived's advert %+v: Check %v", adv, err)
	}
	if out, err := adv.Marshal(p.Src, p.Dst); err != nil || !bytes.Equal(out, p.Msg) {
		t.Errorf("our Marshal of it: % x, %v", out, err)
	}
}

// An advert of ours (Marshal) with a higher priority keeps keepalived (started as
// BACKUP) in BACKUP, and it logs no complaint about it; once we stop,
// it takes over.
func TestInteropKeepalivedAcceptsOurAdverts(t *testing.T) {
	t.Parallel()
	a, b := vethPair(t, "s")
	ta := openIn(t, a, "va", netipMust("10.77.0.1"))
	k := startKeepalived(t, b, "vb", "BACKUP", 100)
	waitLog(t, k, "Entering BACKUP STATE", 10*time.Second)
	ours := Advert{Version: 2, VRID: 51, Priority: 200, Interval: time.Second, Addrs: []netip.Addr{netipMust("10.77.0.100")}}
	msg, err := ours.Marshal(netipMust("10.77.0.1"), Group)
	if err != nil {
		t.Fatal(err)
	}
	stop := time.Now().Add(4 * time.Second)
	for time.Now().Before(stop) {
		if err := ta.Send(msg, Group); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if strings.Contains(k.Log(), "Entering MASTER STATE") {
		t.Errorf("keepalived became master while our priority-200 adverts came every 0.5 s")
	}
	if c := k.Complaints(); len(c) > 0 {
		t.Errorf("keepalived complained about our adverts:\n%s", strings.Join(c, "\n"))
	}
	// Silence: keepalived (priority 100) is master after 3 x 1 s + skew.
	waitLog(t, k, "Entering MASTER STATE", 6*time.Second)
}

// govs (priority 150) and keepalived (BACKUP, 100) in one VRID, VRRPv2
// with 1 s adverts: govs is master and keepalived stays backup without a
// complaint; govs stopping gracefully hands over within skew.
func TestInteropGovsMasterKeepalivedBackup(t *testing.T) {
	t.Parallel()
	a, b := vethPair(t, "g")
	k := startKeepalived(t, b, "vb", "BACKUP", 100)
	waitLog(t, k, "Entering BACKUP STATE", 10*time.Second)
	g := startInstance(t, a, "va", "10.77.0.1", 2, 150, time.Second, false)
	waitState(t, g, StateMaster, 10*time.Second)
	time.Sleep(2500 * time.Millisecond) // keepalived hears a few adverts
	if strings.Contains(k.Log(), "Entering MASTER STATE") {
		t.Fatal("keepalived became master next to a higher-priority govs master")
	}
	stopped := time.Now()
	g.stop()
	waitLog(t, k, "Entering MASTER STATE", 5*time.Second)
	took := time.Since(stopped)
	bound := SkewTime(2, 100, time.Second) + 200*time.Millisecond
	t.Logf("keepalived took over %v after govs's priority-0 advert (bound skew + 200 ms log latency = %v)", took.Round(time.Millisecond), bound)
	if took > bound {
		t.Errorf("keepalived took over %v after the graceful stop, want within %v", took, bound)
	}
	if c := k.Complaints(); len(c) > 0 {
		t.Errorf("keepalived complained about govs's adverts:\n%s", strings.Join(c, "\n"))
	}
}

// keepalived (MASTER, 200) and govs (100): govs stays backup, counting
// keepalived's adverts as valid; keepalived killed, govs is master within
// 3 x advert + skew.
func TestInteropKeepalivedMasterGovsBackup(t *testing.T) {
	t.Parallel()
	a, b := vethPair(t, "m")
	k := startKeepalived(t, b, "vb", "MASTER", 200)
	g := startInstance(t, a, "va", "10.77.0.1", 2, 100, time.Second, false)
	waitLog(t, k, "Entering MASTER STATE", 10*time.Second)
	for deadline := time.Now().Add(5 * time.Second); g.in.Status().AdvertsReceived < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("govs heard no valid adverts from keepalived: %+v", g.in.Status())
		}
	}
	if st := g.in.Status(); st.State != StateBackup || sum(st.Rejected) != 0 {
		t.Fatalf("govs next to a keepalived master: %+v", st)
	}
	killed := time.Now()
	k.Kill()
	took := waitState(t, g, StateMaster, 6*time.Second).Sub(killed)
	bound := MasterDownInterval(2, 100, time.Second) + 100*time.Millisecond
	t.Logf("govs took over %v after keepalived was killed (bound 3 x advert + skew + 100 ms = %v)", took.Round(time.Millisecond), bound)
	if took > bound {
		t.Errorf("takeover took %v, want within %v", took, bound)
	}
}
