package kernelif

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/govs-project/govs/internal/rtnl"
)

func TestDevargs(t *testing.T) {
	got := Devargs("net_tap_govs1", "govs-lan", [6]byte{0x02, 0, 0, 0, 0xab, 0x01})
	if want := "net_tap_govs1,iface=govs-lan,mac=02:00:00:00:ab:01"; got != want {
		t.Fatalf("Devargs = %q, want %q", got, want)
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"govs-wan": true, "eth0.100": true, "a": true, "fifteen-chars-x": true,
		"": false, "sixteen-chars-xx": false, ".": false, "..": false,
		"a/b": false, "a b": false, "a:1": false, "a,iface=b": false, "a=b": false,
	} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

// Configure on a plain tap in a namespace of the test's own (the tap
// itself is tested with DPDK in cgo/kernel_tap_test.go): MTU, MAC,
// address, link up, the default route at its metric, and a second run
// that finds it all done.
func TestConfigureInNamespace(t *testing.T) {
	const name = "gvkif0"
	mac := [6]byte{0x02, 0, 0x5e, 0, 0x53, 0x01}
	c := Config{Name: name, MAC: mac, MTU: 1300, Addr: netip.MustParsePrefix("192.0.2.1/24"),
		Gateway: netip.MustParseAddr("192.0.2.254"), Metric: RouteMetricBase + 3}
	err := inNewNetns(func() error {
		nl, err := rtnl.Open()
		if err != nil {
			return err
		}
		defer nl.Close()
		tap, err := openTap(name)
		if err != nil {
			return err
		}
		defer unix.Close(tap)
		if err := Prepare(name); err != nil {
			return err
		}
		for range 2 {
			if err := Configure(c); err != nil {
				return err
			}
		}
		var errs []error
		ifi, err := net.InterfaceByName(name)
		if err != nil {
			return err
		}
		if !bytes.Equal(ifi.HardwareAddr, mac[:]) || ifi.MTU != 1300 || ifi.Flags&net.FlagUp == 0 {
			errs = append(errs, fmt.Errorf("link %s mtu %d flags %v", ifi.HardwareAddr, ifi.MTU, ifi.Flags))
		}
		if ok, err := rtnl.HasAddr(name, c.Addr); !ok || err != nil {
			errs = append(errs, fmt.Errorf("address %s missing (%v)", c.Addr, err))
		}
		if v, err := Sysctl("ipv4/conf/" + name + "/arp_ignore"); v != "8" || err != nil {
			errs = append(errs, fmt.Errorf("arp_ignore %q (%v)", v, err))
		}
		// another default route (a management one, say) may coexist
		if err := nl.AddDefaultRoute(name, netip.MustParseAddr("192.0.2.253"), 0); err != nil {
			errs = append(errs, fmt.Errorf("second default route: %w", err))
		}
		if err := nl.AddDefaultRoute(name, c.Gateway, c.Metric); !errors.Is(err, rtnl.ErrRouteExists) {
			errs = append(errs, fmt.Errorf("the same route again: %v, want ErrRouteExists", err))
		}
		if err := Configure(Config{Name: name, MTU: 1300, Addr: netip.MustParsePrefix("2001:db8::1/64")}); err == nil {
			errs = append(errs, errors.New("an IPv6 address was accepted"))
		}
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatal(err)
	}
	if Exists(name) {
		t.Fatalf("%s leaked into the test's namespace", name)
	}
}

// inNewNetns runs f on a thread of its own in a new network namespace;
// the thread (and the namespace with it) ends with f.
func inNewNetns(f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("unshare: %w (the test needs root)", err)
			return
		}
		done <- f()
	}()
	err := <-done
	if err != nil && strings.Contains(err.Error(), "operation not permitted") {
		return fmt.Errorf("%w: run the tests as root", err)
	}
	return err
}

// openTap creates a tap interface that lives while the fd is open.
func openTap(name string) (int, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err == nil {
		ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
		err = unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr)
	}
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("create tap %s: %w", name, err)
	}
	return fd, nil
}
