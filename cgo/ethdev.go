package dpdk

/*
#cgo noescape govs_rx_burst
#cgo nocallback govs_rx_burst
#cgo noescape govs_tx_burst
#cgo nocallback govs_tx_burst
#include <stdlib.h>
#include "govs_dpdk.h"
*/
import "C"

import (
	"strings"
	"unsafe"
)

// ProbeVdev creates a virtual device from devargs, e.g.
// "net_tap0,iface=dtap0" (rte_dev_probe), and returns its port, found by
// the device name: devargs up to the first comma.
func ProbeVdev(devargs string) (port uint16, err error) {
	if err := probe(devargs); err != nil {
		return 0, err
	}
	name, _, _ := strings.Cut(devargs, ",")
	return PortByName(name)
}

func probe(devargs string) error {
	cargs := C.CString(devargs)
	defer C.free(unsafe.Pointer(cargs))
	if r := C.rte_dev_probe(cargs); r < 0 {
		return newError(int(r), "rte_dev_probe(%q)", devargs)
	}
	return nil
}

// PortByName finds a port by its ethdev name ("net_tap0", "net_ring0", or a
// PCI address such as "0000:03:00.0"). A PCI device that EAL did not probe
// at start (e.g. it was not on the allow-list) is probed first; "03:00.0"
// is read as "0000:03:00.0".
func PortByName(name string) (uint16, error) {
	if isPCIAddr(name) && strings.Count(name, ":") == 1 {
		name = "0000:" + name
	}
	port, r := portByName(name)
	if r == -C.ENODEV && isPCIAddr(name) {
		if err := probe(name); err != nil {
			return 0, err
		}
		port, r = portByName(name)
	}
	if r < 0 {
		return 0, newError(int(r), "rte_eth_dev_get_port_by_name(%q)", name)
	}
	return port, nil
}

func portByName(name string) (uint16, C.int) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var port C.uint16_t
	r := C.rte_eth_dev_get_port_by_name(cname, &port)
	return uint16(port), r
}

// isPCIAddr reports whether s looks like [DDDD:]BB:DD.F (hex digits).
func isPCIAddr(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) == 3 {
		if !isHex(parts[0], 4) {
			return false
		}
		parts = parts[1:]
	}
	if len(parts) != 2 || !isHex(parts[0], 2) {
		return false
	}
	dev, fn, ok := strings.Cut(parts[1], ".")
	return ok && isHex(dev, 2) && len(fn) == 1 && fn[0] >= '0' && fn[0] <= '7'
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// PortName is the ethdev name of port, or "" if there is no such port.
func PortName(port uint16) string {
	var buf [C.RTE_ETH_NAME_MAX_LEN]C.char
	if C.rte_eth_dev_get_name_by_port(C.uint16_t(port), &buf[0]) != 0 {
		return ""
	}
	return C.GoString(&buf[0])
}

// PortConf is what PortConfigure sets up.
type PortConf struct {
	RxQueues, TxQueues uint16 // 0 = 1
	RxDesc, TxDesc     uint16 // descriptors per queue; 0 = 1024; clamped to the PMD's limits
	MTU                uint16 // 0 = leave the default
	// RxInterrupts asks for rx queue interrupts (RxQueueFD), for a reader
	// that sleeps between bursts instead of polling.
	RxInterrupts bool
}

