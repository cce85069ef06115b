package dataplane

import (
	"errors"
	"fmt"
	"strings"

	dpdk "github.com/govs-project/govs/cgo"
	"github.com/govs-project/govs/dataplane/kernelif"
)

// The exception path's ports: one net_tap device per data port whose
// PortSpec.Kernel is enabled. A tap port has one rx and one tx queue on
// the dataplane's mempool, is never polled by an lcore and is no data
// port (not in the snapshot): the slow-path goroutine relays between it
// and the lcores (kernel_relay.go).

// kernelVdevPrefix names the tap devices govsd creates: "net_tap_govs<i>"
// for port i. Data ports may not use it (the names would clash).
const kernelVdevPrefix = "net_tap_govs"

func kernelVdev(port int) string { return fmt.Sprintf("%s%d", kernelVdevPrefix, port) }

// kernelPort is one kernel interface, behind data port index.
type kernelPort struct {
	index int    // data port index
	port  string // data port name
	name  string // kernel interface name
	tap   uint16 // DPDK port id of its net_tap
	rxFD  int    // polls readable while the kernel's frames wait on the tap; -1: none
	cnt   kernelCounters
}

// checkKernelPorts refuses kernel interfaces that cannot be created:
// a bad or duplicate name, one a data port's tap already uses, one that
// exists in the namespace, and data devices named like ours.
func checkKernelPorts(ports []PortSpec) error {
	var errs []error
	names := map[string]int{}
	for i, ps := range ports {
		if dev, _, _ := strings.Cut(ps.Device, ","); strings.HasPrefix(dev, kernelVdevPrefix) {
			errs = append(errs, fmt.Errorf("ports[%d] (%s).device %q: the name %s* is reserved for govsd's kernel interfaces", i, ps.Name, ps.Device, kernelVdevPrefix))
		}
		if iface := devargValue(ps.Device, "iface"); iface != "" {
			names[iface] = i
		}
	}
	for i, ps := range ports {
		if !ps.Kernel.Enabled {
			continue
		}
		field := fmt.Sprintf("ports[%d] (%s).kernel.name", i, ps.Name)
		if err := kernelif.CheckName(ps.Kernel.Name); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
			continue
		}
		if j, dup := names[ps.Kernel.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: %q is also the interface of ports[%d] (%s)", field, ps.Kernel.Name, j, ports[j].Name))
			continue
		}
		names[ps.Kernel.Name] = i
		if kernelif.Exists(ps.Kernel.Name) {
			errs = append(errs, fmt.Errorf("%s: an interface %q already exists in this network namespace", field, ps.Kernel.Name))
		}
		if !ps.Addr.Addr().Is4() {
			errs = append(errs, fmt.Errorf("ports[%d] (%s).address: %v is not IPv4", i, ps.Name, ps.Addr))
		}
	}
	return errors.Join(errs...)
}

// devargValue is key's value in devargs "name,key=value,..." ("" if none).
func devargValue(devargs, key string) string {
	for _, kv := range strings.Split(devargs, ",")[1:] {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// startKernelPort creates port i's kernel interface with the data port's
// MAC, gives it its queues and configures the kernel side.
func (dp *Dataplane) startKernelPort(i int, ps PortSpec, data portInfo, socket int) (*kernelPort, error) {
	field := fmt.Sprintf("ports[%d] (%s).kernel", i, ps.Name)
	devargs := kernelif.Devargs(kernelVdev(i), ps.Kernel.Name, data.mac)
	id, err := dpdk.ProbeVdev(devargs)
	if err != nil {
		return nil, fmt.Errorf("%s: create %s: %w", field, devargs, err)
	}
	dp.configured = append(dp.configured, portState{id: id})
	if err := kernelif.Prepare(ps.Kernel.Name); err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	conf := dpdk.PortConf{RxQueues: 1, TxQueues: 1, RxDesc: uint16(dp.opts.RxDesc), TxDesc: uint16(dp.opts.TxDesc), MTU: uint16(ps.MTU), RxInterrupts: true}
	if err := dpdk.PortConfigure(id, conf, dp.pool, socket); err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	if err := dpdk.PortStart(id); err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	dp.configured[len(dp.configured)-1].started = true
	kc := kernelif.Config{Name: ps.Kernel.Name, MAC: data.mac, MTU: ps.MTU, Addr: ps.Addr, Gateway: ps.Gateway, Metric: uint32(kernelif.RouteMetricBase + i)}
	if err := kernelif.Configure(kc); err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	// The slow path sleeps on it; without one it polls the tap every nap.
	fd, err := dpdk.RxQueueFD(id, 0)
	if err != nil {
		fd = -1
	}
	return &kernelPort{index: i, port: ps.Name, name: ps.Kernel.Name, tap: id, rxFD: fd}, nil
}

// Drop reasons of the kernel interfaces' counters (KernelStatus).
const (
	// to the kernel
	KernelDropFull    = "kernel_full" // the lcore's punt ring was down to its reserve
	KernelDropTapFull = "tap_full"    // the tap (the kernel's queue) refused it
	KernelDropNoMbuf  = "no_mbuf"     // no mbuf for the kernel's copy of ARP; from the kernel: the tap's rx had none
	// from the kernel
	KernelDropInjectFull = "inject_full"   // the lcore's inject ring was full
	KernelDropMultiSeg   = "multi_segment" // a chained frame, which lcores do not send
)

// KernelTraffic is one direction of a kernel interface.
type KernelTraffic struct {
	Packets, Bytes uint64
	Drops          map[string]uint64 // by reason (KernelDrop*), every reason present
}

// KernelStatus is one kernel interface with its counters: ToKernel is
// what the fast path gave the kernel (received on the data port), and
// FromKernel what the kernel sent out of the data port.
type KernelStatus struct {
	Name, Port string
	ToKernel   KernelTraffic
	FromKernel KernelTraffic
}

// KernelInterfaces reports the kernel interfaces and their counters.
func (dp *Dataplane) KernelInterfaces() []KernelStatus {
	if dp.slow == nil {
		return nil
	}
	var full [maxPorts]uint64
	for _, w := range dp.workers {
		st := w.Counters().Lcore()
		for i := range full {
			full[i] += st.KernelFull[i]
		}
	}
	var out []KernelStatus
	for _, k := range dp.slow.kernel.ports {
		if k == nil {
			continue
		}
		var noMbuf uint64
		if st, err := dpdk.Stats(k.tap); err == nil {
			noMbuf = st.RxNoMbuf
		}
		out = append(out, k.status(full[k.index], noMbuf))
	}
	return out
}
