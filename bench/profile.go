package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/govs-project/govs/control/config"
)

// profileSeconds is the length of the profile taken of govsd.
const profileSeconds = 5

// perfFrequency is perf's sampling rate (Hz) of the cpu-clock event.
const perfFrequency = 2000

// profileResult is the profile of govsd's worker lcore taken during a run.
type profileResult struct {
	Case     benchCase
	Target   string // what perf recorded: "thread 123 (rte-worker-1, CPU 1)"
	Command  string // the perf record command line
	DataPath string
	Symbols  perfReport // --sort symbol
	Objects  perfReport // --sort dso
	Err      string     // why there is no (complete) profile
	Pprof    *pprofResult
}

// profileGovsd records where govsd's worker lcore spends its time with
// perf: C and Go alike, unlike Go's profiler, which cannot see a C loop
// that never enters the runtime. It samples the worker thread (or, if it
// cannot be found, the worker's CPU) with the software cpu-clock event:
// guests such as this VM have no hardware counters. Failures leave a note
// in the report; the run goes on.
func (h *harness) profileGovsd(g *govsd, c benchCase, res *results) {
	p := &profileResult{Case: c, DataPath: filepath.Join(h.cacheDir, fmt.Sprintf("perf-%s-%d.data", c.Name, c.Pcap.Flows))}
	res.Profile = p
	h.logf("  perf profile of govsd's worker lcore (%d s)", profileSeconds)
	if err := h.recordPerf(g.cmd.Process.Pid, p); err != nil {
		p.Err = err.Error()
		h.logf("  no perf profile: %v", firstLine(p.Err))
	} else {
		h.logf("  profile: perf report -i %s", p.DataPath)
	}
	if h.pprof {
		p.Pprof = h.pprofGovsd(g, c)
	}
}

// recordPerf runs perf record on pid's worker lcore, then perf report.
func (h *harness) recordPerf(pid int, p *profileResult) error {
	if _, err := exec.LookPath("perf"); err != nil {
		return errors.New("perf not found (apt-get install linux-perf)")
	}
	target := []string{"-C", strconv.Itoa(workerCPU())}
	p.Target = fmt.Sprintf("CPU %d (the worker thread was not found: everything that ran on its CPU)", workerCPU())
	if w, ok := workerThread(pid); ok {
		target = []string{"-t", strconv.Itoa(w.TID)}
		p.Target = fmt.Sprintf("thread %d (%s, CPU %d)", w.TID, w.Comm, w.CPUs[0])
	}
	// -N: no copy of every binary into ~/.debug; the frozen govsd copy
	// stays where perf report looks for it.
	args := append([]string{"record", "-e", "cpu-clock", "-F", strconv.Itoa(perfFrequency), "-g", "-N", "-o", p.DataPath}, target...)
	args = append(args, "--", "sleep", strconv.Itoa(profileSeconds))
	p.Command = "perf " + strings.Join(args, " ")
	_ = os.Remove(p.DataPath) // else perf keeps the last run's as .old
	if _, err := runPerf(profileSeconds+30, args...); err != nil {
		return err
	}
	var err error
	if p.Symbols, err = perfReportOf(p.DataPath, "symbol"); err != nil {
		return err
	}
	p.Objects, err = perfReportOf(p.DataPath, "dso")
	return err
}

// workerCPU is the CPU of the worker lcore of the bench's DPDK processes
// (EAL's -l puts lcore N on CPU N).
func workerCPU() int { return config.EAL{Lcores: benchLcores}.Workers()[0] }

// perfReportOf is perf report of data sorted by key, parsed.
func perfReportOf(data, key string) (perfReport, error) {
	out, err := runPerf(120, "report", "-i", data, "--stdio", "--no-children", "--sort", key, "-g", "none")
	if err != nil {
		return perfReport{}, err
	}
	return parsePerfReport(out)
}

// runPerf runs perf with a timeout; its error carries perf's own message.
// perf inherits the bench's pinning to CPU 0: it does not take the
// worker's CPU.
func runPerf(timeoutSecs int, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(timeoutSecs)*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "perf", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("perf %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}