// PortConfigure configures port with c: rte_eth_dev_configure (RSS over
// IP/TCP/UDP when there are several rx queues and the PMD supports it),
// descriptor counts adjusted to the PMD's limits, every rx queue fed from
// pool, every tx queue, and the MTU. socket -1 = the port's own socket.
func PortConfigure(port uint16, c PortConf, pool *Mempool, socket int) error {
	if C.rte_eth_dev_is_valid_port(C.uint16_t(port)) == 0 {
		return newError(int(C.ENODEV), "PortConfigure(port %d): no such port", port)
	}
	if pool == nil || pool.p == nil {
		return newError(int(C.EINVAL), "PortConfigure(port %d): no mempool for the rx queues", port)
	}
	nrx, ntx := max(c.RxQueues, 1), max(c.TxQueues, 1)
	rxd, txd := C.uint16_t(c.RxDesc), C.uint16_t(c.TxDesc)
	if rxd == 0 {
		rxd = 1024
	}
	if txd == 0 {
		txd = 1024
	}
	if socket < 0 {
		socket = int(C.rte_eth_dev_socket_id(C.uint16_t(port)))
	}
	p := C.uint16_t(port)
	intr := C.int(0)
	if c.RxInterrupts {
		intr = 1
	}
	if r := C.govs_eth_dev_configure(p, C.uint16_t(nrx), C.uint16_t(ntx), intr); r < 0 {
		return newError(int(r), "rte_eth_dev_configure(port %d, %d rx queues, %d tx queues)", port, nrx, ntx)
	}
	if r := C.rte_eth_dev_adjust_nb_rx_tx_desc(p, &rxd, &txd); r < 0 {
		return newError(int(r), "rte_eth_dev_adjust_nb_rx_tx_desc(port %d)", port)
	}
	for q := range nrx {
		if r := C.rte_eth_rx_queue_setup(p, C.uint16_t(q), rxd, C.uint(socket), nil, pool.p); r < 0 {
			return newError(int(r), "rte_eth_rx_queue_setup(port %d, queue %d, %d descriptors, pool %q)", port, q, rxd, pool.name)
		}
	}
	for q := range ntx {
		if r := C.rte_eth_tx_queue_setup(p, C.uint16_t(q), txd, C.uint(socket), nil); r < 0 {
			return newError(int(r), "rte_eth_tx_queue_setup(port %d, queue %d, %d descriptors)", port, q, txd)
		}
	}
	if c.MTU != 0 {
		if r := C.rte_eth_dev_set_mtu(p, C.uint16_t(c.MTU)); r < 0 {
			// Some vdevs (net_pcap) cannot change their MTU; that is only
			// a problem if it differs from the one asked for.
			var cur C.uint16_t
			if r != -C.ENOTSUP || C.rte_eth_dev_get_mtu(p, &cur) != 0 || uint16(cur) != c.MTU {
				return newError(int(r), "rte_eth_dev_set_mtu(port %d, %d)", port, c.MTU)
			}
		}
	}
	return nil
}

// RxQueueFD is the file descriptor that polls readable while frames wait
// on an rx queue of a started port configured with RxInterrupts
// (rte_eth_dev_rx_intr_ctl_q_get_fd). It belongs to the port: never
// close it, never read it.
func RxQueueFD(port, queue uint16) (int, error) {
	fd := C.rte_eth_dev_rx_intr_ctl_q_get_fd(C.uint16_t(port), C.uint16_t(queue))
	if fd < 0 {
		return -1, newError(int(C.ENOTSUP), "rte_eth_dev_rx_intr_ctl_q_get_fd(port %d, queue %d)", port, queue)
	}
	return int(fd), nil
}

// PortStart starts port (rte_eth_dev_start).
func PortStart(port uint16) error {
	if r := C.rte_eth_dev_start(C.uint16_t(port)); r < 0 {
		return newError(int(r), "rte_eth_dev_start(port %d)", port)
	}
	return nil
}

// PortStop stops port (rte_eth_dev_stop).
func PortStop(port uint16) error {
	if r := C.rte_eth_dev_stop(C.uint16_t(port)); r < 0 {
		return newError(int(r), "rte_eth_dev_stop(port %d)", port)
	}
	return nil
}

// PortClose closes a stopped port and releases it (rte_eth_dev_close).
func PortClose(port uint16) error {
	if r := C.rte_eth_dev_close(C.uint16_t(port)); r < 0 {
		return newError(int(r), "rte_eth_dev_close(port %d)", port)
	}
	return nil
}

// SetPromiscuous turns promiscuous mode on or off.
func SetPromiscuous(port uint16, on bool) error {
	var r C.int
	op := "rte_eth_promiscuous_disable"
	if on {
		op = "rte_eth_promiscuous_enable"
		r = C.rte_eth_promiscuous_enable(C.uint16_t(port))
	} else {
		r = C.rte_eth_promiscuous_disable(C.uint16_t(port))
	}
	if r < 0 {
		return newError(int(r), "%s(port %d)", op, port)
	}
	return nil
}

// Promiscuous reports whether the port is in promiscuous mode.
func Promiscuous(port uint16) (bool, error) {
	r := C.rte_eth_promiscuous_get(C.uint16_t(port))
	if r < 0 {
		return false, newError(int(r), "rte_eth_promiscuous_get(port %d)", port)
	}
	return r == 1, nil
}

