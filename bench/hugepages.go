package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	hugepageSize    = 2 << 20
	nrHugepagesPath = "/proc/sys/vm/nr_hugepages"
	freeHugepages   = "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
)

func readInt(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// hugepages raises nr_hugepages for the run and puts the previous value
// back at the end; it never goes below what was there.
type hugepages struct {
	prev    int
	changed bool
}

func newHugepages() (*hugepages, error) {
	n, err := readInt(nrHugepagesPath)
	if err != nil {
		return nil, fmt.Errorf("hugepages: %w", err)
	}
	return &hugepages{prev: n}, nil
}

// raise asks the kernel for at least target pages (2 MiB) in total. The
// kernel may grant fewer (fragmented memory); the result is what it has.
func (h *hugepages) raise(target int) (int, error) {
	if cur, err := readInt(nrHugepagesPath); err == nil && target <= cur {
		return cur, nil
	}
	if err := os.WriteFile(nrHugepagesPath, []byte(strconv.Itoa(target)), 0o644); err != nil {
		return h.prev, fmt.Errorf("hugepages: raise to %d: %w", target, err)
	}
	h.changed = true
	return readInt(nrHugepagesPath)
}

// restore puts the previous value back.
func (h *hugepages) restore() error {
	if !h.changed {
		return nil
	}
	h.changed = false
	return os.WriteFile(nrHugepagesPath, []byte(strconv.Itoa(h.prev)), 0o644)
}

// freePages is the number of free 2 MiB hugepages now.
func freePages() int {
	n, _ := readInt(freeHugepages)
	return n
}

// memAvailableMiB is MemAvailable from /proc/meminfo.
func memAvailableMiB() int {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemAvailable:" {
			kb, _ := strconv.Atoi(f[1])
			return kb >> 10
		}
	}
	return 0
}

// ensureFree makes sure need bytes of hugepages (plus the pages reserved
// for other users of the machine) are free before a DPDK process starts:
// other processes on a shared machine take and release hugepages, and
// nr_hugepages may have been changed under us. It raises nr_hugepages by
// the shortfall while ordinary memory allows, else waits up to wait for
// pages to be released.
func (h *harness) ensureFree(need int64, wait time.Duration) error {
	pages := int((need+hugepageSize-1)/hugepageSize) + h.reservePages
	deadline := time.Now().Add(wait)
	for {
		free := freePages()
		if free >= pages {
			return nil
		}
		cur, err := readInt(nrHugepagesPath)
		if err == nil && h.hp != nil {
			short := pages - free
			// leave 4 GiB of ordinary memory to the rest of the machine
			if room := (memAvailableMiB() - 4096) / 2; room > 0 {
				add := min(short, room)
				if got, err := h.hp.raise(cur + add); err == nil && got > cur {
					h.logf("hugepages: %d free, %d needed: nr_hugepages %d -> %d", free, pages, cur, got)
					continue
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not enough free hugepages: %d MiB needed (+%d pages left to others), %d pages free of %d: other DPDK processes are using them", need>>20, h.reservePages, free, cur)
		}
		if err := h.sleep(time.Second); err != nil {
			return err
		}
	}
}
