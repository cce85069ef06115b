package realserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Files of the userspace decapsulator in the state directory.
const (
	decapLog   = "decap.log"
	decapPid   = "decap.pid"
	decapStats = "decap-stats.json"
)

// readyLine is what the decapsulator writes on its ready pipe once the TUN
// device holds the VIPs and the raw socket is open. Anything else written
// there is the reason it failed.
const readyLine = "ready"

// startDecap starts the decapsulator in its own session (it outlives
// govsctl), logging to the state directory, and waits until it is ready.
func startDecap(o Options) (*DecapProc, error) {
	d := &DecapProc{
		Tun:       o.Tun,
		Log:       filepath.Join(o.StateDir, decapLog),
		PidFile:   filepath.Join(o.StateDir, decapPid),
		StatsFile: filepath.Join(o.StateDir, decapStats),
	}
	logf, err := os.OpenFile(d.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("decapsulator log: %w", err)
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	args := append(o.DecapCommand[1:len(o.DecapCommand):len(o.DecapCommand)],
		"--tun", o.Tun, "--ready-fd", "3", "--stats-file", d.StatsFile)
	for _, v := range o.VIPs {
		args = append(args, "--vip", v.String())
	}
	cmd := exec.Command(o.DecapCommand[0], args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{w} // fd 3
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return nil, fmt.Errorf("start decapsulator %s: %w", o.DecapCommand[0], err)
	}
	d.Pid = cmd.Process.Pid
	go cmd.Wait() // reap it should it exit while this process still runs

	msg, err := readReady(r, o.ReadyTimeout)
	if msg != readyLine {
		syscall.Kill(d.Pid, syscall.SIGKILL)
		if err != nil {
			msg = err.Error()
		}
		if msg == "" {
			msg = "exited before it was ready"
		}
		return nil, fmt.Errorf("decapsulator did not start: %s (log %s)", msg, d.Log)
	}
	if d.StartTime, err = procStartTime(d.Pid); err != nil {
		return nil, fmt.Errorf("decapsulator pid %d vanished after starting (log %s)", d.Pid, d.Log)
	}
	if err := os.WriteFile(d.PidFile, []byte(strconv.Itoa(d.Pid)+"\n"), 0o644); err != nil {
		syscall.Kill(d.Pid, syscall.SIGTERM)
		return nil, fmt.Errorf("decapsulator pid file: %w", err)
	}
	return d, nil
}

func readReady(r *os.File, timeout time.Duration) (string, error) {
	r.SetReadDeadline(time.Now().Add(timeout))
	line, err := bufio.NewReader(r).ReadString('\n')
	line = strings.TrimSpace(line)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return line, fmt.Errorf("not ready after %v", timeout)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return line, err
	}
	return line, nil
}

// procStartTime is field 22 of /proc/PID/stat (start time in clock ticks
// since boot); with the pid it identifies a process across pid reuse. A
// zombie counts as gone.
func procStartTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
	if len(f) < 20 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	if f[0] == "Z" || f[0] == "X" {
		return 0, fmt.Errorf("process %d has exited", pid)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// alive reports whether the decapsulator recorded in d still runs.
func (d *DecapProc) alive() bool {
	st, err := procStartTime(d.Pid)
	return err == nil && st == d.StartTime
}

// stopDecap stops the decapsulator (SIGTERM, then SIGKILL after 5s),
// which removes its non-persistent TUN device; a device still there is
// deleted. Its pid and stats files go; its log stays.
func stopDecap(d *DecapProc, nl *rtnl, out io.Writer) error {
	if d.alive() {
		syscall.Kill(d.Pid, syscall.SIGTERM)
		if !waitGone(d, 5*time.Second) {
			fmt.Fprintf(out, "decapsulator pid %d ignored SIGTERM for 5s: killing it\n", d.Pid)
			syscall.Kill(d.Pid, syscall.SIGKILL)
			if !waitGone(d, 2*time.Second) {
				return fmt.Errorf("decapsulator pid %d does not exit", d.Pid)
			}
		}
		fmt.Fprintf(out, "stopped decapsulator pid %d (counters in %s)\n", d.Pid, d.Log)
	} else {
		fmt.Fprintf(out, "decapsulator pid %d was not running\n", d.Pid)
	}
	// The device goes when its last file descriptor closes.
	deadline := time.Now().Add(2 * time.Second)
	for !linkGone(d.Tun) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !linkGone(d.Tun) {
		if err := nl.DelLink(d.Tun); err != nil && !linkGone(d.Tun) {
			return err
		}
		fmt.Fprintf(out, "deleted link %s\n", d.Tun)
	}
	removeFiles(d.PidFile, d.StatsFile)
	return nil
}

func waitGone(d *DecapProc, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for d.alive() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
