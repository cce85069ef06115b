package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/internal/netlab"
)

// haDirector is one of the HA demo's two govsd, in its namespace of the
// lab, run from its own configuration.
type haDirector struct {
	name    string // "director 1"
	index   int    // in HALab.Directors
	config  string // its configuration file
	cfg     *config.Config
	topo    demoTopo
	ns      *netlab.NS
	log     *os.File      // both runs of its govsd write here
	proc    *netlab.Proc  // nil while stopped
	last    *netlab.Proc  // the latest run, for its output after a kill
	cl      *admin.Client // its admin socket
	started time.Time     // when its latest run was started
	ready   time.Time     // when that run was ready with the servers resolved
	// vrrpStart is when that run's instances became BACKUP, if seen
	// while waiting for readiness (zero if not).
	vrrpStart time.Time
}

// start runs govsd in the director's namespace, plugs its taps into the
// lab once they are up (they live and die with the process) and waits
// until it is ready with every real server resolved.
func (h *haDirector) start(ctx context.Context, lab *netlab.HALab, govsd string, servers []string) error {
	if err := os.MkdirAll(filepath.Dir(h.topo.socket), 0o755); err != nil {
		return err
	}
	step("starting %s: %s -config %s in namespace %s (log: %s)", h.name, govsd, h.config, h.ns.Name, h.log.Name())
	h.started = time.Now()
	p, err := netlab.StartProcIn(h.ns, h.log, govsd, "-config", h.config)
	if err != nil {
		return err
	}
	h.proc, h.last, h.vrrpStart = p, p, time.Time{}
	if err := pollFor(ctx, p, 10*time.Millisecond, 30*time.Second, func() (bool, error) {
		return h.ns.WaitLink(h.topo.wanTap, true, 0) == nil && h.ns.WaitLink(h.topo.lanTap, true, 0) == nil, nil
	}); err != nil {
		return fmt.Errorf("%s: waiting for taps %s and %s: %w", h.name, h.topo.wanTap, h.topo.lanTap, err)
	}
	if err := lab.AttachDirector(h.index, h.topo.wanTap, h.topo.lanTap, 5*time.Second); err != nil {
		return fmt.Errorf("%s: %w", h.name, err)
	}
	if err := waitFor(ctx, p, 20*time.Second, func() bool {
		h.noteVRRPStart()
		st, err := h.cl.Status()
		return err == nil && st.Ready && allResolved(st, servers)
	}); err != nil {
		return fmt.Errorf("%s: waiting for readiness: %w", h.name, err)
	}
	h.ready = time.Now()
	step("%s ready %v after its start (EAL, ports, taps plugged into the lab, real servers resolved)", h.name, h.ready.Sub(h.started).Round(time.Millisecond))
	return nil
}

// noteVRRPStart records when the instances became BACKUP, the start of
// their master-down wait.
func (h *haDirector) noteVRRPStart() {
	ins, err := h.cl.VRRP()
	if err != nil {
		return
	}
	for _, in := range ins {
		if in.State == "BACKUP" && (h.vrrpStart.IsZero() || in.Since.Before(h.vrrpStart)) {
			h.vrrpStart = in.Since
		}
	}
}

// kill SIGKILLs govsd, a crash: no priority-0 advert, its taps gone with
// it. It returns when the signal was sent.
func (h *haDirector) kill() (time.Time, error) {
	at := time.Now()
	if err := h.proc.Signal(syscall.SIGKILL); err != nil {
		return at, fmt.Errorf("SIGKILL %s: %w", h.name, err)
	}
	if !h.proc.Exited(5 * time.Second) {
		return at, fmt.Errorf("%s still running 5 s after SIGKILL", h.name)
	}
	h.proc = nil
	return at, nil
}

// stop stops govsd (SIGTERM, then SIGKILL), if it runs, and removes the
// admin socket a killed run leaves behind.
func (h *haDirector) stop() {
	if h.proc != nil {
		step("stopping %s", h.name)
		h.proc.Stop(10 * time.Second)
		h.proc = nil
	}
	if h.last != nil {
		os.Remove(h.topo.socket)
	}
}

// awaitAll polls until every configured instance is in state and returns
// them as seen then.
func (h *haDirector) awaitAll(ctx context.Context, state string, within time.Duration) ([]admin.VRRPInstance, error) {
	if h.proc == nil {
		return nil, fmt.Errorf("%s is not running", h.name)
	}
	var last []admin.VRRPInstance
	err := pollFor(ctx, h.proc, 5*time.Millisecond, within, func() (bool, error) {
		var err error
		if last, err = h.cl.VRRP(); err != nil {
			return false, nil // the admin socket may not answer yet
		}
		return h.allIn(last, state), nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: not %s of every instance: %w (last seen: %s)", h.name, state, err, statesText(last))
	}
	return last, nil
}

// allIn reports whether every instance of the configuration is in state.
func (h *haDirector) allIn(ins []admin.VRRPInstance, state string) bool {
	for _, want := range h.cfg.VRRP.Instances {
		if !slices.ContainsFunc(ins, func(in admin.VRRPInstance) bool { return in.Name == want.Name && in.State == state }) {
			return false
		}
	}
	return true
}

// statesText is "VI_LAN BACKUP, VI_WAN MASTER".
func statesText(ins []admin.VRRPInstance) string {
	if len(ins) == 0 {
		return "none"
	}
	var parts []string
	for _, in := range ins {
		parts = append(parts, in.Name+" "+in.State)
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// transitionAfter is how long after at the slowest of the instances made
// its last transition, by govsd's own record (the same clock as ours).
func transitionAfter(ins []admin.VRRPInstance, at time.Time) time.Duration {
	var took time.Duration
	for _, in := range ins {
		d := time.Since(at)
		if in.Since.After(at) {
			d = in.Since.Sub(at)
		}
		took = max(took, d)
	}
	return took
}

// outputTail is the end of the latest run's output, for an error report.
func (h *haDirector) outputTail(lines int) string {
	if h.last == nil {
		return ""
	}
	out := strings.Split(strings.TrimRight(h.last.Output(), "\n"), "\n")
	return strings.Join(out[max(0, len(out)-lines):], "\n")
}
