package netlab

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// MissingRoot says why this process cannot build namespaces, or "".
func MissingRoot() string {
	if os.Geteuid() != 0 {
		return fmt.Sprintf("needs root to create network namespaces (running as uid %d)", os.Geteuid())
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "needs iproute2's ip command on PATH (scripts/deps.sh installs it)"
	}
	return ""
}

// MissingHugepages says why a DPDK EAL of memMB megabytes cannot start
// here, or "".
func MissingHugepages(memMB int) string {
	if !hugetlbfsMounted("/dev/hugepages") {
		return "needs hugetlbfs mounted at /dev/hugepages (run scripts/deps.sh as root)"
	}
	free, size := hugepagesFree()
	if free*size < memMB<<10 {
		return fmt.Sprintf("needs %d MiB of free hugepages, /proc/meminfo has HugePages_Free=%d of %d kB (run scripts/deps.sh as root)", memMB, free, size)
	}
	return ""
}

func hugetlbfsMounted(dir string) bool {
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == dir && f[2] == "hugetlbfs" {
			return true
		}
	}
	return false
}

// hugepagesFree returns HugePages_Free and Hugepagesize (kB).
func hugepagesFree() (free, sizeKB int) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var n int
		if _, err := fmt.Sscanf(sc.Text(), "HugePages_Free: %d", &n); err == nil {
			free = n
		}
		if _, err := fmt.Sscanf(sc.Text(), "Hugepagesize: %d kB", &n); err == nil {
			sizeKB = n
		}
	}
	return free, sizeKB
}
