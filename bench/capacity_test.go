package main

import "testing"

func TestLargestTable(t *testing.T) {
	if n := largestTable(4*gib, 0); n != maxTableEntries {
		t.Errorf("4 GiB, no overhead: %d, want %d", n, maxTableEntries)
	}
	n := largestTable(512<<20, 10<<20)
	if tableFootprint(n) > 502<<20 || tableFootprint(n+1024) <= 502<<20 || n%1024 != 0 {
		t.Errorf("512 MiB - 10 MiB: %d (footprint %d)", n, tableFootprint(n))
	}
	if n := largestTable(1<<20, 2<<20); n != 0 {
		t.Errorf("overhead larger than the limit: %d", n)
	}
}
