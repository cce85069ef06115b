package realserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// State is what Setup changed for one mode, so Teardown can undo exactly
// that. It is stored as JSON in STATEDIR/MODE.json.
type State struct {
	Mode  Mode         `json:"mode"`
	VIPs  []netip.Addr `json:"vips"`
	Netns string       `json:"netns"` // "net:[N]" the changes were made in
	Since time.Time    `json:"since"`
	// Sysctls set, with the value each had before (restored on teardown).
	Sysctls []SysctlChange `json:"sysctls,omitempty"`
	// Addresses added (removed on teardown). The VIPs on the userspace
	// decapsulator's TUN device are not here: they go with the device.
	Addresses []AddrChange `json:"addresses,omitempty"`
	// LinksUp are links that were down and were set up (set down again).
	LinksUp []string `json:"links_up,omitempty"`
	// Links created (deleted on teardown).
	Links []string `json:"links,omitempty"`
	// Decap is the userspace decapsulator (TUN mode without kernel ipip).
	Decap *DecapProc `json:"decap,omitempty"`
	// KernelTunnel is the ipip device holding the VIPs (TUN mode with
	// kernel ipip), "" otherwise.
	KernelTunnel string `json:"kernel_tunnel,omitempty"`
}

// SysctlChange is one sysctl write.
type SysctlChange struct {
	Name     string `json:"name"` // net.ipv4.conf.all.arp_ignore
	Previous string `json:"previous"`
	Value    string `json:"value"`
}

// AddrChange is one address added to a link.
type AddrChange struct {
	Address   netip.Prefix `json:"address"`
	Interface string       `json:"interface"`
}

// DecapProc is a running userspace decapsulator.
type DecapProc struct {
	Pid       int    `json:"pid"`
	StartTime uint64 `json:"start_time"` // /proc/PID/stat field 22, guards against pid reuse
	Tun       string `json:"tun"`
	Log       string `json:"log"`
	PidFile   string `json:"pid_file"`
	StatsFile string `json:"stats_file"`
}

func (s *State) empty() bool {
	return len(s.Sysctls) == 0 && len(s.Addresses) == 0 && len(s.LinksUp) == 0 &&
		len(s.Links) == 0 && s.Decap == nil
}

func statePath(dir string, m Mode) string { return filepath.Join(dir, string(m)+".json") }

// loadState reads the state of mode m; nil without error if there is none.
func loadState(dir string, m Mode) (*State, error) {
	p := statePath(dir, m)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state file: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("state file %s is corrupt (%v); undo its changes by hand and remove it", p, err)
	}
	if s.Mode != m {
		return nil, fmt.Errorf("state file %s holds mode %q, expected %q", p, s.Mode, m)
	}
	return &s, nil
}

// saveState writes the state atomically (temporary file and rename).
func saveState(dir string, s *State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	p := statePath(dir, s.Mode)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write state file: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("write state file: %w", err)
	}
	return nil
}

func removeState(dir string, m Mode) error {
	err := os.Remove(statePath(dir, m))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// lockDir takes an exclusive lock on the state directory (creating it),
// so concurrent setups and teardowns in one namespace do not interleave.
func lockDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %v (another govsctl realserver running?)", f.Name(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
