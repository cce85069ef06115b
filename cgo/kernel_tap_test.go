package dpdk_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	dpdk "github.com/govs-project/govs/cgo"
	"github.com/govs-project/govs/dataplane/kernelif"
)

// A data port's kernel interface (the exception path) as govsd creates it:
// a net_tap vdev with the port's MAC, configured by kernelif, inside a
// network namespace the test creates (so nothing touches the host's). The
// kernel side must have the MAC, MTU and address, answer no ARP itself,
// ask from the port's address, and route through the gateway; its frames
// must come out of the tap port with that MAC.
func TestKernelInterfaceInNamespace(t *testing.T) {
	const (
		name = "govsktest0"
		mtu  = 1400
	)
	mac := [6]byte{0x02, 0x00, 0x5e, 0x10, 0x20, 0x30}
	addr := netip.MustParsePrefix("10.99.0.1/24")
	gw := netip.MustParseAddr("10.99.0.254")
	pool := newPool(t, "t_kernelif", 1023)

	created, checked := make(chan error), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		// Never unlocked: the thread exits with this goroutine, and the
		// namespace with its last user.
		runtime.LockOSThread()
		done <- func() (err error) {
			if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
				created <- err
				return nil
			}
			port, err := dpdk.ProbeVdev(kernelif.Devargs("net_tap_govs9", name, mac))
			if err != nil {
				created <- err
				return nil
			}
			defer func() {
				if cerr := dpdk.PortClose(port); cerr != nil {
					err = errors.Join(err, cerr)
				}
				if kernelif.Exists(name) {
					err = errors.Join(err, fmt.Errorf("interface %s still exists after PortClose", name))
				}
			}()
			created <- nil
			<-checked
			if err := kernelif.Prepare(name); err != nil {
				return err
			}
			conf := dpdk.PortConf{RxQueues: 1, TxQueues: 1, RxDesc: 256, TxDesc: 256, MTU: mtu, RxInterrupts: true}
			if err := dpdk.PortConfigure(port, conf, pool, -1); err != nil {
				return err
			}
			if err := dpdk.PortStart(port); err != nil {
				return err
			}
			defer func() {
				if serr := dpdk.PortStop(port); serr != nil {
					err = errors.Join(err, serr)
				}
			}()
			c := kernelif.Config{Name: name, MAC: mac, MTU: mtu, Addr: addr, Gateway: gw, Metric: kernelif.RouteMetricBase}
			for range 2 { // the second time finds everything done (the route exists)
				if err := kernelif.Configure(c); err != nil {
					return err
				}
			}
			return errors.Join(checkKernelSide(name, mac, mtu, addr, gw), checkKernelTraffic(port, pool, mac))
		}()
	}()
	if err := <-created; err != nil {
		t.Fatalf("creating %s in a new namespace: %v", name, err)
	}
	if kernelif.Exists(name) {
		t.Errorf("%s appeared in the test's own namespace, want only in the new one", name)
	}
	close(checked)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// checkKernelSide reads back what Configure and Prepare set.
func checkKernelSide(name string, mac [6]byte, mtu int, addr netip.Prefix, gw netip.Addr) error {
	var errs []error
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return err
	}
	if !bytes.Equal(ifi.HardwareAddr, mac[:]) {
		errs = append(errs, fmt.Errorf("MAC %s, want %s", ifi.HardwareAddr, net.HardwareAddr(mac[:])))
	}
	if ifi.MTU != mtu {
		errs = append(errs, fmt.Errorf("MTU %d, want %d", ifi.MTU, mtu))
	}
	if ifi.Flags&net.FlagUp == 0 {
		errs = append(errs, errors.New("link down"))
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return err
	}
	if got := fmt.Sprint(addrs); got != "["+addr.String()+"]" {
		errs = append(errs, fmt.Errorf("addresses %s, want only %s (no IPv6 link-local either)", got, addr))
	}
	for path, want := range map[string]string{
		"ipv4/conf/" + name + "/arp_ignore":   "8",
		"ipv4/conf/" + name + "/arp_announce": "2",
		"ipv6/conf/" + name + "/disable_ipv6": "1",
	} {
		if got, err := kernelif.Sysctl(path); err != nil || got != want {
			errs = append(errs, fmt.Errorf("net/%s = %q (%v), want %s", path, got, err, want))
		}
	}
	if r, err := defaultRoute(name); err != nil {
		errs = append(errs, err)
	} else if r != fmt.Sprintf("via %s metric %d", gw, kernelif.RouteMetricBase) {
		errs = append(errs, fmt.Errorf("default route %s", r))
	}
	return errors.Join(errs...)
}

// defaultRoute describes the default route out of dev in this thread's
// namespace, from /proc/thread-self/net/route (/proc/net is the process's).
func defaultRoute(dev string) (string, error) {
	b, err := os.ReadFile("/proc/thread-self/net/route")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 7 || f[0] != dev || f[1] != "00000000" {
			continue
		}
		var g, metric uint32
		if _, err := fmt.Sscanf(f[2]+" "+f[6], "%X %d", &g, &metric); err != nil {
			return "", err
		}
		var ip [4]byte
		binary.LittleEndian.PutUint32(ip[:], g)
		return fmt.Sprintf("via %s metric %d", netip.AddrFrom4(ip), metric), nil
	}
	return "", fmt.Errorf("no default route out of %s in:\n%s", dev, b)
}

