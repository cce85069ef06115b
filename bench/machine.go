package main

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// machineInfo describes where the numbers were measured.
type machineInfo struct {
	CPU, Cores, Caches, Hypervisor string
	MemTotal, Kernel, OS           string
	DPDK, Go, Commit               string
}

func describeMachine(repo string) machineInfo {
	m := machineInfo{Go: runtime.Version(), Cores: "?", CPU: "?"}
	if out, err := exec.Command("lscpu").Output(); err == nil {
		var caches []string
		for _, l := range strings.Split(string(out), "\n") {
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			switch strings.TrimSpace(k) {
			case "Model name":
				m.CPU = v
			case "CPU(s)":
				m.Cores = v
			case "Hypervisor vendor":
				m.Hypervisor = v
			case "L1d cache", "L2 cache", "L3 cache":
				caches = append(caches, strings.TrimSuffix(strings.TrimSpace(k), " cache")+" "+v)
			}
		}
		m.Caches = strings.Join(caches, ", ")
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				m.MemTotal = strings.TrimSpace(strings.TrimPrefix(l, "MemTotal:"))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	if out, err := exec.Command("pkg-config", "--modversion", "libdpdk").Output(); err == nil {
		m.DPDK = strings.TrimSpace(string(out))
	}
	cmd := exec.Command("git", "rev-parse", "--short", "HEAD")
	cmd.Dir = repo
	if out, err := cmd.Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		st := exec.Command("git", "status", "--porcelain", "--untracked-files=no")
		st.Dir = repo
		if o, err := st.Output(); err == nil && len(strings.TrimSpace(string(o))) > 0 {
			m.Commit += " + uncommitted changes"
		}
	}
	return m
}
