package migrate

import (
	"net/netip"
	"strings"
	"testing"
)

func TestSeconds(t *testing.T) {
	for in, want := range map[string]plain{"60": "60s", "0": "0s", "1.5": "1500ms", "0.0001": "100us", "3600": "3600s"} {
		if got, err := seconds(in); err != nil || got != want {
			t.Errorf("seconds(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "1s", "NaN", "Inf", "1e12"} {
		if _, err := seconds(bad); err == nil {
			t.Errorf("seconds(%q) accepted", bad)
		}
	}
}

func TestExpandRange(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.1":                "10.0.0.1",
		"10.0.0.1-3":              "10.0.0.1 10.0.0.2 10.0.0.3",
		"10.0.0.254-10.0.1.1":     "10.0.0.254 10.0.0.255 10.0.1.0 10.0.1.1",
		"10.0.0.8/30":             "10.0.0.8 10.0.0.9 10.0.0.10 10.0.0.11",
		"10.0.0.9/30":             "10.0.0.8 10.0.0.9 10.0.0.10 10.0.0.11",
		"2001:db8::1-2001:db8::2": "2001:db8::1 2001:db8::2",
	} {
		addrs, err := expandRange(in)
		var got []string
		for _, a := range addrs {
			got = append(got, a.String())
		}
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("expandRange(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"10.0.0.5-3", "x", "10.0.0.1-300", "10.0.0.1-2001:db8::1"} {
		if _, err := expandRange(bad); err == nil {
			t.Errorf("expandRange(%q) accepted", bad)
		}
	}
	if addrs, _ := expandRange("10.0.0.0/8"); len(addrs) != maxGroupAddresses+1 || addrs[0] != netip.MustParseAddr("10.0.0.0") {
		t.Errorf("a /8 expanded to %d addresses, want the listing cut at %d+1", len(addrs), maxGroupAddresses)
	}
}

func TestNormalizeHex(t *testing.T) {
	for in, want := range map[string]string{"00 01": "00 01", "Ab12f 3": "ab 12 0f 03", "DEADBEEF": "de ad be ef", "": ""} {
		if got := normalizeHex(strings.Fields(in)); got != want {
			t.Errorf("normalizeHex(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScalarText(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{"wlc", "wlc"},
		{plain("10.0.0.1"), "10.0.0.1"},
		{plain("255.255.255.0"), "255.255.255.0"},
		{"yes", `"yes"`},
		{"1.5", `"1.5"`},
		{"007", `"007"`},
		{"a b", `"a b"`},
		{"-x", `"-x"`},
		{"a:b", `"a:b"`},
		{"0:", `"0:"`},
		{"say \"hi\"\n", `"say \"hi\"\n"`},
		{"\x01", `"\x01"`},
		{42, "42"},
		{true, "true"},
	} {
		if got := scalarText(tc.in); got != tc.want {
			t.Errorf("scalarText(%#v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
