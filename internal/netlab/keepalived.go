package netlab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Keepalived is Debian's keepalived running VRRP only, in the foreground,
// inside a namespace: the peer of the VRRP interop tests.
type Keepalived struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	mu     sync.Mutex
	out    bytes.Buffer
}

// StartKeepalived writes conf to dir and runs keepalived on it in ns, with
// pid files of its own (the defaults under /run are shared across
// namespaces) and in a process group of its own, for Kill. It stops by
// itself after limit.
func StartKeepalived(ns *NS, dir, conf string, limit time.Duration) (*Keepalived, error) {
	if _, err := exec.LookPath("keepalived"); err != nil {
		return nil, fmt.Errorf("keepalived is needed (scripts/deps.sh installs it): %w", err)
	}
	path := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	k := &Keepalived{cancel: cancel}
	k.cmd = ns.CommandContext(ctx, "keepalived", "-n", "-l", "-D", "-P", "-G", "-f", path,
		"-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"))
	k.cmd.Stdout, k.cmd.Stderr = k, k
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := k.cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	return k, nil
}

func (k *Keepalived) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.out.Write(p)
}

// Log is what keepalived has printed so far.
func (k *Keepalived) Log() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.out.String()
}

// WaitLog waits until the log holds s and returns when it saw it.
func (k *Keepalived) WaitLog(s string, within time.Duration) (time.Time, error) {
	for deadline := time.Now().Add(within); !strings.Contains(k.Log(), s); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("keepalived did not log %q within %v", s, within)
		}
	}
	return time.Now(), nil
}

// Complaints are the lines of its log that say it dropped an advert.
func (k *Keepalived) Complaints() []string {
	var out []string
	for _, line := range strings.Split(k.Log(), "\n") {
		for _, bad := range []string{"invalid", "Invalid", "mismatch", "unexpected", "expecting", "too short"} {
			if strings.Contains(line, bad) {
				out = append(out, line)
				break
			}
		}
	}
	return out
}

// Kill SIGKILLs keepalived's whole process group, its VRRP child with it,
// so no priority-0 advert leaves (a crash; killing only the parent makes
// the child leave gracefully).
func (k *Keepalived) Kill() { syscall.Kill(-k.cmd.Process.Pid, syscall.SIGKILL) }

// Close kills keepalived and waits for it.
func (k *Keepalived) Close() {
	k.Kill()
	k.cancel()
	k.cmd.Wait()
}
