package realserver

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"time"
)

// Mode is the forwarding method this host serves.
type Mode string

// The modes a real server needs setting up for (NAT needs only a route).
const (
	DR  Mode = "dr"
	TUN Mode = "tun"
)

// Modes lists every mode, in teardown order.
var Modes = []Mode{TUN, DR}

// ParseMode accepts "dr" or "tun".
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case DR, TUN:
		return m, nil
	}
	return "", fmt.Errorf("unknown mode %q: want dr or tun", s)
}

// Decap chooses how TUN mode decapsulates IPIP.
type Decap string

// Decapsulators.
const (
	DecapAuto   Decap = "auto"   // kernel ipip if the kernel has it, else user
	DecapKernel Decap = "kernel" // kernel ipip (tunl0) or fail
	DecapUser   Decap = "user"   // userspace decapsulator process
)

// ParseDecap accepts auto, kernel or user.
func ParseDecap(s string) (Decap, error) {
	switch d := Decap(s); d {
	case DecapAuto, DecapKernel, DecapUser:
		return d, nil
	}
	return "", fmt.Errorf("unknown decapsulator %q: want auto, kernel or user", s)
}

// Defaults.
const (
	DefaultStateBase = "/run/govs/realserver"
	DefaultTun       = "govs-tun0"
	// TunMTU is the TUN device's MTU: at least the largest inner packet
	// of a 1500-byte tunnel.
	TunMTU = 1500
	// kernelTunnel is the ipip device tried when tunl0 does not exist.
	kernelTunnel = "govs-tunl"
)

// Options configure Setup, Teardown and Status.
type Options struct {
	Mode     Mode         // "" in Teardown and Status: every mode
	VIPs     []netip.Addr // Setup: at least one; Teardown: optional check
	StateDir string       // "" is DefaultStateDir(DefaultStateBase)
	Decap    Decap        // TUN: "" is DecapAuto
	Tun      string       // TUN device of the userspace decapsulator; "" is DefaultTun
	// DecapCommand runs "realserver decap" (the decapsulator's flags are
	// appended); "" is this executable with "realserver decap".
	DecapCommand []string
	ReadyTimeout time.Duration // for the decapsulator to start; 0 is 10s
}

// ParseVIP parses a VIP: a unicast IPv4 address.
func ParseVIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("VIP %q is not an IPv4 address", s)
	}
	if a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return netip.Addr{}, fmt.Errorf("VIP %s is not a unicast address", a)
	}
	return a, nil
}

// normalize fills defaults and checks the options.
func (o Options) normalize(needVIPs bool) (Options, error) {
	if needVIPs && len(o.VIPs) == 0 {
		return o, errors.New("no VIP given (--vip A.B.C.D)")
	}
	vips := slices.Clone(o.VIPs)
	slices.SortFunc(vips, func(a, b netip.Addr) int { return a.Compare(b) })
	o.VIPs = slices.Compact(vips)
	for _, v := range o.VIPs {
		if _, err := ParseVIP(v.String()); err != nil {
			return o, err
		}
	}
	if o.StateDir == "" {
		d, err := DefaultStateDir(DefaultStateBase)
		if err != nil {
			return o, err
		}
		o.StateDir = d
	}
	if o.Decap == "" {
		o.Decap = DecapAuto
	}
	if o.Tun == "" {
		o.Tun = DefaultTun
	}
	if len(o.Tun) > 15 {
		return o, fmt.Errorf("TUN device name %q is longer than 15 characters", o.Tun)
	}
	if len(o.DecapCommand) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return o, fmt.Errorf("find own executable to run the decapsulator: %w", err)
		}
		o.DecapCommand = []string{exe, "realserver", "decap"}
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 10 * time.Second
	}
	return o, nil
}

func sameVIPs(a, b []netip.Addr) bool { return slices.Equal(a, b) }
