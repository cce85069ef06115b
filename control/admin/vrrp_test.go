package admin

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

func sampleVRRP() []VRRPInstance {
	return []VRRPInstance{
		{Name: "VI_1", VRID: 51, Port: "wan", Version: 2, State: "MASTER", Since: t0.Add(-90 * time.Second), Priority: 150, ConfiguredPriority: 150,
			Master: "10.0.0.1", Addresses: []string{"10.0.0.100"}, Transitions: 2, AdvertsSent: 90, AdvertsReceived: 3,
			Rejected: map[string]uint64{"auth_data": 2, "ttl": 1}},
		{Name: "VI_2", VRID: 52, Port: "lan", Version: 3, State: "BACKUP", Since: t0.Add(-time.Second), Priority: 90, ConfiguredPriority: 100,
			Master: "10.1.0.2", Addresses: []string{"10.1.0.1"}, Transitions: 1, AdvertsReceived: 900, Rejected: map[string]uint64{},
			Group: "G_NAT", GroupState: "BACKUP", VMAC: "00:00:5e:00:01:34",
			Tracking: []VRRPTracked{{Object: "port:lan", Up: true}, {Object: "script:chk_web", Weight: -10, Up: false}, {Object: "dataplane", Up: true}}},
		{Name: "VI_3", VRID: 53, Port: "lan", Version: 3, State: "FAULT", Since: t0.Add(-3 * time.Second), Priority: 100, ConfiguredPriority: 100,
			Addresses: []string{"10.1.0.254"}, Transitions: 3, Rejected: map[string]uint64{}, Fault: true, GroupFault: true, Group: "G_NAT", GroupState: "FAULT",
			Tracking: []VRRPTracked{{Object: "port:lan", Up: false}}},
	}
}

func TestFormatVRRP(t *testing.T) {
	var b bytes.Buffer
	if err := formatVRRP(&b, sampleVRRP(), t0); err != nil {
		t.Fatal(err)
	}
	golden(t, "vrrp", b.Bytes())
	b.Reset()
	if err := formatVRRP(&b, nil, t0); err != nil || b.String() != "no VRRP instances configured\n" {
		t.Errorf("no instances: %q %v", b.String(), err)
	}
}

// vrrpFake is a Source that also has VRRP instances.
type vrrpFake struct {
	*fakeSource
	ins []VRRPInstance
}

func (v vrrpFake) VRRP() []VRRPInstance { return v.ins }

func TestVRRPOverTheSocket(t *testing.T) {
	path, _ := serve(t, vrrpFake{newFake(), sampleVRRP()}, nil)
	got, err := Dial(path).VRRP()
	if err != nil || !reflect.DeepEqual(got, sampleVRRP()) {
		t.Fatalf("VRRP() = %+v, %v", got, err)
	}
	// A source without VRRP answers an empty list.
	path, _ = serve(t, newFake(), nil)
	if got, err := Dial(path).VRRP(); err != nil || len(got) != 0 {
		t.Errorf("without VRRP: %+v, %v", got, err)
	}
}

func TestFormatEvent(t *testing.T) {
	for _, tc := range []struct {
		ev   Event
		want string
	}{
		{Event{Time: t0, Type: "server_down", Service: "tcp/10.0.0.10:80", Address: "10.1.0.12", Port: 80, Reason: "connection refused"},
			"2026-12-02T10:00:00.000Z server_down tcp/10.0.0.10:80 10.1.0.12:80 (connection refused)\n"},
		{Event{Time: t0, Type: EventVRRPState, Instance: "VI_1", From: "BACKUP", To: "MASTER", Priority: 150, Master: "10.0.0.1"},
			"2026-12-02T10:00:00.000Z vrrp_state VI_1 BACKUP->MASTER priority 150 master 10.0.0.1\n"},
		{Event{Time: t0, Type: EventVRRPState, Instance: "VI_LAN", Group: "G_NAT", From: "BACKUP", To: "MASTER", Priority: 100, Reason: "sync group G_NAT"},
			"2026-12-02T10:00:00.000Z vrrp_state VI_LAN BACKUP->MASTER priority 100 (sync group G_NAT)\n"},
		{Event{Time: t0, Type: EventVRRPState, Group: "G_NAT", From: "MASTER", To: "FAULT"},
			"2026-12-02T10:00:00.000Z vrrp_state group G_NAT MASTER->FAULT\n"},
	} {
		var b bytes.Buffer
		if err := FormatEvent(&b, tc.ev); err != nil || b.String() != tc.want {
			t.Errorf("FormatEvent(%+v) = %q, %v; want %q", tc.ev, b.String(), err, tc.want)
		}
	}
}