// AddMACAddr makes the port receive frames to mac besides its own MAC
// (rte_eth_dev_mac_addr_add, pool 0).
func AddMACAddr(port uint16, mac [6]byte) error {
	a := etherAddr(mac)
	if r := C.rte_eth_dev_mac_addr_add(C.uint16_t(port), &a, 0); r < 0 {
		return newError(int(r), "rte_eth_dev_mac_addr_add(port %d, %x)", port, mac)
	}
	return nil
}

// RemoveMACAddr undoes AddMACAddr (rte_eth_dev_mac_addr_remove).
func RemoveMACAddr(port uint16, mac [6]byte) error {
	a := etherAddr(mac)
	if r := C.rte_eth_dev_mac_addr_remove(C.uint16_t(port), &a); r < 0 {
		return newError(int(r), "rte_eth_dev_mac_addr_remove(port %d, %x)", port, mac)
	}
	return nil
}

func etherAddr(mac [6]byte) C.struct_rte_ether_addr {
	var a C.struct_rte_ether_addr
	for i, b := range mac {
		a.addr_bytes[i] = C.uint8_t(b)
	}
	return a
}

// MACAddr is the port's MAC address.
func MACAddr(port uint16) ([6]byte, error) {
	var a C.struct_rte_ether_addr
	if r := C.rte_eth_macaddr_get(C.uint16_t(port), &a); r < 0 {
		return [6]byte{}, newError(int(r), "rte_eth_macaddr_get(port %d)", port)
	}
	return *(*[6]byte)(unsafe.Pointer(&a.addr_bytes[0])), nil
}

// LinkStatus reads the link state without waiting for autonegotiation
// (rte_eth_link_get_nowait).
func LinkStatus(port uint16) (up bool, speedMbps uint32, err error) {
	var u C.int
	var s C.uint32_t
	if r := C.govs_link_get_nowait(C.uint16_t(port), &u, &s); r < 0 {
		return false, 0, newError(int(r), "rte_eth_link_get_nowait(port %d)", port)
	}
	return u != 0, uint32(s), nil
}

// PortStats are the basic port counters (struct rte_eth_stats).
type PortStats struct {
	IPackets, OPackets, IBytes, OBytes uint64
	IMissed, IErrors, OErrors          uint64
	RxNoMbuf                           uint64 // rx failures for lack of mbufs
}

// Stats reads the port counters (rte_eth_stats_get).
func Stats(port uint16) (PortStats, error) {
	var s C.struct_rte_eth_stats
	if r := C.rte_eth_stats_get(C.uint16_t(port), &s); r < 0 {
		return PortStats{}, newError(int(r), "rte_eth_stats_get(port %d)", port)
	}
	return PortStats{
		IPackets: uint64(s.ipackets), OPackets: uint64(s.opackets),
		IBytes: uint64(s.ibytes), OBytes: uint64(s.obytes),
		IMissed: uint64(s.imissed), IErrors: uint64(s.ierrors), OErrors: uint64(s.oerrors),
		RxNoMbuf: uint64(s.rx_nombuf),
	}, nil
}

// maxBurst bounds a burst to what the uint16 count of the DPDK API holds.
const maxBurst = 0xffff

// RxBurst receives up to len(pkts) packets from queue of port into pkts and
// returns how many, together with the TSC read right after the receive: one
// cgo call for both. port and queue must be configured and started (DPDK
// does not check them on this path).
func RxBurst(port, queue uint16, pkts []*Mbuf) (n int, tsc uint64) {
	if len(pkts) == 0 {
		return 0, RDTSC()
	}
	r := C.govs_rx_burst(C.uint16_t(port), C.uint16_t(queue), mbufArray(pkts), C.uint16_t(min(len(pkts), maxBurst)))
	return int(r.n), uint64(r.tsc)
}

// TxBurst transmits pkts on queue of port in one cgo call and returns how
// many the PMD took. The rest are freed in the same call, so after TxBurst
// the caller owns none of pkts. port and queue must be configured and
// started.
func TxBurst(port, queue uint16, pkts []*Mbuf) int {
	if len(pkts) == 0 {
		return 0
	}
	sent := 0
	// Bursts longer than the API's uint16 are split (never happens with
	// sane burst sizes, but keeps the "caller owns none" promise).
	for len(pkts) > maxBurst {
		sent += int(C.govs_tx_burst(C.uint16_t(port), C.uint16_t(queue), mbufArray(pkts), maxBurst))
		pkts = pkts[maxBurst:]
	}
	return sent + int(C.govs_tx_burst(C.uint16_t(port), C.uint16_t(queue), mbufArray(pkts), C.uint16_t(len(pkts))))
}
