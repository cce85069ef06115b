package dpdk_test

import (
	"bytes"
	"encoding/binary"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	dpdk "github.com/govs-project/govs/cgo"
)

// A net_tap port is a real L2 wire to the kernel: a frame the test injects
// with an AF_PACKET socket on the kernel side arrives in RxBurst, and what
// TxBurst sends arrives on the socket. The frames use the IEEE local
// experimental EtherType so nothing in the kernel acts on them, and the
// socket only sees that EtherType.
func TestPortTap(t *testing.T) {
	const (
		ifname    = "govscgt0"
		etherType = 0x88b5
	)
	pool := newPool(t, "t_tappool", 1023)
	port, err := dpdk.ProbeVdev("net_tap0,iface=" + ifname)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dpdk.PortClose(port); err != nil {
			t.Error(err)
		}
		if _, err := net.InterfaceByName(ifname); err == nil {
			t.Errorf("interface %s still exists after PortClose", ifname)
		}
	})
	if name := dpdk.PortName(port); name != "net_tap0" {
		t.Errorf("PortName = %q, want net_tap0", name)
	}
	// Keep the kernel from chattering (router solicitations, MLD) on it.
	_ = os.WriteFile("/proc/sys/net/ipv6/conf/"+ifname+"/disable_ipv6", []byte("1"), 0)
	startPort(t, port, pool)
	mac, err := dpdk.MACAddr(port)
	if err != nil || mac == [6]byte{} {
		t.Fatalf("MACAddr = %v, %v; want a non-zero MAC", mac, err)
	}
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		t.Fatal(err)
	}
	if ifi.Flags&net.FlagUp == 0 {
		t.Logf("%s was down after PortStart; bringing it up", ifname)
		setUp(t, ifname)
	}
	before, err := dpdk.Stats(port)
	if err != nil {
		t.Fatal(err)
	}

	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(etherType)))
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(etherType), Ifindex: ifi.Index}); err != nil {
		t.Fatal(err)
	}
	tv := unix.NsecToTimeval(int64(200 * time.Millisecond))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}

	// kernel -> DPDK
	in := frame(mac, [6]byte{0x02, 0, 0, 0, 0, 0x01}, etherType, "govs: kernel to dpdk")
	to := &unix.SockaddrLinklayer{Protocol: htons(etherType), Ifindex: ifi.Index, Halen: 6}
	copy(to.Addr[:], mac[:])
	if err := unix.Sendto(fd, in, 0, to); err != nil {
		t.Fatal(err)
	}
	got := false
	var pkts [32]*dpdk.Mbuf
	for deadline := time.Now().Add(3 * time.Second); !got && time.Now().Before(deadline); {
		n, _ := dpdk.RxBurst(port, 0, pkts[:])
		for _, m := range pkts[:n] {
			if bytes.Equal(m.Data(), in) {
				got = true
				if m.Port() != port {
					t.Errorf("received mbuf Port = %d, want %d", m.Port(), port)
				}
			}
		}
		dpdk.FreeBulk(pkts[:n])
		if n == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	if !got {
		t.Fatal("frame injected on the kernel side never reached RxBurst")
	}

	// DPDK -> kernel
	out := frame([6]byte{0x02, 0, 0, 0, 0, 0x01}, mac, etherType, "govs: dpdk to kernel")
	if err := pool.AllocBulk(pkts[:1]); err != nil {
		t.Fatal(err)
	}
	pkts[0].SetLen(uint16(len(out)))
	copy(pkts[0].Data(), out)
	if n := dpdk.TxBurst(port, 0, pkts[:1]); n != 1 {
		t.Fatalf("TxBurst sent %d of 1", n)
	}
	got = false
	buf := make([]byte, 2048)
	for deadline := time.Now().Add(3 * time.Second); !got && time.Now().Before(deadline); {
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			continue // timeout: retry until the deadline
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		got = bytes.Equal(buf[:n], out)
	}
	if !got {
		t.Fatal("frame sent with TxBurst never reached the kernel side")
	}

	after, err := dpdk.Stats(port)
	if err != nil {
		t.Fatal(err)
	}
	if after.IPackets <= before.IPackets || after.OPackets != before.OPackets+1 {
		t.Errorf("stats: ipackets %d -> %d, opackets %d -> %d", before.IPackets, after.IPackets, before.OPackets, after.OPackets)
	}
	if up, speed, err := dpdk.LinkStatus(port); err != nil || !up {
		t.Errorf("LinkStatus = %v %d %v, want up", up, speed, err)
	}
}

// frame builds a minimum-size Ethernet frame carrying text.
func frame(dst, src [6]byte, etherType uint16, text string) []byte {
	f := make([]byte, 60)
	copy(f[0:6], dst[:])
	copy(f[6:12], src[:])
	binary.BigEndian.PutUint16(f[12:14], etherType)
	copy(f[14:], text)
	return f
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// setUp sets IFF_UP on the kernel interface.
func setUp(t *testing.T, name string) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		t.Fatal(err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		t.Fatal(err)
	}
}
