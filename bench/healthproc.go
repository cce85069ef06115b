package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// What the health case reads of a process in /proc: CPU time per thread,
// open descriptors and sockets, and its network namespace's socket table.

// clockTicks is USER_HZ, the unit of utime and stime in /proc/*/stat: 100
// on every Linux architecture (the kernel scales to it for userspace).
const clockTicks = 100

// cpuTicks is a task's time on a CPU, in clock ticks: in user mode
// (utime) and in the kernel (stime: syscalls, and the network stack's
// work done in the task's context).
type cpuTicks struct{ User, Sys uint64 }

func (c cpuTicks) total() uint64 { return c.User + c.Sys }

func (c cpuTicks) plus(o cpuTicks) cpuTicks { return cpuTicks{c.User + o.User, c.Sys + o.Sys} }

// parseStatCPU is utime and stime of a /proc/PID/stat or
// /proc/PID/task/TID/stat line. The command name (field 2) is in brackets
// and may hold spaces and brackets itself, so fields are counted after the
// last ')'.
func parseStatCPU(b []byte) (cpuTicks, error) {
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return cpuTicks{}, errors.New("stat: no ')' after the command name")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state): utime and stime, fields 14 and 15, are f[11], f[12]
	if len(f) < 13 {
		return cpuTicks{}, fmt.Errorf("stat: %d fields after the command name, want at least 13", len(f))
	}
	ut, err := strconv.ParseUint(f[11], 10, 64)
	if err != nil {
		return cpuTicks{}, fmt.Errorf("stat: utime %q: %w", f[11], err)
	}
	st, err := strconv.ParseUint(f[12], 10, 64)
	if err != nil {
		return cpuTicks{}, fmt.Errorf("stat: stime %q: %w", f[12], err)
	}
	return cpuTicks{ut, st}, nil
}

// processCPU is the CPU time of the whole process (its threads, also
// those that exited).
func processCPU(pid int) (cpuTicks, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpuTicks{}, err
	}
	return parseStatCPU(b)
}

// threadCPU is the CPU time of every thread of pid (by TID).
func threadCPU(pid int) (map[int]cpuTicks, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	if err != nil || len(tasks) == 0 {
		return nil, fmt.Errorf("threads of pid %d: none (%v)", pid, err)
	}
	out := make(map[int]cpuTicks, len(tasks))
	for _, t := range tasks {
		tid, err := strconv.Atoi(filepath.Base(t))
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(t, "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		ticks, err := parseStatCPU(b)
		if err != nil {
			return nil, fmt.Errorf("thread %d: %w", tid, err)
		}
		out[tid] = ticks
	}
	return out, nil
}

// splitCPU sums the threads' ticks into the worker lcore's and the rest's
// (the control plane).
func splitCPU(threads map[int]cpuTicks, worker int) (control, workerTicks cpuTicks) {
	for tid, t := range threads {
		if tid == worker {
			workerTicks = t
		} else {
			control = control.plus(t)
		}
	}
	return control, workerTicks
}

// fdCounts is how many descriptors pid has open, and how many of them
// are sockets.
func fdCounts(pid int) (fds, sockets int, err error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		fds++
		if strings.HasPrefix(target, "socket:") {
			sockets++
		}
	}
	return fds, sockets, nil
}

// tcpSockstat is the TCP line of /proc/net/sockstat: sockets in use
// (not TIME_WAIT), in TIME_WAIT, and allocated.
type tcpSockstat struct{ InUse, TimeWait, Alloc int }

// parseSockstat reads the "TCP:" line of /proc/PID/net/sockstat (the
// table of pid's network namespace).
func parseSockstat(b []byte) (tcpSockstat, error) {
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "TCP:")
		if !ok {
			continue
		}
		var s tcpSockstat
		f := strings.Fields(rest)
		seen := 0
		for i := 0; i+1 < len(f); i += 2 {
			n, err := strconv.Atoi(f[i+1])
			if err != nil {
				return s, fmt.Errorf("sockstat: TCP %s %q: %w", f[i], f[i+1], err)
			}
			switch f[i] {
			case "inuse":
				s.InUse, seen = n, seen+1
			case "tw":
				s.TimeWait, seen = n, seen+1
			case "alloc":
				s.Alloc, seen = n, seen+1
			}
		}
		if seen != 3 {
			return s, fmt.Errorf("sockstat: TCP line %q lacks inuse, tw or alloc", line)
		}
		return s, nil
	}
	return tcpSockstat{}, errors.New("sockstat: no TCP line")
}

func readSockstat(pid int) (tcpSockstat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/sockstat", pid))
	if err != nil {
		return tcpSockstat{}, err
	}
	return parseSockstat(b)
}

// schedWait is how long pid's threads were runnable but waiting for a CPU
// (schedstat), in ns: the worker lcore's thread's and the others'.
// worker 0 counts every thread as the others.
func schedWait(pid, worker int) (others, workerNs uint64) {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	for _, t := range tasks {
		tid, err := strconv.Atoi(filepath.Base(t))
		if err != nil {
			continue
		}
		st, err := readThreadStat(pid, tid)
		if err != nil {
			continue
		}
		if tid == worker {
			workerNs = st.WaitNs
		} else {
			others += st.WaitNs
		}
	}
	return others, workerNs
}

// cpuTimes is one CPU's line of /proc/stat, in clock ticks.
type cpuTimes struct {
	Busy    uint64 // user, nice, system, irq, softirq
	SoftIRQ uint64 // of Busy: softirq (network receive work done outside a task's own time)
	Steal   uint64 // taken by the hypervisor
	Total   uint64 // every field but guest time (already in user)
}

// parseProcStat reads the per-CPU lines ("cpu0 ...") of /proc/stat.
func parseProcStat(b []byte) (map[int]cpuTimes, error) {
	out := map[int]cpuTimes{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		cpu, err := strconv.Atoi(f[0][3:])
		if err != nil {
			continue
		}
		var v [8]uint64 // user nice system idle iowait irq softirq steal
		for i := range v {
			if v[i], err = strconv.ParseUint(f[i+1], 10, 64); err != nil {
				return nil, fmt.Errorf("/proc/stat %s: %q: %w", f[0], f[i+1], err)
			}
		}
		t := cpuTimes{Busy: v[0] + v[1] + v[2] + v[5] + v[6], SoftIRQ: v[6], Steal: v[7]}
		t.Total = t.Busy + v[3] + v[4] + v[7]
		out[cpu] = t
	}
	if len(out) == 0 {
		return nil, errors.New("/proc/stat: no per-CPU lines")
	}
	return out, nil
}

func readProcStat() (map[int]cpuTimes, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil, err
	}
	return parseProcStat(b)
}
