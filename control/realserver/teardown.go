package realserver

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"

	"golang.org/x/sys/unix"
)

// Teardown undoes what Setup recorded for o.Mode (every mode if empty):
// it stops the decapsulator, removes the addresses and links it added and
// restores the sysctls it changed, then removes the state file. A mode
// that is not set up is reported ("nothing to tear down") and is not an
// error. If something cannot be undone, the state file keeps what is left
// and the error names it; running teardown again retries.
func Teardown(o Options, out io.Writer) error {
	o, err := o.normalize(false)
	if err != nil {
		return err
	}
	modes := Modes
	if o.Mode != "" {
		modes = []Mode{o.Mode}
	}
	if _, err := os.Stat(o.StateDir); errors.Is(err, os.ErrNotExist) {
		for _, m := range modes {
			fmt.Fprintf(out, "realserver %s: nothing to tear down (no %s)\n", m, statePath(o.StateDir, m))
		}
		return nil
	}
	unlock, err := lockDir(o.StateDir)
	if err != nil {
		return err
	}
	defer unlock()
	nsid, err := netnsID()
	if err != nil {
		return err
	}
	nl, err := openRTNL()
	if err != nil {
		return err
	}
	defer nl.Close()
	var errs []error
	for _, m := range modes {
		if err := teardownMode(o, m, nsid, nl, out); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func teardownMode(o Options, m Mode, nsid string, nl *rtnl, out io.Writer) error {
	s, err := currentState(o.StateDir, m, nsid, out)
	if err != nil {
		return err
	}
	if s == nil {
		fmt.Fprintf(out, "realserver %s: nothing to tear down (no %s)\n", m, statePath(o.StateDir, m))
		return nil
	}
	if len(o.VIPs) > 0 && !sameVIPs(s.VIPs, o.VIPs) {
		return fmt.Errorf("%s is set up for %s, not %s: nothing torn down", m, vipList(s.VIPs), vipList(o.VIPs))
	}
	other := otherMode(m)
	ostate, err := currentState(o.StateDir, other, nsid, io.Discard)
	if err != nil {
		ostate = nil // not ours to hand anything to
	}
	uerr := undo(s, ostate, nl, out)
	if ostate != nil {
		if err := saveState(o.StateDir, ostate); err != nil {
			uerr = errors.Join(uerr, err)
		}
	}
	if uerr != nil {
		if err := saveState(o.StateDir, s); err != nil {
			uerr = errors.Join(uerr, err)
		}
		return fmt.Errorf("%s teardown incomplete (what is left is in %s): %w", m, statePath(o.StateDir, m), uerr)
	}
	if err := removeState(o.StateDir, m); err != nil {
		return err
	}
	fmt.Fprintf(out, "realserver %s torn down (%s)\n", m, vipList(s.VIPs))
	return nil
}

func otherMode(m Mode) Mode {
	if m == DR {
		return TUN
	}
	return DR
}

// undo reverts s in the reverse order of setup, removing from s what it
// reverted, so that s holds exactly what is left when it fails. Sysctls
// that other (the other mode's state, if set up) relies on are handed
// over to it instead of being restored.
func undo(s, other *State, nl *rtnl, out io.Writer) error {
	var errs []error
	if d := s.Decap; d != nil {
		if err := stopDecap(d, nl, out); err != nil {
			errs = append(errs, err)
		} else {
			s.Decap = nil
		}
	}
	var left []AddrChange
	for _, a := range slices.Backward(s.Addresses) {
		err := nl.DelAddr(a.Interface, a.Address)
		switch {
		case err == nil:
			fmt.Fprintf(out, "removed %s from %s\n", a.Address, a.Interface)
		case linkGone(a.Interface) || errors.Is(err, unix.EADDRNOTAVAIL):
			fmt.Fprintf(out, "%s was already gone from %s\n", a.Address, a.Interface)
		default:
			errs = append(errs, err)
			left = append(left, a)
		}
	}
	s.Addresses = left
	s.LinksUp = undoLinks(s.LinksUp, &errs, out, "set link %s down", func(l string) error { return nl.SetLinkUp(l, false) })
	s.Links = undoLinks(s.Links, &errs, out, "deleted link %s", nl.DelLink)
	if len(s.Links) == 0 {
		s.KernelTunnel = ""
	}
	var sysLeft []SysctlChange
	for _, c := range slices.Backward(s.Sysctls) {
		if err := restoreSysctl(c, other, out); err != nil {
			errs = append(errs, err)
			sysLeft = append(sysLeft, c)
		}
	}
	s.Sysctls = sysLeft
	return errors.Join(errs...)
}

// undoLinks applies f to each link (in reverse), skipping links that no
// longer exist, and returns those it failed on.
func undoLinks(links []string, errs *[]error, out io.Writer, done string, f func(string) error) []string {
	var left []string
	for _, l := range slices.Backward(links) {
		if linkGone(l) {
			continue
		}
		if err := f(l); err != nil {
			*errs = append(*errs, err)
			left = append(left, l)
			continue
		}
		fmt.Fprintf(out, done+"\n", l)
	}
	return left
}

func restoreSysctl(c SysctlChange, other *State, out io.Writer) error {
	cur, err := readSysctl(c.Name)
	if sysctlMissing(err) {
		return nil // its interface is gone
	}
	if err != nil {
		return err
	}
	if cur != c.Value {
		fmt.Fprintf(out, "%s is now %s, not the %s set up: left as it is\n", c.Name, cur, c.Value)
		return nil
	}
	if other != nil && needs(other.Mode, c.Name) {
		if !slices.ContainsFunc(other.Sysctls, func(o SysctlChange) bool { return o.Name == c.Name }) {
			other.Sysctls = append(other.Sysctls, c)
		}
		fmt.Fprintf(out, "%s=%s kept: realserver %s still needs it\n", c.Name, c.Value, other.Mode)
		return nil
	}
	if err := writeSysctl(c.Name, c.Previous); err != nil {
		return err
	}
	fmt.Fprintf(out, "restored %s=%s\n", c.Name, c.Previous)
	return nil
}

func linkGone(name string) bool {
	_, err := net.InterfaceByName(name)
	return err != nil
}

// removeFiles removes files that may not exist.
func removeFiles(paths ...string) {
	for _, p := range paths {
		if p != "" {
			os.Remove(p)
		}
	}
}
