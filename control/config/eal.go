package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ParseLcores parses an EAL -l list such as "0-1" or "0,2-3" into sorted,
// distinct lcore ids. Sorted because DPDK makes the lowest id the main lcore
// whatever the order written.
func ParseLcores(list string) ([]int, error) {
	if strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("is empty")
	}
	var ids []int
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		lo, hi, isRange := strings.Cut(item, "-")
		first, err := parseLcore(lo)
		last := first
		if err == nil && isRange {
			last, err = parseLcore(hi)
		}
		if errors.Is(err, errLcoreSyntax) {
			return nil, fmt.Errorf("%q is not an lcore list like \"0-1\" or \"0,2-3\"", list)
		} else if err != nil {
			return nil, err
		}
		if last < first {
			return nil, fmt.Errorf("range %q runs backwards", item)
		}
		for id := first; id <= last; id++ {
			if slices.Contains(ids, id) {
				return nil, fmt.Errorf("lcore %d is listed twice", id)
			}
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

var errLcoreSyntax = errors.New("bad lcore id")

func parseLcore(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0, errLcoreSyntax
	}
	if n >= maxLcore {
		return 0, fmt.Errorf("lcore id %d is not below RTE_MAX_LCORE %d", n, maxLcore)
	}
	return n, nil
}

// Main is the main (control) lcore id, or -1 if the list is invalid.
func (e EAL) Main() int {
	ids, err := ParseLcores(e.Lcores)
	if err != nil {
		return -1
	}
	return ids[0]
}

// Workers are the lcore ids that run the packet loop: all but the main one.
// Nil if the list is invalid (Validate reports that).
func (e EAL) Workers() []int {
	ids, err := ParseLcores(e.Lcores)
	if err != nil || len(ids) < 2 {
		return nil
	}
	return ids[1:]
}

// EALArgs is the argument list for rte_eal_init, without argv[0].
func (c *Config) EALArgs() []string {
	e := c.EAL
	args := []string{"-l", e.Lcores}
	if e.MemoryMB > 0 {
		args = append(args, "-m", strconv.Itoa(e.MemoryMB))
	}
	if e.InMemory {
		args = append(args, "--in-memory")
	}
	if e.FilePrefix != "" {
		args = append(args, "--file-prefix", e.FilePrefix)
	}
	if e.HugeDir != "" {
		args = append(args, "--huge-dir", e.HugeDir)
	}
	if e.NoPCI {
		args = append(args, "--no-pci")
	}
	for _, p := range c.Ports {
		switch {
		case !p.IsPCI():
			args = append(args, "--vdev="+p.Device)
		case !e.NoPCI:
			// -a also keeps DPDK from probing every other PCI device.
			args = append(args, "-a", p.Device)
		}
	}
	return append(args, e.ExtraArgs...)
}

var pciAddr = regexp.MustCompile(`^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$`)

func isPCIAddr(s string) bool { return pciAddr.MatchString(s) }
