package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a DPDK process (govsd or testpmd) started in its own process
// group, with stdout and stderr in a log file.
type child struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	prefix  string // EAL --file-prefix, for /var/run/dpdk cleanup
	done    chan struct{}
	err     error // of Wait, valid after done
}

var (
	childrenMu sync.Mutex
	children   = map[*child]bool{}
)

// startChild runs argv with its output in logPath.
func startChild(name, logPath, prefix string, env []string, argv ...string) (*child, error) {
	out, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	if ts, err := exec.LookPath("taskset"); err == nil {
		// undo the bench's own pinning to CPU 0 (see pinToCPU0)
		argv = append([]string{ts, "-c", allCPUs()}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Stdin = nil
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, logPath: logPath, prefix: prefix, done: make(chan struct{})}
	childrenMu.Lock()
	children[c] = true
	childrenMu.Unlock()
	go func() {
		c.err = cmd.Wait()
		out.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the child's process group, then SIGKILL if it has
// not exited after grace, and removes its DPDK runtime directory.
func (c *child) stop(grace time.Duration) {
	pgid := c.cmd.Process.Pid
	if !c.exited() {
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-c.done
		}
	}
	removeRuntimeDir(c.prefix)
	childrenMu.Lock()
	delete(children, c)
	childrenMu.Unlock()
}

// logText is the child's log so far.
func (c *child) logText() string {
	b, _ := os.ReadFile(c.logPath)
	return string(b)
}

// logTail is the end of the child's log, for error messages. A Go crash's
// goroutine dump is cut off: what matters is above it.
func (c *child) logTail(lines int) string {
	text := c.logText()
	if i := strings.Index(text, "\ngoroutine "); i >= 0 {
		text = text[:i]
	}
	l := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

// waitLog waits until the log contains marker, the child exits or timeout.
func (c *child) waitLog(marker string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if strings.Contains(c.logText(), marker) {
			return nil
		}
		if c.exited() {
			return fmt.Errorf("%s exited (%v) before %q; log %s ends:\n%s", c.name, c.err, marker, c.logPath, c.logTail(15))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no %q after %v; log %s ends:\n%s", c.name, marker, timeout, c.logPath, c.logTail(15))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopAllChildren is the emergency cleanup (signal, fatal error).
func stopAllChildren() {
	childrenMu.Lock()
	list := make([]*child, 0, len(children))
	for c := range children {
		list = append(list, c)
	}
	childrenMu.Unlock()
	for _, c := range list {
		c.stop(5 * time.Second)
	}
}

// removeRuntimeDir removes /var/run/dpdk/<prefix> (testpmd leaves it; a
// killed govsd too). Only our own prefixes are ever passed.
func removeRuntimeDir(prefix string) {
	if prefix == "" || strings.ContainsAny(prefix, "/.") {
		return
	}
	_ = os.RemoveAll(filepath.Join("/var/run/dpdk", prefix))
}

var errInterrupted = errors.New("interrupted")
