package realserver

import (
	"net/netip"
	"os"
	"strings"
	"testing"
)

func TestParseVIP(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.100":      "",
		"0.0.0.0":         "not a unicast address",
		"127.0.0.1":       "not a unicast address",
		"224.0.0.18":      "not a unicast address",
		"255.255.255.255": "not a unicast address",
		"2001:db8::1":     "not an IPv4 address",
		"10.0.0":          "not an IPv4 address",
	} {
		_, err := ParseVIP(in)
		if (err == nil) != (want == "") || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("ParseVIP(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.1")
	o, err := Options{Mode: DR, VIPs: []netip.Addr{a, b, a}, StateDir: "/x"}.normalize(true)
	if err != nil {
		t.Fatal(err)
	}
	if !sameVIPs(o.VIPs, []netip.Addr{b, a}) || o.Decap != DecapAuto || o.Tun != DefaultTun || len(o.DecapCommand) != 3 {
		t.Errorf("normalized %+v", o)
	}
	if _, err := (Options{Mode: DR}).normalize(true); err == nil || !strings.Contains(err.Error(), "no VIP") {
		t.Errorf("no VIPs: %v", err)
	}
	if _, err := (Options{Tun: "a-very-long-tun-name"}).normalize(false); err == nil {
		t.Error("long TUN name accepted")
	}
}

func TestSysctlPath(t *testing.T) {
	for name, want := range map[string]string{
		"net.ipv4.conf.all.arp_ignore":     "/proc/sys/net/ipv4/conf/all/arp_ignore",
		"net.ipv4.conf.eth0.100.rp_filter": "/proc/sys/net/ipv4/conf/eth0.100/rp_filter",
		"net.ipv6.conf.tun0.disable_ipv6":  "/proc/sys/net/ipv6/conf/tun0/disable_ipv6",
	} {
		if got := sysctlPath(name); got != want {
			t.Errorf("sysctlPath(%s) = %s, want %s", name, got, want)
		}
	}
}

func TestNeeds(t *testing.T) {
	for _, tc := range []struct {
		m    Mode
		name string
		want bool
	}{
		{DR, "net.ipv4.conf.all.arp_ignore", true},
		{TUN, "net.ipv4.conf.eth0.arp_announce", true},
		{DR, "net.ipv4.conf.all.rp_filter", false},
		{TUN, "net.ipv4.conf.all.rp_filter", true},
	} {
		if got := needs(tc.m, tc.name); got != tc.want {
			t.Errorf("needs(%s, %s) = %v", tc.m, tc.name, got)
		}
	}
}

func TestProcStartTime(t *testing.T) {
	st, err := procStartTime(os.Getpid())
	if err != nil || st == 0 {
		t.Fatalf("own start time: %d, %v", st, err)
	}
	d := DecapProc{Pid: os.Getpid(), StartTime: st + 1}
	if d.alive() {
		t.Error("a different start time must mean another process")
	}
}

func TestStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := &State{Mode: TUN, VIPs: []netip.Addr{vip}, Netns: "net:[1]",
		Sysctls:   []SysctlChange{{Name: "net.ipv4.conf.all.rp_filter", Previous: "1", Value: "0"}},
		Addresses: []AddrChange{{Address: netip.PrefixFrom(vip, 32), Interface: "tunl0"}},
		Decap:     &DecapProc{Pid: 42, Tun: "govs-tun0"}}
	if err := saveState(dir, s); err != nil {
		t.Fatal(err)
	}
	got, err := loadState(dir, TUN)
	if err != nil || got == nil || got.Decap.Pid != 42 || got.Addresses[0] != s.Addresses[0] || got.Sysctls[0] != s.Sysctls[0] {
		t.Fatalf("loaded %+v, %v", got, err)
	}
	if none, err := loadState(dir, DR); none != nil || err != nil {
		t.Errorf("absent state: %v, %v", none, err)
	}
	os.WriteFile(statePath(dir, DR), []byte("{"), 0o644)
	if _, err := loadState(dir, DR); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt state: %v", err)
	}
}
