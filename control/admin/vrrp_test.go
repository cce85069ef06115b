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
			Master: "10.1.0.2", Addresses: []string{"10.1.0.1"}, Transitions: 1, AdvertsReceived: 900, Rejected: map[string]uint64{}},
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
	if err != nil || len(got) != 2 || got[0].Name != "VI_1" || !reflect.DeepEqual(got[0].Rejected, sampleVRRP()[0].Rejected) {
		t.Fatalf("VRRP() = %+v, %v", got, err)
	}
	// A source without VRRP answers an empty list.
	path, _ = serve(t, newFake(), nil)
	if got, err := Dial(path).VRRP(); err != nil || len(got) != 0 {
		t.Errorf("without VRRP: %+v, %v", got, err)
	}
}
