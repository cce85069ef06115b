package e2e

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/vrrp"
)

// TestHADRSplitBrainGuard: with VRRPv2 and PASS authentication, adverts
// injected on the client's segment (raw frames from the client) claiming
// priority 254 for the VIP, each broken in one way (wrong password, wrong
// VRID, bad checksum, TTL 64), leave director 1 MASTER and director 2
// BACKUP, without a transition; both count each one under its reason
// (the wrong VRID as other_vrid). The same advert unbroken does make
// director 1 step down, so the guards, not the injection, kept it MASTER;
// once it stops, director 1 takes over again.
func TestHADRSplitBrainGuard(t *testing.T) {
	env := haDRLab(t)
	env.restore(t)
	v := haV2()
	env.ensure(t, v)
	clientMAC, err := env.lab.Client.HardwareAddr("eth0")
	if err != nil {
		t.Fatal(err)
	}
	src := netip.MustParseAddr(clientIP)
	valid := vrrp.Advert{Version: uint8(v.Version), VRID: haVRIDWAN, Priority: 254, Interval: v.Interval,
		Addrs: []netip.Addr{netip.MustParseAddr(vip)}, AuthType: vrrp.AuthPass, AuthData: vrrp.PasswordData(v.AuthPass)}
	marshal := func(a vrrp.Advert) []byte {
		msg, err := a.Marshal(src, netlab.VRRPGroup)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	wrongPass, otherVRID := valid, valid
	wrongPass.AuthData = vrrp.PasswordData("intruder")
	otherVRID.VRID = haVRIDWAN + 1
	badSum := marshal(valid)
	badSum[6] ^= 0xff
	cases := []struct {
		what, counter string
		ttl           uint8
		msg           []byte
	}{
		{"wrong password", "auth_data", 255, marshal(wrongPass)},
		{"wrong VRID", "other_vrid", 255, marshal(otherVRID)},
		{"bad checksum", "checksum", 255, badSum},
		{"TTL 64", "ttl", 64, marshal(valid)},
	}
	const copies = 3
	inject := func(ttl uint8, msg []byte, n int) {
		t.Helper()
		f, err := netlab.ForgeVRRP(clientMAC, src, ttl, msg)
		if err != nil {
			t.Fatal(err)
		}
		frames := make([][]byte, n)
		for i := range frames {
			frames[i] = f
		}
		if err := env.lab.Client.SendFrames("eth0", frames); err != nil {
			t.Fatal(err)
		}
	}
	count := func(in admin.VRRPInstance, counter string) uint64 {
		if counter == "other_vrid" {
			return in.OtherVRID
		}
		return in.Rejected[counter]
	}

	var before [2]admin.VRRPInstance
	for i := range before {
		before[i] = env.instance(t, i, "VI_WAN")
	}
	for _, c := range cases {
		inject(c.ttl, c.msg, copies)
	}
	var counted [2]string
	for i := range env.dirs {
		var now admin.VRRPInstance
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			now = env.instance(t, i, "VI_WAN")
			all := true
			for _, c := range cases {
				all = all && count(now, c.counter)-count(before[i], c.counter) >= copies
			}
			if all || time.Now().After(deadline) {
				break
			}
		}
		var got []string
		for _, c := range cases {
			n := count(now, c.counter) - count(before[i], c.counter)
			got = append(got, fmt.Sprintf("%s %d", c.counter, n))
			if n != copies {
				t.Errorf("%s: %d adverts with a %s counted as %s, want %d", env.dirs[i].name, n, c.what, c.counter, copies)
			}
		}
		counted[i] = strings.Join(got, ", ")
		want := []string{"MASTER", "BACKUP"}[i]
		// A master hears no adverts: it must have accepted none of these.
		if now.State != want || now.Transitions != before[i].Transitions || (i == 0 && now.AdvertsReceived != before[i].AdvertsReceived) {
			t.Errorf("%s after the injected adverts: %+v, was %+v (want %s, no transition, none accepted)", env.dirs[i].name, now, before[i], want)
		}
	}
	t.Logf("HA: split-brain guard: priority-254 adverts with a wrong password, wrong VRID, bad checksum, TTL 64 (%d each) ignored, director 1 MASTER throughout; counted: director 1 %s; director 2 %s",
		copies, counted[0], counted[1])

	// The control: the valid advert takes the VIP from director 1.
	inject(255, marshal(valid), 1)
	sent := time.Now()
	env.awaitT(t, 0, "VI_WAN", "BACKUP", 2*time.Second)
	bound := vrrp.MasterDownInterval(uint8(v.Version), uint8(v.Priority[0]), v.Interval) + haMargin
	in := env.awaitT(t, 0, "VI_WAN", "MASTER", bound+2*time.Second)
	env.awaitT(t, 1, "VI_WAN", "BACKUP", time.Second)
	t.Logf("HA: split-brain control: one valid priority-254 advert made director 1 BACKUP; MASTER again %s later (bound %s)", ms(takeover(in, sent)), ms(bound))
}
