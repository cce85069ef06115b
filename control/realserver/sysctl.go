package realserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// procSys is where sysctls live. /proc/sys/net follows the network
// namespace of the process (and thread) that opens the file, so under
// "ip netns exec" these are the namespace's own values.
const procSys = "/proc/sys"

// ipv4Conf names net.ipv4.conf.IFACE.KEY.
func ipv4Conf(iface, key string) string {
	return "net.ipv4.conf." + iface + "." + key
}

// sysctlPath turns a dotted name into its /proc/sys path. Interface names
// may contain dots (eth0.100), so the interface part is kept whole.
func sysctlPath(name string) string {
	if rest, ok := strings.CutPrefix(name, "net.ipv4.conf."); ok {
		if i := strings.LastIndexByte(rest, '.'); i > 0 {
			return filepath.Join(procSys, "net/ipv4/conf", rest[:i], rest[i+1:])
		}
	}
	return filepath.Join(procSys, strings.ReplaceAll(name, ".", "/"))
}

func readSysctl(name string) (string, error) {
	b, err := os.ReadFile(sysctlPath(name))
	if err != nil {
		return "", fmt.Errorf("read sysctl %s: %w", name, unwrapPath(err))
	}
	return strings.TrimSpace(string(b)), nil
}

func writeSysctl(name, value string) error {
	f, err := os.OpenFile(sysctlPath(name), os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(value)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		hint := ""
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
			hint = " (needs root and a writable /proc/sys)"
		}
		return fmt.Errorf("set sysctl %s=%s: %w%s", name, value, unwrapPath(err), hint)
	}
	return nil
}

// sysctlMissing reports whether err is about a sysctl that does not exist
// (for an interface: the interface is gone).
func sysctlMissing(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// unwrapPath drops the *PathError wrapper: messages name the sysctl.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
