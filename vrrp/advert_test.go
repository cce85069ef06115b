package vrrp

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	advTestSrc = netip.MustParseAddr("10.51.0.1")
	advTestDst = netip.MustParseAddr("224.0.0.18")
	advTestVIP = netip.MustParseAddr("10.51.0.100")
)

func advHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The advert keepalived 2.2.7 sends for VRID 51, priority 100, one VIP, no
// auth (shared/reference/vrrp.md).
const keepalivedV2Example = "21 33 64 01 00 01 70 33 0a 33 00 64 00 00 00 00 00 00 00 00"

func TestKeepalivedExampleBothWays(t *testing.T) {
	wire := advHex(t, keepalivedV2Example)
	want := Advert{Version: 2, VRID: 51, Priority: 100, Interval: time.Second, Addrs: []netip.Addr{advTestVIP}}

	got, err := Parse(wire, advTestSrc, advTestDst, 255)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse = %+v, want %+v", got, want)
	}
	out, err := want.Marshal(advTestSrc, advTestDst)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if !bytes.Equal(out, wire) {
		t.Errorf("Marshal = % x\nwant      % x", out, wire)
	}
}

// The v3 checksum below was summed by hand, word by word:
// pseudo-header 0a33+0001+e000+0012+0070+000c = eac2, message
// 3133+6401+000a+0a33+0064 = 9fd5; eac2+9fd5 = 18a97 -> 8a98 -> ^ = 7567.
func TestV3RoundTripKnownChecksum(t *testing.T) {
	a := Advert{Version: 3, VRID: 51, Priority: 100, Interval: 100 * time.Millisecond, Addrs: []netip.Addr{advTestVIP}}
	wire := advHex(t, "31 33 64 01 00 0a 75 67 0a 33 00 64")

	out, err := a.Marshal(advTestSrc, advTestDst)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if !bytes.Equal(out, wire) {
		t.Fatalf("Marshal = % x\nwant      % x", out, wire)
	}
	got, err := Parse(out, advTestSrc, advTestDst, 255)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Errorf("Parse = %+v, want %+v", got, a)
	}
	// The pseudo-header is covered: another destination (a unicast peer)
	// must not verify.
	if _, err := Parse(out, advTestSrc, netip.MustParseAddr("10.51.0.2"), 255); !isReason(err, ReasonChecksum) {
		t.Errorf("Parse with another dst: %v, want checksum rejection", err)
	}
}

func TestRoundTrips(t *testing.T) {
	vips := []netip.Addr{advTestVIP, netip.MustParseAddr("192.168.7.1"), netip.MustParseAddr("10.0.0.255")}
	for _, a := range []Advert{
		{Version: 2, VRID: 1, Priority: 255, Interval: 255 * time.Second, Addrs: vips},
		{Version: 2, VRID: 255, Priority: 0, Interval: 3 * time.Second, Addrs: vips[:1], AuthType: AuthPass, AuthData: PasswordData("secret")},
		{Version: 2, VRID: 7, Priority: 1, Interval: time.Second, Addrs: []netip.Addr{}},
		{Version: 3, VRID: 9, Priority: 254, Interval: 40950 * time.Millisecond, Addrs: vips},
		{Version: 3, VRID: 9, Priority: 0, Interval: 10 * time.Millisecond, Addrs: vips[:2]},
	} {
		out, err := a.Marshal(advTestSrc, advTestDst)
		if err != nil {
			t.Fatalf("%+v: Marshal: %v", a, err)
		}
		got, err := Parse(out, advTestSrc, advTestDst, 255)
		if err != nil {
			t.Fatalf("%+v: Parse: %v", a, err)
		}
		if !reflect.DeepEqual(got, a) {
			t.Errorf("round trip = %+v, want %+v", got, a)
		}
	}
}

func TestPasswordData(t *testing.T) {
	for _, tc := range []struct {
		pw   string
		want [8]byte
	}{
		{"", [8]byte{}},
		{"abc", [8]byte{'a', 'b', 'c'}},
		{"12345678", [8]byte{'1', '2', '3', '4', '5', '6', '7', '8'}},
		{"1234567890", [8]byte{'1', '2', '3', '4', '5', '6', '7', '8'}}, // keepalived keeps 8
	} {
		if got := PasswordData(tc.pw); got != tc.want {
			t.Errorf("PasswordData(%q) = %q, want %q", tc.pw, got, tc.want)
		}
	}
}