// checkKernelTraffic: a datagram the kernel sends to a neighbour wakes the
// rx queue's fd and leaves the tap port as an ARP request from the port's
// MAC and address; answered through the tap, the datagram follows. An ARP request for the kernel's
// own address gets no answer (arp_ignore 8: the slow path answers).
func checkKernelTraffic(port uint16, pool *dpdk.Mempool, mac [6]byte) error {
	peerMAC := [6]byte{0x02, 0, 0, 0, 0x99, 0x02}
	us, peer := [4]byte{10, 99, 0, 1}, [4]byte{10, 99, 0, 2}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	rxfd, err := dpdk.RxQueueFD(port, 0)
	if err != nil {
		return err
	}
	pfd := []unix.PollFd{{Fd: int32(rxfd), Events: unix.POLLIN}}
	if n, err := unix.Poll(pfd, 0); err != nil || n != 0 {
		return fmt.Errorf("the rx queue's fd polls readable (%d, %v) before the kernel sent anything", n, err)
	}
	if err := unix.Sendto(fd, []byte("govs health check"), 0, &unix.SockaddrInet4{Port: 9999, Addr: peer}); err != nil {
		return fmt.Errorf("send from the kernel: %w", err)
	}
	// the slow path sleeps on this fd: the kernel's frame must wake it
	if n, err := unix.Poll(pfd, 2000); err != nil || n != 1 || pfd[0].Revents&unix.POLLIN == 0 {
		return fmt.Errorf("the rx queue's fd did not poll readable when the kernel sent (%d, %v, revents %#x)", n, err, pfd[0].Revents)
	}
	req := waitFrame(port, 2*time.Second, func(f []byte) bool { return isARP(f, 1) && bytes.Equal(f[38:42], peer[:]) })
	if req == nil {
		return errors.New("the kernel's ARP request for its peer never came out of the tap")
	}
	if !bytes.Equal(req[6:12], mac[:]) || !bytes.Equal(req[22:28], mac[:]) || !bytes.Equal(req[28:32], us[:]) {
		return fmt.Errorf("the kernel's ARP request is from %x / %x (%v), want the port's MAC and address", req[6:12], req[22:28], req[28:32])
	}
	if err := sendFrame(port, pool, arpFrame(2, peerMAC, peer, mac, us, mac)); err != nil {
		return err
	}
	udp := waitFrame(port, 2*time.Second, func(f []byte) bool {
		return len(f) > 42 && binary.BigEndian.Uint16(f[12:14]) == 0x0800 && f[23] == unix.IPPROTO_UDP && bytes.Equal(f[30:34], peer[:])
	})
	switch {
	case udp == nil:
		return errors.New("the kernel's datagram never followed the ARP reply")
	case !bytes.Equal(udp[0:6], peerMAC[:]) || !bytes.Equal(udp[6:12], mac[:]) || !bytes.Equal(udp[26:30], us[:]):
		return fmt.Errorf("datagram %x -> %x from %v, want the port's MAC and address to the peer's MAC", udp[6:12], udp[0:6], udp[26:30])
	}
	broadcast := [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	if err := sendFrame(port, pool, arpFrame(1, peerMAC, peer, [6]byte{}, us, broadcast)); err != nil {
		return err
	}
	if reply := waitFrame(port, 300*time.Millisecond, func(f []byte) bool { return isARP(f, 2) }); reply != nil {
		return errors.New("the kernel answered ARP for its address (want arp_ignore 8: only the slow path answers)")
	}
	return nil
}

func isARP(f []byte, op uint16) bool {
	return len(f) >= 42 && binary.BigEndian.Uint16(f[12:14]) == 0x0806 && binary.BigEndian.Uint16(f[20:22]) == op
}

// arpFrame is an ARP message from sha/spa to tha/tpa in a frame to dst.
func arpFrame(op uint16, sha [6]byte, spa [4]byte, tha [6]byte, tpa [4]byte, dst [6]byte) []byte {
	f := make([]byte, 60)
	copy(f[0:6], dst[:])
	copy(f[6:12], sha[:])
	binary.BigEndian.PutUint16(f[12:14], 0x0806)
	copy(f[14:22], []byte{0, 1, 8, 0, 6, 4, 0, byte(op)})
	copy(f[22:28], sha[:])
	copy(f[28:32], spa[:])
	copy(f[32:38], tha[:])
	copy(f[38:42], tpa[:])
	return f
}

func sendFrame(port uint16, pool *dpdk.Mempool, f []byte) error {
	pkts := make([]*dpdk.Mbuf, 1)
	if err := pool.AllocBulk(pkts); err != nil {
		return err
	}
	pkts[0].SetLen(uint16(len(f)))
	copy(pkts[0].Data(), f)
	if dpdk.TxBurst(port, 0, pkts) != 1 {
		return errors.New("the tap refused a frame for the kernel")
	}
	return nil
}

// waitFrame polls the tap port for up to wait for a frame match accepts,
// freeing the others; nil if none came.
func waitFrame(port uint16, wait time.Duration, match func([]byte) bool) []byte {
	var pkts [32]*dpdk.Mbuf
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); {
		n, _ := dpdk.RxBurst(port, 0, pkts[:])
		var found []byte
		for _, m := range pkts[:n] {
			if found == nil && match(m.Data()) {
				found = append([]byte(nil), m.Data()...)
			}
		}
		dpdk.FreeBulk(pkts[:n])
		if found != nil {
			return found
		}
		if n == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}
