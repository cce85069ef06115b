package netlab

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/sys/unix"
)

// LockDir holds one lock file per live run tag.
const LockDir = "/run/govs-netlab"

// runTag matches the tags made by RunTag at the start of a name.
var runTag = regexp.MustCompile(`^gv[0-9a-f]{4}`)

// RunTag is this process's tag: "gv" and 4 hex digits of the pid. Names of
// namespaces and root-namespace links start with it (tag + "c", tag + "w"),
// which leaves 9 characters for the rest of a 15-character interface name.
func RunTag() string { return fmt.Sprintf("gv%04x", os.Getpid()&0xffff) }

// Claim locks tag for this process (the lock dies with it) and returns a
// release func. It fails if another live process holds the tag.
func Claim(tag string) (release func(), err error) {
	if err := os.MkdirAll(LockDir, 0o755); err != nil {
		return nil, err
	}
	f, err := tryLock(tag)
	if err != nil {
		return nil, err
	}
	return func() {
		os.Remove(f.Name())
		f.Close()
	}, nil
}

func tryLock(tag string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(LockDir, tag+".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("netlab tag %s is in use by another live process", tag)
		}
		return nil, err
	}
	return f, nil
}

// CleanTag removes what a run with this tag may have left: namespaces whose
// name starts with tag (with the processes inside them), root-namespace
// links, and DPDK hugepage files. Only call it for a tag you hold or one
// whose owner is dead.
func CleanTag(tag string) error {
	var errs []error
	names, _ := filepath.Glob(filepath.Join(netnsDir, tag+"*"))
	for _, p := range names {
		name := filepath.Base(p)
		killNSProcs(name)
		if err := delNS(name); err != nil {
			errs = append(errs, err)
		}
	}
	ifs, _ := net.Interfaces()
	for _, ifi := range ifs {
		if strings.HasPrefix(ifi.Name, tag) {
			if _, err := ip("link", "del", "dev", ifi.Name); err != nil {
				errs = append(errs, fmt.Errorf("leftover link %s (is a process still holding it?): %w", ifi.Name, err))
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join("/dev/hugepages", tag+"*"))
	for _, f := range files {
		os.Remove(f)
	}
	return errors.Join(errs...)
}

// CleanStale cleans every run tag found in namespace names, root-namespace
// links and lock files whose owner is gone (its lock is free). Tags held by
// live processes, including this one's, are left alone. It returns the tags
// it cleaned.
func CleanStale() ([]string, error) {
	tags := map[string]bool{}
	add := func(name string) {
		if t := runTag.FindString(name); t != "" {
			tags[t] = true
		}
	}
	if ents, err := os.ReadDir(netnsDir); err == nil {
		for _, e := range ents {
			add(e.Name())
		}
	}
	if ifs, err := net.Interfaces(); err == nil {
		for _, ifi := range ifs {
			add(ifi.Name)
		}
	}
	if ents, err := os.ReadDir(LockDir); err == nil {
		for _, e := range ents {
			add(e.Name())
		}
	}
	var cleaned []string
	var errs []error
	os.MkdirAll(LockDir, 0o755)
	for tag := range tags {
		f, err := tryLock(tag)
		if err != nil {
			continue // held by a live run
		}
		if err := CleanTag(tag); err != nil {
			errs = append(errs, err)
		}
		cleaned = append(cleaned, tag)
		os.Remove(f.Name())
		f.Close()
	}
	return cleaned, errors.Join(errs...)
}

// StartRun is what a test binary does before building labs: claim tag,
// remove what an earlier run with this tag and dead runs left behind
// (reported through logf), and return the tags it cleaned and a done func
// that removes this run's leftovers and releases the tag.
func StartRun(tag string, logf func(format string, args ...any)) (cleaned []string, done func(), err error) {
	release, err := Claim(tag)
	if err != nil {
		return nil, nil, err
	}
	if err := CleanTag(tag); err != nil {
		logf("leftovers of an earlier run with tag %s: %v", tag, err)
	}
	cleaned, err = CleanStale()
	if len(cleaned) > 0 || err != nil {
		logf("removed leftovers of dead runs %v (errors: %v)", cleaned, err)
	}
	return cleaned, func() {
		CleanTag(tag)
		release()
	}, nil
}
