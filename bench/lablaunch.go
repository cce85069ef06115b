package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// labStart is one govsd to run in a NAT lab's director namespace.
type labStart struct {
	lab      *netlab.NATLab
	prefix   string // names its configuration file and log
	socket   string
	yaml     string
	log      string // log file name
	memoryMB int
	wan, lan string // its taps' kernel-side names
}

// startInLab writes the configuration, starts govsd in the lab's director
// namespace, checks it is there and plugs its taps into the lab. fail
// stops govsd and names the failed step with the end of its log.
func (h *harness) startInLab(s labStart) (g *govsd, fail func(what string, err error) error, err error) {
	path := filepath.Join(h.runDir, s.prefix+".yaml")
	if err := os.WriteFile(path, []byte(s.yaml), 0o644); err != nil {
		return nil, nil, err
	}
	if err := h.ensureFree(int64(s.memoryMB)<<20, 60*time.Second); err != nil {
		return nil, nil, err
	}
	dir := s.lab.Director
	ch, err := startChild("govsd", h.logPath(s.log), s.prefix, mergeEnv(h.govsdEnv, nil), dir.Argv(h.govsd, "-config", path)...)
	if err != nil {
		return nil, nil, err
	}
	g = &govsd{child: ch, adm: admin.Dial(s.socket)}
	fail = func(what string, err error) error {
		g.stop()
		return fmt.Errorf("%s: %v; govsd log %s ends:\n%s", what, err, ch.logPath, ch.logTail(15))
	}
	if err := waitUntil(g, startTimeout, func() (bool, error) {
		return dir.WaitLink(s.wan, true, 0) == nil && dir.WaitLink(s.lan, true, 0) == nil, nil
	}); err != nil {
		return nil, nil, fail("waiting for the tap ports", err)
	}
	if in, err := dir.Holds(ch.cmd.Process.Pid); err != nil || !in {
		return nil, nil, fail("checking govsd's namespace", fmt.Errorf("pid %d is not in netns %s (%v)", ch.cmd.Process.Pid, dir.Name, err))
	}
	if err := s.lab.AttachPorts(s.wan, s.lan, 5*time.Second); err != nil {
		return nil, nil, fail("moving the taps into the lab", err)
	}
	return g, fail, nil
}

// waitForwarding waits until govsd is ready with servers resolved and a
// request through the VIP is answered; on failure it names the step.
func waitForwarding(g *govsd, client *netlab.NS, servers []string) (step string, err error) {
	if err := waitUntil(g, 30*time.Second, func() (bool, error) {
		st, err := g.adm.Status()
		return err == nil && st.Ready && neighboursResolved(st, servers), nil
	}); err != nil {
		return "waiting for readiness", err
	}
	if _, err := netlab.HTTPGetNewConn(client, "http://"+vipAddr(vipPort)+"/", 10*time.Second); err != nil {
		return "first request through the VIP", err
	}
	return "", nil
}
