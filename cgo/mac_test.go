package dpdk_test

import (
	"errors"
	"syscall"
	"testing"

	dpdk "github.com/govs-project/govs/cgo"
)

// Promiscuous reads back what SetPromiscuous set (net_null is always
// promiscuous: it cannot be turned off); a device without a
// unicast filter (net_null) refuses extra MACs with ENOTSUP, which the
// dataplane takes as "filters nothing".
func TestPromiscuousAndExtraMACs(t *testing.T) {
	id, err := dpdk.PortByName("net_null0")
	if err != nil {
		t.Fatal(err)
	}
	if err := dpdk.SetPromiscuous(id, true); err != nil {
		t.Fatal(err)
	}
	if on, err := dpdk.Promiscuous(id); err != nil || !on {
		t.Fatalf("Promiscuous = %v, %v after setting it", on, err)
	}
	vmac := [6]byte{0, 0, 0x5e, 0, 1, 7}
	if err := dpdk.AddMACAddr(id, vmac); !errors.Is(err, syscall.ENOTSUP) {
		t.Fatalf("AddMACAddr on net_null: %v, want ENOTSUP", err)
	}
	if err := dpdk.RemoveMACAddr(id, vmac); !errors.Is(err, syscall.ENOTSUP) {
		t.Fatalf("RemoveMACAddr on net_null: %v, want ENOTSUP", err)
	}
	if _, err := dpdk.Promiscuous(1000); err == nil {
		t.Fatal("Promiscuous of a port that does not exist succeeded")
	}
}
