package admin

import (
	"bytes"
	"strings"
	"testing"
)

// The kernel interfaces' table in govsctl status: one row per interface,
// the drops that counted spelled out by reason; no table without one.
func TestFormatStatusKernelInterfaces(t *testing.T) {
	st := Status{
		Ready: true, Generation: 2, Workers: []uint{1},
		Ports: []PortStatus{
			{Name: "wan", Device: "net_tap0,iface=gvwan", Address: "10.0.0.1/24", MAC: "02:00:00:00:00:01", LinkUp: true},
			{Name: "lan", Device: "net_tap1,iface=gvlan", Address: "10.1.0.1/24", MAC: "02:00:00:00:00:02", LinkUp: true},
		},
		Kernel: []KernelInterface{
			{Name: "govs-wan", Port: "wan",
				ToKernel:   KernelTraffic{Packets: 120, Bytes: 9840, Drops: map[string]uint64{"kernel_full": 3, "tap_full": 0, "no_mbuf": 0}},
				FromKernel: KernelTraffic{Packets: 118, Bytes: 9700, Drops: map[string]uint64{"inject_full": 1, "multi_segment": 0, "no_mbuf": 0}}},
			{Name: "govs-lan", Port: "lan",
				ToKernel:   KernelTraffic{Packets: 2000, Bytes: 180000, Drops: map[string]uint64{"kernel_full": 0, "tap_full": 0, "no_mbuf": 0}},
				FromKernel: KernelTraffic{Packets: 2000, Bytes: 160000, Drops: map[string]uint64{}}},
		},
	}
	var b bytes.Buffer
	if err := FormatStatus(&b, st); err != nil {
		t.Fatal(err)
	}
	golden(t, "status_kernel", b.Bytes())

	st.Kernel = nil
	b.Reset()
	if err := FormatStatus(&b, st); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "kernel interfaces") {
		t.Fatalf("a kernel interfaces table without kernel interfaces:\n%s", b.String())
	}
}
