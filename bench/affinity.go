package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// pinToCPU0 moves every thread of the bench to CPU 0 (threads created later
// inherit it), so that the harness's own work (admin API calls, the reload
// loop of the stall measurement) does not take CPU 1 from the worker lcore.
// DPDK children are started through taskset with all CPUs again.
func pinToCPU0() error {
	var set unix.CPUSet
	set.Set(0)
	tasks, err := filepath.Glob("/proc/self/task/*")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(filepath.Base(t))
		if err != nil {
			continue
		}
		_ = unix.SchedSetaffinity(tid, &set)
	}
	return nil
}

// allCPUs is taskset's list of every online CPU ("0-1").
func allCPUs() string { return "0-" + strconv.Itoa(runtime.NumCPU()-1) }

// threadStat is the scheduler's view of one thread.
type threadStat struct {
	RunNs, WaitNs uint64 // on CPU; runnable but waiting for a CPU
	Involuntary   uint64 // context switches it did not ask for
}

// readThreadStat reads /proc/<pid>/task/<tid>/{schedstat,status}.
func readThreadStat(pid, tid int) (threadStat, error) {
	var s threadStat
	dir := filepath.Join("/proc", strconv.Itoa(pid), "task", strconv.Itoa(tid))
	b, err := os.ReadFile(filepath.Join(dir, "schedstat"))
	if err != nil {
		return s, err
	}
	f := strings.Fields(string(b))
	if len(f) >= 2 {
		s.RunNs, _ = strconv.ParseUint(f[0], 10, 64)
		s.WaitNs, _ = strconv.ParseUint(f[1], 10, 64)
	}
	b, err = os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return s, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "nonvoluntary_ctxt_switches:"); ok {
			s.Involuntary, _ = strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	return s, nil
}

func (s threadStat) minus(o threadStat) threadStat {
	return threadStat{RunNs: s.RunNs - o.RunNs, WaitNs: s.WaitNs - o.WaitNs, Involuntary: s.Involuntary - o.Involuntary}
}

// parseCPUList parses a kernel CPU list ("0-2,5") into CPU numbers.
func parseCPUList(s string) []int {
	var out []int
	for _, part := range strings.Split(strings.TrimSpace(s), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for c := a; c <= b; c++ {
			out = append(out, c)
		}
	}
	return out
}

// threadsOnCPU lists the threads of pid other than except that may run on
// cpu, as "tid(name)".
func threadsOnCPU(pid, except, cpu int) []string {
	var out []string
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*")
	for _, t := range tasks {
		tid, err := strconv.Atoi(filepath.Base(t))
		if err != nil || tid == except {
			continue
		}
		st, err := os.ReadFile(filepath.Join(t, "status"))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(st), "\n") {
			if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok && slices.Contains(parseCPUList(v), cpu) {
				name, _ := os.ReadFile(filepath.Join(t, "comm"))
				out = append(out, fmt.Sprintf("%d(%s)", tid, strings.TrimSpace(string(name))))
			}
		}
	}
	return out
}
