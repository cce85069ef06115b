package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/govs-project/govs/control/admin"
)

// The kernel interfaces' counters: packets and bytes by port and
// direction, drops by reason too.
func TestCollectKernelInterfaces(t *testing.T) {
	src := fakeSource{status: admin.Status{Kernel: []admin.KernelInterface{{
		Name: "govs-wan", Port: "wan",
		ToKernel:   admin.KernelTraffic{Packets: 12, Bytes: 984, Drops: map[string]uint64{"kernel_full": 3, "tap_full": 0, "no_mbuf": 0}},
		FromKernel: admin.KernelTraffic{Packets: 11, Bytes: 970, Drops: map[string]uint64{"inject_full": 1, "multi_segment": 0, "no_mbuf": 2}},
	}}}}
	mfs, series, _ := gather(t, registry(t, src))
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	want := map[string]float64{
		`govs_kernel_packets_total{direction="to_kernel",port="wan"}`:                      12,
		`govs_kernel_packets_total{direction="from_kernel",port="wan"}`:                    11,
		`govs_kernel_bytes_total{direction="to_kernel",port="wan"}`:                        984,
		`govs_kernel_bytes_total{direction="from_kernel",port="wan"}`:                      970,
		`govs_kernel_drops_total{direction="to_kernel",port="wan",reason="kernel_full"}`:   3,
		`govs_kernel_drops_total{direction="to_kernel",port="wan",reason="tap_full"}`:      0,
		`govs_kernel_drops_total{direction="to_kernel",port="wan",reason="no_mbuf"}`:       0,
		`govs_kernel_drops_total{direction="from_kernel",port="wan",reason="inject_full"}`: 1,
		`govs_kernel_drops_total{direction="from_kernel",port="wan",reason="no_mbuf"}`:     2,
	}
	for k, v := range want {
		if got, ok := series[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	n := 0
	for k := range series {
		if strings.HasPrefix(k, "govs_kernel_") {
			n++
		}
	}
	if n != 4+6 {
		t.Errorf("%d kernel series, want 10 (2 packets, 2 bytes, 6 drop reasons)", n)
	}
	if _, ok := series[`govs_kernel_packets_total{direction="to_kernel",port="lan"}`]; ok {
		t.Error("a series for a port without a kernel interface")
	}
}
