package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// threadInfo is one thread of a process as /proc shows it.
type threadInfo struct {
	TID   int
	Comm  string
	CPUs  []int  // Cpus_allowed_list
	RunNs uint64 // time on CPU so far (schedstat)
}

// workerNamePrefixes are the names EAL gives its worker lcore threads:
// "rte-worker-N" in DPDK 22.11, "lcore-worker-N" before, "dpdk-worker" after.
var workerNamePrefixes = []string{"rte-worker", "lcore-worker", "dpdk-worker"}

// listThreads reads the threads of pid.
func listThreads(pid int) []threadInfo {
	var out []threadInfo
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*")
	for _, t := range tasks {
		tid, err := strconv.Atoi(filepath.Base(t))
		if err != nil {
			continue
		}
		ti := threadInfo{TID: tid}
		if b, err := os.ReadFile(filepath.Join(t, "comm")); err == nil {
			ti.Comm = strings.TrimSpace(string(b))
		}
		if b, err := os.ReadFile(filepath.Join(t, "status")); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok {
					ti.CPUs = parseCPUList(v)
				}
			}
		}
		if s, err := readThreadStat(pid, tid); err == nil {
			ti.RunNs = s.RunNs
		}
		out = append(out, ti)
	}
	return out
}

// pickWorkerThread chooses the worker lcore thread: named by EAL as a
// worker and pinned to a single CPU. Threads the Go runtime clones from it
// inherit both, so the one that has run longest wins.
func pickWorkerThread(threads []threadInfo) (threadInfo, bool) {
	var best threadInfo
	found := false
	for _, t := range threads {
		if len(t.CPUs) != 1 || !isWorkerName(t.Comm) {
			continue
		}
		if !found || t.RunNs > best.RunNs {
			best, found = t, true
		}
	}
	return best, found
}

func isWorkerName(comm string) bool {
	for _, p := range workerNamePrefixes {
		if strings.HasPrefix(comm, p) {
			return true
		}
	}
	return false
}

// workerThread finds the worker lcore thread of pid.
func workerThread(pid int) (threadInfo, bool) { return pickWorkerThread(listThreads(pid)) }
