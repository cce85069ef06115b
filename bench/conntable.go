package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// The connection-table comparison (issue 7: "rte_hash: compare it with
// today's table at 64k and 1M flows, keep the one that wins on rate and
// bytes per connection"): a C program measures govs's table and rte_hash on
// the same connections and keys; no govsd, no traffic.

// conntableFlows are the sizes compared, whatever -flows says: the program
// needs no pcap, and the issue asks for exactly these.
var conntableFlows = []int{1 << 16, 1 << 20}

// conntableSecs is how long each table is timed at each size.
const conntableSecs = 2

var (
	conntableSource = filepath.Join("bench", "conntable", "conntable.c")
	fpConnSource    = filepath.Join("dataplane", "fastpath", "fp_conn.c") // the table measured
)

// buildConntable compiles the comparison with govsd's table into the cache
// directory.
func (h *harness) buildConntable() (string, error) {
	flags, err := pkgConfigDPDK()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(h.cacheDir, "conntable")
	args := append([]string{"-O3", "-Wall", "-Wextra", "-o", bin + ".tmp"}, flags.cflags...)
	args = append(args, "-I", filepath.Join(h.repoRoot, filepath.Dir(fpConnSource)),
		filepath.Join(h.repoRoot, conntableSource), filepath.Join(h.repoRoot, fpConnSource))
	if out, err := exec.Command("gcc", append(args, flags.libs...)...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("gcc %s: %v\n%s", conntableSource, err, out)
	}
	return bin, os.Rename(bin+".tmp", bin)
}

// conntableArgs is the program's command line: EAL on the worker CPU
// alone, then one case per size with govsd's table sizing.
func conntableArgs(bin, prefix string, flows []int, secs int) []string {
	args := []string{bin, "-l", strconv.Itoa(workerCPU()), "--in-memory", "--no-pci", "--no-telemetry",
		"--file-prefix", prefix, "--log-level=lib.eal:notice", "--"}
	for _, n := range flows {
		args = append(args, "--case", fmt.Sprintf("%d:%d", n, tableFor(n)))
	}
	return append(args, "--secs", strconv.Itoa(secs))
}

// conntableHugepages bounds the program's hugepage use: both tables of the
// largest size (rte_hash takes ~3x ours), one after the other.
func conntableHugepages(flows []int) int64 {
	largest := 0
	for _, n := range flows {
		largest = max(largest, tableFor(n))
	}
	return 4*tableFootprint(largest) + 64<<20
}

// runConntable builds and runs the comparison and parses its output.
func (h *harness) runConntable(flows []int, secs int) (conntableResult, error) {
	var res conntableResult
	bin, err := h.buildConntable()
	if err != nil {
		return res, err
	}
	if err := h.ensureFree(conntableHugepages(flows), 60*time.Second); err != nil {
		return res, err
	}
	prefix := h.newPrefix()
	ch, err := startChild("conntable", h.logPath("conntable"), prefix, nil, conntableArgs(bin, prefix, flows, secs)...)
	if err != nil {
		return res, err
	}
	defer ch.stop(10 * time.Second)
	// setup (inserting 2M keys into rte_hash) takes seconds of its own
	timeout := time.Duration(len(flows)*(2*secs+30)) * time.Second
	deadline := time.Now().Add(timeout)
	for !ch.exited() {
		if err := h.interrupted(); err != nil {
			return res, err
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("conntable: not done after %v; log %s", timeout, ch.logPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, err := parseConntable(ch.logText())
	if err == nil && (ch.err != nil || !out.Done) {
		err = fmt.Errorf("exited (%v) without CONNTABLE done", ch.err)
	}
	if err == nil {
		err = out.complete(flows)
	}
	if err != nil {
		return res, fmt.Errorf("conntable: %w; log %s ends:\n%s", err, ch.logPath, ch.logTail(15))
	}
	return out.conntableResult, nil
}

// runConntableStep runs the comparison as a step of the bench: a failure is
// recorded and the run goes on.
func (h *harness) runConntableStep(res *results) error {
	h.logf("connection table: govs vs rte_hash, %v flows, %d s each", conntableFlows, conntableSecs)
	r, err := h.runConntable(conntableFlows, conntableSecs)
	if err != nil {
		return h.noteFailure(res, "connection table comparison", err)
	}
	res.ConnTable = &r
	for _, l := range conntableInfo(&r) {
		h.logf("  %s", l)
	}
	return nil
}
