package main

import "testing"

func TestPickWorkerThread(t *testing.T) {
	threads := []threadInfo{
		{TID: 10, Comm: "govsd", CPUs: []int{0}, RunNs: 9e9},
		{TID: 11, Comm: "eal-intr-thread", CPUs: []int{0}, RunNs: 1e6},
		{TID: 12, Comm: "rte-worker-1", CPUs: []int{1}, RunNs: 8e9},
		{TID: 13, Comm: "rte-worker-1", CPUs: []int{1}, RunNs: 2e6}, // cloned by the Go runtime
		{TID: 14, Comm: "lcore-worker-2", CPUs: []int{0, 1}, RunNs: 9e9},
	}
	if w, ok := pickWorkerThread(threads); !ok || w.TID != 12 {
		t.Errorf("picked %+v, %v; want tid 12", w, ok)
	}
	if w, ok := pickWorkerThread(threads[:2]); ok {
		t.Errorf("picked %+v among threads without a worker", w)
	}
	if w, ok := pickWorkerThread([]threadInfo{{TID: 7, Comm: "dpdk-worker1", CPUs: []int{3}}}); !ok || w.TID != 7 {
		t.Errorf("DPDK 23.11 name: %+v, %v", w, ok)
	}
}
