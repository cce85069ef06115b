package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// pmdSample is one block of testpmd's --stats-period output for port 0.
type pmdSample struct {
	RxPackets, TxPackets uint64  // totals since start
	RxPPS, TxPPS         float64 // "Throughput (since last show)"
}

// parseTestpmdStats extracts the periodic NIC statistics blocks of port 0
// from testpmd's output, in order. A block cut short (the process was
// stopped while printing) is left out; so are the final forward statistics.
func parseTestpmdStats(text string) []pmdSample {
	var out []pmdSample
	var cur pmdSample
	in := false
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch {
		case strings.Contains(sc.Text(), "NIC statistics for port"):
			in, cur = strings.HasSuffix(strings.TrimRight(strings.TrimRight(sc.Text(), "# "), " "), "port 0"), pmdSample{}
		case !in:
		case f[0] == "RX-packets:" && len(f) >= 2:
			cur.RxPackets, _ = strconv.ParseUint(f[1], 10, 64)
		case f[0] == "TX-packets:" && len(f) >= 2:
			cur.TxPackets, _ = strconv.ParseUint(f[1], 10, 64)
		case f[0] == "Rx-pps:" && len(f) >= 2:
			cur.RxPPS, _ = strconv.ParseFloat(f[1], 64)
		case f[0] == "Tx-pps:" && len(f) >= 2:
			cur.TxPPS, _ = strconv.ParseFloat(f[1], 64)
			out = append(out, cur)
			in = false
		}
	}
	return out
}

// testpmdArgs is the command line of the reference: the same vdev, pcap and
// mbuf geometry as govsd, one forwarding lcore (1), lcore 0 printing stats.
func testpmdArgs(bin, prefix, pcap, mode string, mbufs int) []string {
	return []string{bin, "-l", benchLcores, "--no-pci", "--in-memory", "--file-prefix", prefix,
		"--no-telemetry", "--log-level=lib.eal:notice",
		"--vdev", "net_pcap0,rx_pcap=" + pcap + ",infinite_rx=1",
		"--",
		"--forward-mode=" + mode, "--auto-start", "--nb-cores=1", "--rxq=1", "--txq=1",
		"--burst=32", "--total-num-mbufs=" + strconv.Itoa(mbufs),
		"--mbuf-size=" + strconv.Itoa(mbufDataRoom), "--stats-period", "1", "--no-mlockall"}
}

// testpmdRun is one measurement of testpmd.
type testpmdRun struct {
	Windows []float64 // forwarded (tx) packets per second, one per 1 s block
	RxPPS   []float64
	Startup time.Duration
	Rep     int // repeat it belongs to
}

// runTestpmd starts testpmd in mode on pcap, skips the first block (it
// covers start-up) and warm-up blocks, and collects one block per window.
func (h *harness) runTestpmd(mode string, pcapPath string, spec pcapSpec) (testpmdRun, error) {
	var r testpmdRun
	if err := h.ensureFree(pcapBytes(spec, false), 60*time.Second); err != nil {
		return r, err
	}
	prefix := h.newPrefix()
	logPath := h.logPath(fmt.Sprintf("testpmd-%s-%s", mode, spec))
	t0 := time.Now()
	c, err := startChild("testpmd", logPath, prefix, nil,
		testpmdArgs(h.testpmd, prefix, pcapPath, mode, mbufsFor(spec)+mbufSlack)...)
	if err != nil {
		return r, err
	}
	defer c.stop(20 * time.Second)
	if err := c.waitLog("Tx-pps:", startTimeout); err != nil {
		return r, err
	}
	r.Startup = time.Since(t0)
	need := 1 + h.warmup + h.windows
	deadline := time.Now().Add(time.Duration(need+10) * time.Second)
	for {
		if err := h.interrupted(); err != nil {
			return r, err
		}
		samples := parseTestpmdStats(c.logText())
		if len(samples) >= need {
			for _, s := range samples[1+h.warmup : need] {
				r.Windows = append(r.Windows, s.TxPPS)
				r.RxPPS = append(r.RxPPS, s.RxPPS)
			}
			return r, nil
		}
		if c.exited() {
			return r, fmt.Errorf("testpmd exited (%v); log %s ends:\n%s", c.err, logPath, c.logTail(15))
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("testpmd: %d stats blocks after %v, want %d; log %s", len(samples), time.Since(t0), need, logPath)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
