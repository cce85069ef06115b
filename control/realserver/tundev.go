package realserver

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openTun creates the TUN device name (IFF_TUN|IFF_NO_PI: bare IP packets,
// no packet-information prefix) and returns its file. The device is not
// persistent: it disappears, with its addresses, when the file is closed
// or the process dies.
func openTun(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("TUN device name %q: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("create TUN device %s: %w", name, err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "/dev/net/tun:"+name), nil
}

// openIPIPSocket opens a raw IPv4 socket for protocol 4. The kernel hands
// it every IPIP packet addressed to this host, outer header included; with
// such a socket open it does not answer "protocol unreachable".
func openIPIPSocket() (*os.File, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_IPIP)
	if err != nil {
		return nil, fmt.Errorf("open raw IPv4 socket for protocol 4 (IPIP): %w", err)
	}
	// A large receive buffer rides out bursts; best effort.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20) != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	}
	return os.NewFile(uintptr(fd), "raw-ipip"), nil
}
