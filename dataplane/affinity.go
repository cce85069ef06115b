package dataplane

import (
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// confineControlThreads keeps every thread of the process but the worker
// lcores' off the workers' CPUs. EAL pins each worker thread to its CPU,
// but Go's own threads (GC workers, the goroutines serving the admin API
// and reloads) may run anywhere, and the kernel would then time-share a
// worker's CPU with them: measured, a busy control plane cost the worker
// 2.7 s of CPU in 10 s and poll gaps of 9 ms. Threads created later inherit
// the mask (Go creates them from its own threads, never from an lcore
// thread, which runs C only). It returns the number of CPUs left to the
// control plane (0: it could not leave any, e.g. workers on every CPU, and
// nothing was changed).
func (dp *Dataplane) confineControlThreads() int {
	deadline := time.Now().Add(2 * time.Second)
	workers := map[int]bool{}
	var workerCPUs unix.CPUSet
	for _, w := range dp.workers {
		for w.TID() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		tid := w.TID()
		if tid == 0 {
			return 0
		}
		workers[tid] = true
		var set unix.CPUSet
		if unix.SchedGetaffinity(tid, &set) != nil {
			return 0
		}
		for cpu := 0; cpu < 1024; cpu++ {
			if set.IsSet(cpu) {
				workerCPUs.Set(cpu)
			}
		}
	}
	var control unix.CPUSet
	if unix.SchedGetaffinity(0, &control) != nil {
		return 0
	}
	for cpu := 0; cpu < 1024; cpu++ {
		if workerCPUs.IsSet(cpu) {
			control.Clear(cpu)
		}
	}
	if control.Count() == 0 {
		return 0
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil || workers[tid] {
			continue
		}
		_ = unix.SchedSetaffinity(tid, &control) // a thread may have exited meanwhile
	}
	return control.Count()
}
