package dataplane

import (
	"strings"
	"testing"
)

// Kernel interfaces that cannot be created are refused before EAL starts,
// naming the field; changing one needs a restart.

func TestCheckKernelPorts(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func([]PortSpec)
		want string // "" = accepted
	}{
		{"two interfaces", func(p []PortSpec) {}, ""},
		{"one disabled", func(p []PortSpec) { p[1].Kernel = KernelSpec{} }, ""},
		{"empty name", func(p []PortSpec) { p[0].Kernel.Name = "" }, "ports[0] (wan).kernel.name: empty"},
		{"too long", func(p []PortSpec) { p[1].Kernel.Name = "govs-a-very-long-name" }, "ports[1] (lan).kernel.name: interface name \"govs-a-very-long-name\" is longer than 15"},
		{"a comma", func(p []PortSpec) { p[0].Kernel.Name = "a,b" }, "ports[0] (wan).kernel.name: interface name \"a,b\" contains"},
		{"the same twice", func(p []PortSpec) { p[1].Kernel.Name = p[0].Kernel.Name }, "ports[1] (lan).kernel.name: \"govs-wan\" is also the interface of ports[0] (wan)"},
		{"a data port's tap", func(p []PortSpec) { p[0].Device = "net_tap0,iface=uplink"; p[1].Kernel.Name = "uplink" }, "ports[1] (lan).kernel.name: \"uplink\" is also the interface of ports[0] (wan)"},
		{"exists already", func(p []PortSpec) { p[0].Kernel.Name = "lo" }, "ports[0] (wan).kernel.name: an interface \"lo\" already exists"},
		{"reserved device", func(p []PortSpec) { p[1].Device = "net_tap_govs0,iface=x" }, "ports[1] (lan).device \"net_tap_govs0,iface=x\": the name net_tap_govs* is reserved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ports := kernelSpec().Ports
			tc.edit(ports)
			err := checkKernelPorts(ports)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestKernelChangeNeedsRestart(t *testing.T) {
	old := kernelSpec().Ports
	for _, edit := range []func([]PortSpec){
		func(p []PortSpec) { p[0].Kernel.Enabled = false },
		func(p []PortSpec) { p[0].Kernel.Name = "other" },
	} {
		ports := kernelSpec().Ports
		edit(ports)
		err := samePorts(old, ports)
		if err == nil || !strings.Contains(err.Error(), "ports[0] (wan).kernel: changed") || !strings.Contains(err.Error(), "restart") {
			t.Fatalf("changed kernel interface: %v", err)
		}
	}
	if err := samePorts(old, kernelSpec().Ports); err != nil {
		t.Fatalf("same ports refused: %v", err)
	}
}

func TestDevargValue(t *testing.T) {
	for devargs, want := range map[string]string{
		"net_tap0,iface=govs0":     "govs0",
		"net_tap0,mac=x,iface=wan": "wan",
		"net_tap0":                 "",
		"0000:03:00.0":             "",
		"net_pcap0,rx_iface=eth0":  "",
		"net_tap1,iface=a,iface=b": "a",
	} {
		if got := devargValue(devargs, "iface"); got != want {
			t.Errorf("devargValue(%q) = %q, want %q", devargs, got, want)
		}
	}
}
