package realserver

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// netnsDir is where "ip netns add" binds named namespaces.
const netnsDir = "/run/netns"

// netnsID identifies the network namespace this process runs in, as the
// kernel names it: "net:[4026531840]".
func netnsID() (string, error) {
	id, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		return "", fmt.Errorf("identify network namespace: %w", err)
	}
	return id, nil
}

func nsInode(path string) (uint64, bool) {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return 0, false
	}
	return st.Ino, true
}

// nsLabel names the current namespace for the default state directory:
// "" for the namespace of pid 1 (the host), "netns-NAME" for one created
// by "ip netns add NAME", else "net-INODE". /run is shared between
// namespaces, so each one needs its own directory.
func nsLabel() (string, error) {
	self, ok := nsInode("/proc/thread-self/ns/net")
	if !ok {
		return "", fmt.Errorf("identify network namespace: cannot stat /proc/thread-self/ns/net")
	}
	if init, ok := nsInode("/proc/1/ns/net"); ok && init == self {
		return "", nil
	}
	if ents, err := os.ReadDir(netnsDir); err == nil {
		for _, e := range ents {
			if ino, ok := nsInode(filepath.Join(netnsDir, e.Name())); ok && ino == self {
				return "netns-" + e.Name(), nil
			}
		}
	}
	return fmt.Sprintf("net-%d", self), nil
}

// nsAlive reports whether the namespace id ("net:[N]") still exists: a
// name in /run/netns or a process holds it.
func nsAlive(id string) bool {
	var want uint64
	if _, err := fmt.Sscanf(id, "net:[%d]", &want); err != nil {
		return true // unknown form: assume alive, never discard state
	}
	if ents, err := os.ReadDir(netnsDir); err == nil {
		for _, e := range ents {
			if ino, ok := nsInode(filepath.Join(netnsDir, e.Name())); ok && ino == want {
				return true
			}
		}
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if p.Name()[0] < '0' || p.Name()[0] > '9' {
			continue
		}
		if l, err := os.Readlink(filepath.Join("/proc", p.Name(), "ns/net")); err == nil && l == id {
			return true
		}
	}
	return false
}

// DefaultStateDir is the state directory for this network namespace:
// base itself on the host, base/netns-NAME inside "ip netns exec NAME".
func DefaultStateDir(base string) (string, error) {
	label, err := nsLabel()
	if err != nil {
		return "", err
	}
	if label == "" || strings.ContainsRune(label, '/') {
		return base, nil
	}
	return filepath.Join(base, label), nil
}
