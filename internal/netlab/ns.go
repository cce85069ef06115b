package netlab

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// netnsDir is where "ip netns" binds named namespaces.
const netnsDir = "/run/netns"

// NS is a named network namespace (as created by "ip netns add").
type NS struct {
	Name string
	fd   *os.File
}

// NewNS creates the namespace, brings its loopback up and disables IPv6 in
// it, so that no router solicitations or MLD reports reach the dataplane.
func NewNS(name string) (*NS, error) {
	if _, err := ip("netns", "add", name); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(netnsDir, name))
	if err != nil {
		ip("netns", "del", name)
		return nil, err
	}
	n := &NS{Name: name, fd: f}
	if err := n.setup(); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

func (n *NS) setup() error {
	err := n.Do(func() error {
		for _, c := range []string{"all", "default"} {
			if err := disableIPv6(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = n.IP("link", "set", "lo", "up")
	return err
}

// disableIPv6 sets net.ipv6.conf.<iface>.disable_ipv6=1 in the calling
// thread's namespace (/proc/sys/net follows the thread). A kernel without
// IPv6 has nothing to disable.
func disableIPv6(iface string) error {
	p := filepath.Join("/proc/sys/net/ipv6/conf", iface, "disable_ipv6")
	err := os.WriteFile(p, []byte("1"), 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Close deletes the namespace. The kernel frees it (and the links in it)
// once no socket or process holds it any more, so stop servers first.
func (n *NS) Close() error {
	if n.fd != nil {
		n.fd.Close()
		n.fd = nil
	}
	return delNS(n.Name)
}

func delNS(name string) error {
	if _, err := os.Stat(filepath.Join(netnsDir, name)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	_, err := ip("netns", "del", name)
	return err
}

// Do runs f on a fresh goroutine locked to an OS thread that has entered
// the namespace. The goroutine exits without unlocking, so the runtime
// destroys the thread instead of reusing it elsewhere. Goroutines that f
// starts do not run in the namespace; sockets that f creates stay in it.
func (n *NS) Do(f func() error) error {
	if n.fd == nil {
		return fmt.Errorf("netns %s: closed", n.Name)
	}
	fd := int(n.fd.Fd())
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: this thread is tainted
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", n.Name, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// IP runs "ip -n NAME args..." and returns its output.
func (n *NS) IP(args ...string) (string, error) {
	return ip(append([]string{"-n", n.Name}, args...)...)
}

// Argv is the command line that runs name with args inside the namespace:
// "ip netns exec NAME name args...". ip enters the namespace (and a mount
// namespace of its own whose /sys shows this namespace's interfaces) and
// then execs name, so the process keeps ip's pid: signals, process groups
// and Pdeathsig reach the program itself.
func (n *NS) Argv(name string, args ...string) []string {
	return append([]string{"ip", "netns", "exec", n.Name, name}, args...)
}

// Command returns a command that runs inside the namespace (see Argv).
func (n *NS) Command(name string, args ...string) *exec.Cmd {
	argv := n.Argv(name, args...)
	return exec.Command(argv[0], argv[1:]...)
}

// CommandContext is Command bound to ctx (see exec.CommandContext).
func (n *NS) CommandContext(ctx context.Context, name string, args ...string) *exec.Cmd {
	argv := n.Argv(name, args...)
	return exec.CommandContext(ctx, argv[0], argv[1:]...)
}

// Holds reports whether process pid is in this network namespace.
func (n *NS) Holds(pid int) (bool, error) {
	mine, err := os.Stat(filepath.Join(netnsDir, n.Name))
	if err != nil {
		return false, err
	}
	its, err := os.Stat(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return false, err
	}
	return os.SameFile(mine, its), nil
}

// HardwareAddr is the MAC address of ifname inside the namespace.
func (n *NS) HardwareAddr(ifname string) (net.HardwareAddr, error) {
	var mac net.HardwareAddr
	err := n.Do(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return fmt.Errorf("netns %s: %w", n.Name, err)
		}
		mac = ifi.HardwareAddr
		return nil
	})
	return mac, err
}

// Listen opens a stream listener inside the namespace.
func (n *NS) Listen(network, addr string) (net.Listener, error) {
	var ln net.Listener
	err := n.Do(func() (err error) {
		ln, err = net.Listen(network, addr)
		return err
	})
	return ln, err
}

// ListenPacket opens a packet socket inside the namespace.
func (n *NS) ListenPacket(network, addr string) (net.PacketConn, error) {
	var pc net.PacketConn
	err := n.Do(func() (err error) {
		pc, err = net.ListenPacket(network, addr)
		return err
	})
	return pc, err
}

// Dial connects from inside the namespace.
func (n *NS) Dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return n.DialContext(ctx, network, addr)
}

// DialContext connects from inside the namespace; it fits
// http.Transport.DialContext.
func (n *NS) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := n.Do(func() (err error) {
		var d net.Dialer
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// DialTCPFrom connects to remote from local ("10.0.0.7:0", ":40001")
// inside the namespace, with SO_REUSEADDR: as a client that reuses its
// port, a test can connect again from the same address and port once the
// previous connection is closed.
func (n *NS) DialTCPFrom(local, remote string, timeout time.Duration) (net.Conn, error) {
	laddr, err := net.ResolveTCPAddr("tcp4", local)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: timeout, LocalAddr: laddr, Control: setReuseAddr}
	var c net.Conn
	err = n.Do(func() (err error) {
		c, err = d.Dial("tcp4", remote)
		return err
	})
	return c, err
}

func setReuseAddr(_, _ string, rc syscall.RawConn) error {
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	}); err != nil {
		return err
	}
	return serr
}
