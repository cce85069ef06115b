package dataplane

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// checkHugepages fails early, with what to do, when EAL would not find
// hugepages; EAL's own message for that is cryptic.
func checkHugepages(ealArgs []string) error {
	for _, a := range ealArgs {
		if a == "--no-huge" {
			return nil
		}
	}
	dirs, _ := filepath.Glob("/sys/kernel/mm/hugepages/hugepages-*")
	free := 0
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "free_hugepages"))
		if err != nil {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		free += n
	}
	if free == 0 {
		return errors.New("no free hugepages: reserve some with `echo 1024 > /proc/sys/vm/nr_hugepages` and mount hugetlbfs (`mount -t hugetlbfs nodev /dev/hugepages`), or run scripts/deps.sh")
	}
	inMemory := false
	for _, a := range ealArgs {
		if a == "--in-memory" {
			inMemory = true
		}
	}
	if !inMemory && !hugetlbfsMounted() {
		return errors.New("no hugetlbfs mount: `mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages`, or set eal.in_memory: true")
	}
	return nil
}

func hugetlbfsMounted() bool {
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[2] == "hugetlbfs" {
			return true
		}
	}
	return false
}