func TestMarshalRefusesInvalid(t *testing.T) {
	ok := Advert{Version: 2, VRID: 51, Priority: 100, Interval: time.Second, Addrs: []netip.Addr{advTestVIP}}
	okV3 := ok
	okV3.Version, okV3.Interval = 3, 50*time.Millisecond
	tooMany := make([]netip.Addr, 256)
	for i := range tooMany {
		tooMany[i] = advTestVIP
	}
	for _, tc := range []struct {
		name     string
		edit     func(a *Advert)
		base     Advert
		src, dst netip.Addr
		wantErr  string
	}{
		{"version 1", func(a *Advert) { a.Version = 1 }, ok, advTestSrc, advTestDst, "version 1"},
		{"VRID 0", func(a *Advert) { a.VRID = 0 }, ok, advTestSrc, advTestDst, "VRID 0"},
		{"256 addresses", func(a *Advert) { a.Addrs = tooMany }, ok, advTestSrc, advTestDst, "256 addresses"},
		{"IPv6 address", func(a *Advert) { a.Addrs = []netip.Addr{netip.MustParseAddr("2001:db8::1")} }, ok, advTestSrc, advTestDst, "not IPv4"},
		{"4in6 address", func(a *Advert) { a.Addrs = []netip.Addr{netip.MustParseAddr("::ffff:10.0.0.1")} }, ok, advTestSrc, advTestDst, "not IPv4"},
		{"zero address", func(a *Advert) { a.Addrs = []netip.Addr{{}} }, ok, advTestSrc, advTestDst, "not IPv4"},
		{"v2 interval 0", func(a *Advert) { a.Interval = 0 }, ok, advTestSrc, advTestDst, "v2 interval"},
		{"v2 interval 1.5s", func(a *Advert) { a.Interval = 1500 * time.Millisecond }, ok, advTestSrc, advTestDst, "v2 interval"},
		{"v2 interval 256s", func(a *Advert) { a.Interval = 256 * time.Second }, ok, advTestSrc, advTestDst, "v2 interval"},
		{"v2 auth AH", func(a *Advert) { a.AuthType = 2 }, ok, advTestSrc, advTestDst, "auth type 2"},
		{"v3 interval 5ms", func(a *Advert) { a.Interval = 5 * time.Millisecond }, okV3, advTestSrc, advTestDst, "v3 interval"},
		{"v3 interval 15ms", func(a *Advert) { a.Interval = 15 * time.Millisecond }, okV3, advTestSrc, advTestDst, "v3 interval"},
		{"v3 interval 40.96s", func(a *Advert) { a.Interval = 40960 * time.Millisecond }, okV3, advTestSrc, advTestDst, "v3 interval"},
		{"v3 auth", func(a *Advert) { a.AuthType = AuthPass }, okV3, advTestSrc, advTestDst, "no authentication"},
		{"v3 auth data", func(a *Advert) { a.AuthData = PasswordData("x") }, okV3, advTestSrc, advTestDst, "no authentication"},
		{"v3 no src", func(a *Advert) {}, okV3, netip.Addr{}, advTestDst, "IPv4 source"},
		{"v3 IPv6 dst", func(a *Advert) {}, okV3, advTestSrc, netip.MustParseAddr("ff02::12"), "IPv4 source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.base
			tc.edit(&a)
			out, err := a.Marshal(tc.src, tc.dst)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Marshal = % x, %v; want error containing %q", out, err, tc.wantErr)
			}
		})
	}
	// v2 ignores src and dst: its checksum has no pseudo-header.
	if _, err := ok.Marshal(netip.Addr{}, netip.Addr{}); err != nil {
		t.Errorf("v2 Marshal without addresses: %v", err)
	}
}

func isReason(err error, want Reason) bool {
	r, ok := ReasonOf(err)
	return ok && r == want
}
