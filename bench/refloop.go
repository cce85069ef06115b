package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
)

// refloopResult is the reference loop's stall measurement: the floor of
// govsd's, on the same lcore, CPU and vdev, with the same phases.
type refloopResult struct {
	Ready       refloopReady
	Quiet, Busy refloopPhase
	loadCounts  // the busy phase's load, served by the stand-in
	// the worker thread as the kernel saw it, per phase
	QuietThread, BusyThread threadStat
}

const (
	phaseQuiet = "quiet"
	phaseBusy  = "busy"
)

// refloopSource is the C program, relative to the repository root.
var refloopSource = filepath.Join("bench", "refloop", "refloop.c")

// buildRefloop compiles the reference loop into the cache directory. It
// is C on purpose: a cgo binary would carry the Go runtime whose stalls it
// is the reference for.
func (h *harness) buildRefloop() (string, error) {
	flags, err := pkgConfigDPDK()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(h.cacheDir, "refloop")
	args := append([]string{"-O2", "-Wall", "-o", bin + ".tmp"}, flags.cflags...)
	args = append(append(args, filepath.Join(h.repoRoot, refloopSource)), flags.libs...)
	if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("gcc %s: %v\n%s", refloopSource, err, out)
	}
	return bin, os.Rename(bin+".tmp", bin)
}

type dpdkFlags struct{ cflags, libs []string }

func pkgConfigDPDK() (dpdkFlags, error) {
	var f dpdkFlags
	for _, what := range []struct {
		flag string
		dst  *[]string
	}{{"--cflags", &f.cflags}, {"--libs", &f.libs}} {
		out, err := exec.Command("pkg-config", what.flag, "libdpdk").Output()
		if err != nil {
			return f, fmt.Errorf("pkg-config %s libdpdk: %w (apt-get install libdpdk-dev)", what.flag, err)
		}
		*what.dst = strings.Fields(string(out))
	}
	return f, nil
}

// refloopArgs is refloop's command line: EAL exactly as govsd would get it
// from conf (same lcores, vdev, memory options), then the phases and the
// mbuf geometry of govsd's dataplane section.
func refloopArgs(bin string, conf govsdConf, warmup, quiet, busy int) ([]string, error) {
	cfg, err := config.Parse([]byte(conf.yaml()))
	if err != nil {
		return nil, fmt.Errorf("govsd configuration of the reference: %w", err)
	}
	d := cfg.Dataplane
	args := append([]string{bin}, cfg.EALArgs()...)
	args = append(args, "--no-telemetry", "--", // govsd adds --no-telemetry too
		"--warmup", strconv.Itoa(warmup),
		"--phase", phaseQuiet+":"+strconv.Itoa(quiet),
		"--phase", phaseBusy+":"+strconv.Itoa(busy),
		"--mbufs", strconv.Itoa(d.Mbufs), "--data-room", strconv.Itoa(d.MbufDataRoom))
	if d.Burst > 0 {
		args = append(args, "--burst", strconv.Itoa(d.Burst))
	}
	if d.RxDesc > 0 {
		args = append(args, "--ring", strconv.Itoa(d.RxDesc))
	}
	return args, nil
}

// runRefloop runs the reference loop on the stall measurement's file: a
// warm-up, a quiet phase, then a busy phase during which the bench puts the
// busy-phase load of govsd's measurement on the control CPU, against a
// stand-in admin server in the bench (stats and status answer with govsd's
// last replies).
func (h *harness) runRefloop(c benchCase, pcapPath string, quiet, busy int, stats admin.Stats, status admin.Status) (refloopResult, error) {
	var res refloopResult
	bin, err := h.buildRefloop()
	if err != nil {
		return res, err
	}
	if err := h.ensureFree(pcapBytes(c.Pcap, false), 60*time.Second); err != nil {
		return res, err
	}
	conf, cfgPath, err := h.writeConf(stallConf(c, pcapPath))
	if err != nil {
		return res, err
	}
	argv, err := refloopArgs(bin, conf, h.warmup, quiet, busy)
	if err != nil {
		return res, err
	}
	stopServer, err := serveStandin(&standinSource{path: cfgPath, stats: stats, status: status}, conf.Socket)
	if err != nil {
		return res, err
	}
	defer stopServer()
	ch, err := startChild("refloop", h.logPath("refloop-"+c.Pcap.String()), conf.Prefix, nil, argv...)
	if err != nil {
		return res, err
	}
	defer ch.stop(20 * time.Second)
	return h.followRefloop(ch, admin.Dial(conf.Socket), startTimeout+time.Duration(h.warmup+quiet+busy+10)*time.Second)
}

// followRefloop watches refloop's output: it samples the worker thread at
// each phase boundary and runs the control-plane load for the busy phase.
func (h *harness) followRefloop(ch *child, adm *admin.Client, timeout time.Duration) (refloopResult, error) {
	var res refloopResult
	var load *controlLoad
	defer func() {
		if load != nil {
			load.finish()
		}
	}()
	pid := ch.cmd.Process.Pid
	var ths []threadStat // at the start of quiet, of busy, at the end of busy
	sample := func(tid int) {
		s, _ := readThreadStat(pid, tid)
		ths = append(ths, s)
	}
	deadline := time.Now().Add(timeout)
	for {
		if err := h.interrupted(); err != nil {
			return res, err
		}
		out, err := parseRefloop(ch.logText())
		if err != nil {
			return res, err
		}
		tid := 0
		if out.Ready != nil {
			res.Ready, tid = *out.Ready, out.Ready.TID
		}
		if len(ths) == 0 && out.begun(phaseQuiet) {
			sample(tid)
		}
		if len(ths) == 1 && out.begun(phaseBusy) {
			sample(tid)
			load = startControlLoad(adm)
		}
		if _, ended := out.phase(phaseBusy); ended && load != nil {
			res.loadCounts = load.finish()
			load = nil
			sample(tid)
		}
		if out.Done {
			return res, res.fill(out, ths)
		}
		if ch.exited() {
			return res, fmt.Errorf("refloop exited (%v) before it was done; log %s ends:\n%s", ch.err, ch.logPath, ch.logTail(15))
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("refloop: not done after %v; log %s", timeout, ch.logPath)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fill takes the phases and the thread samples of a finished run.
func (r *refloopResult) fill(out refloopOutput, ths []threadStat) error {
	var okQ, okB bool
	r.Quiet, okQ = out.phase(phaseQuiet)
	r.Busy, okB = out.phase(phaseBusy)
	if !okQ || !okB {
		return fmt.Errorf("refloop finished without a %s and a %s phase", phaseQuiet, phaseBusy)
	}
	if len(ths) == 3 {
		r.QuietThread, r.BusyThread = ths[1].minus(ths[0]), ths[2].minus(ths[1])
	}
	return nil
}
