package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	vipA, vipB := netip.MustParseAddr("10.51.0.100"), netip.MustParseAddr("10.51.0.101")
	pass := PasswordData("secret")
	wantV2 := Expect{Version: 2, VRID: 51, Interval: time.Second, Addrs: []netip.Addr{vipA, vipB}}
	wantPass := wantV2
	wantPass.AuthType, wantPass.AuthData = AuthPass, pass
	wantV3 := Expect{Version: 3, VRID: 51, Interval: 100 * time.Millisecond, Addrs: []netip.Addr{vipA}}

	good := Advert{Version: 2, VRID: 51, Priority: 100, Interval: time.Second, Addrs: []netip.Addr{vipA, vipB}}
	with := func(base Advert, f func(a *Advert)) Advert {
		base.Addrs = append([]netip.Addr(nil), base.Addrs...)
		f(&base)
		return base
	}
	goodPass := with(good, func(a *Advert) { a.AuthType, a.AuthData = AuthPass, pass })
	goodV3 := Advert{Version: 3, VRID: 51, Priority: 100, Interval: 100 * time.Millisecond, Addrs: []netip.Addr{vipA}}

	const accept = Reason(255)
	for _, tc := range []struct {
		name string
		a    Advert
		want Expect
		rsn  Reason
	}{
		{"matching v2", good, wantV2, accept},
		{"addresses in another order", with(good, func(a *Advert) { a.Addrs[0], a.Addrs[1] = vipB, vipA }), wantV2, accept},
		{"priority is not compared", with(good, func(a *Advert) { a.Priority = 0 }), wantV2, accept},
		{"auth none ignores auth data", with(good, func(a *Advert) { a.AuthData = pass }), wantV2, accept},
		{"matching PASS", goodPass, wantPass, accept},
		{"matching v3", goodV3, wantV3, accept},
		{"v3 interval is learnt, not compared", with(goodV3, func(a *Advert) { a.Interval = time.Second }), wantV3, accept},

		{"other VRID", with(good, func(a *Advert) { a.VRID = 52 }), wantV2, ReasonVRIDMismatch},
		{"other VRID wins over everything", with(good, func(a *Advert) { a.VRID, a.Version, a.Addrs = 52, 3, nil }), wantV2, ReasonVRIDMismatch},
		{"v3 advert, v2 instance", with(goodV3, func(a *Advert) {}), Expect{Version: 2, VRID: 51, Interval: time.Second, Addrs: []netip.Addr{vipA}}, ReasonVersion},
		{"v2 advert, v3 instance", with(good, func(a *Advert) { a.Addrs = a.Addrs[:1] }), wantV3, ReasonVersion},
		{"pass advert, none instance", goodPass, wantV2, ReasonAuthType},
		{"none advert, pass instance", good, wantPass, ReasonAuthType},
		{"wrong password", with(goodPass, func(a *Advert) { a.AuthData = PasswordData("secreT") }), wantPass, ReasonAuthData},
		{"password beyond 8 chars is not sent", with(goodPass, func(a *Advert) { a.AuthData = PasswordData("secret--X") }), wantPass, ReasonAuthData},
		{"auth checked before interval", with(goodPass, func(a *Advert) { a.AuthType, a.Interval = AuthNone, 2*time.Second }), wantPass, ReasonAuthType},
		{"v2 interval 2s, instance 1s", with(good, func(a *Advert) { a.Interval = 2 * time.Second }), wantV2, ReasonIntervalMismatch},
		{"one address missing", with(good, func(a *Advert) { a.Addrs = a.Addrs[:1] }), wantV2, ReasonAddrCount},
		{"extra address", with(good, func(a *Advert) { a.Addrs = append(a.Addrs, netip.MustParseAddr("10.51.0.102")) }), wantV2, ReasonAddrCount},
		{"v3 no addresses", with(goodV3, func(a *Advert) { a.Addrs = nil }), wantV3, ReasonAddrCount},
		{"same count, other address", with(good, func(a *Advert) { a.Addrs[1] = netip.MustParseAddr("10.51.0.102") }), wantV2, ReasonAddrMismatch},
		{"same count, duplicate hides a missing one", with(good, func(a *Advert) { a.Addrs[1] = vipA }), wantV2, ReasonAddrMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.a.Check(tc.want)
			if tc.rsn == accept {
				if err != nil {
					t.Fatalf("Check: %v, want accepted", err)
				}
				return
			}
			if !isReason(err, tc.rsn) {
				t.Fatalf("Check = %v, want reason %s", err, tc.rsn)
			}
		})
	}
}
