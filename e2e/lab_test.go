package e2e

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// labEnv is what every shared setup has: a temporary directory, the
// namespaces of its lab, and one govsd running base. The NAT, DR and TUN
// setups embed it.
type labEnv struct {
	kind  string // "NAT", "DR", "TUN": names the setup in messages
	dir   string
	hosts *netlab.Hosts
	d     *govsd
	base  govsdConf
	// describe, if set, adds setup-specific state to failure reports.
	describe func() string
}

// sharedEnv is a setup that tests share; acquire builds it.
type sharedEnv interface {
	common() *labEnv
	close() error
}

func (e *labEnv) common() *labEnv { return e }

// Only one shared setup runs at a time: a test of another kind tears the
// current one down first, so the 2-core machine never runs two polling
// directors for long, and the DR, NAT and TUN tests each get a quiet one.
var shared struct {
	sync.Mutex
	env      sharedEnv        // built last and still running, or nil
	failed   map[string]error // setups that could not be built: not retried
	reported map[string]bool  // their full report was shown once
	// teardownErrs are problems found while tearing down a setup between
	// tests (govsd not exiting cleanly, taps left behind); TestMain fails
	// the run with them.
	teardownErrs []error
}

// acquire returns the shared setup of this kind, building it with start
// on first use (after tearing down a setup of another kind). When t fails,
// the daemon's state is logged.
func acquire(t *testing.T, kind string, start func() (sharedEnv, error)) sharedEnv {
	t.Helper()
	requireEnv(t)
	shared.Lock()
	if shared.failed == nil {
		shared.failed, shared.reported = map[string]error{}, map[string]bool{}
	}
	if shared.env != nil && shared.env.common().kind != kind {
		closeShared()
	}
	if shared.env == nil && shared.failed[kind] == nil {
		env, err := start()
		if err != nil {
			shared.failed[kind] = err
		} else {
			shared.env = env
		}
	}
	err := shared.failed[kind]
	first := err != nil && !shared.reported[kind]
	if first {
		shared.reported[kind] = true
	}
	env := shared.env
	shared.Unlock()
	if err != nil {
		// The full dump is long: show it once, then refer to it.
		if first {
			t.Fatalf("%s lab setup: %v", kind, err)
		}
		t.Fatalf("%s lab setup failed (details in the first failing test): %.300v", kind, err)
	}
	e := env.common()
	if err := e.d.exited(); err != nil {
		t.Fatalf("shared %s govsd is gone: %v\n%s", kind, err, tail(e.d.proc.Output(), 8<<10))
	}
	t.Cleanup(func() {
		if out := e.d.proc.Output(); strings.Contains(out, "panic") {
			t.Errorf("govsd logged a panic:\n%s", tail(out, 8<<10))
		}
		if t.Failed() {
			t.Logf("%s setup state at failure:\n%s", kind, e.report())
		}
	})
	return env
}

// closeShared tears down the current setup; shared must be locked.
func closeShared() {
	if shared.env == nil {
		return
	}
	if err := shared.env.close(); err != nil {
		shared.teardownErrs = append(shared.teardownErrs, fmt.Errorf("%s lab: %w", shared.env.common().kind, err))
	}
	shared.env = nil
}

// teardownShared closes the current setup and returns every teardown
// problem of the run.
func teardownShared() error {
	shared.Lock()
	defer shared.Unlock()
	closeShared()
	return errors.Join(shared.teardownErrs...)
}

// report describes the daemon and the lab for a failure message.
func (e *labEnv) report() string {
	var b strings.Builder
	if e.d != nil {
		b.WriteString(e.d.dump())
		b.WriteString("\n")
	}
	if e.hosts != nil {
		b.WriteString(e.hosts.Describe())
	}
	if e.describe != nil {
		b.WriteString(e.describe())
	}
	return b.String()
}

// startDaemon starts govsd on conf (e.base's taps and socket) in the
// lab's director namespace, plugs its taps into the lab with attach, waits
// until it is ready with every neighbour resolved, and makes a first
// request with first, if any: it also
// teaches the director and the client each other's MAC (TCP retransmits
// the SYN if the first is lost). Errors carry the daemon's state.
func (e *labEnv) startDaemon(conf []byte, attach func() error, neighbours []string, first func() error) error {
	var err error
	if e.d, err = startGovsd(e.hosts.Director, e.dir, "govsd.yaml", conf, e.base.Socket); err != nil {
		return err
	}
	fail := func(what string, err error) error {
		return fmt.Errorf("%s: %v\n%s", what, err, e.report())
	}
	// EAL start-up with hugepages can take a while on a small VM.
	if err := e.d.waitTaps(30*time.Second, e.base.taps()...); err != nil {
		return fail("waiting for govsd's ports", err)
	}
	if err := attach(); err != nil {
		return fail("moving the taps into the lab", err)
	}
	if _, err := e.d.waitReady(20*time.Second, neighbours...); err != nil {
		return fail("waiting for readiness", err)
	}
	if first == nil {
		return nil
	}
	if err := first(); err != nil {
		return fail("first request through the VIP", err)
	}
	return nil
}

// close stops govsd and removes the namespaces (the director's too) and
// the temporary directory. It reports a govsd that did not exit 0 on
// SIGTERM, taps that outlived it, and what the lab's Close reports.
func (e *labEnv) close() error {
	var errs []error
	if e.d != nil {
		if err := e.d.stop(); err != nil {
			errs = append(errs, fmt.Errorf("govsd did not stop cleanly on SIGTERM: %v\n%s", err, tail(e.d.proc.Output(), 4<<10)))
		}
	}
	if e.hosts != nil {
		for _, ns := range e.hosts.Namespaces() {
			out, _ := ns.IP("-br", "link")
			for _, tap := range e.base.taps() {
				if strings.Contains(out, tap) {
					errs = append(errs, fmt.Errorf("tap %s still in netns %s after govsd stopped:\n%s", tap, ns.Name, out))
				}
			}
		}
		errs = append(errs, e.hosts.Close())
	}
	if e.dir != "" {
		os.RemoveAll(e.dir)
	}
	return errors.Join(errs...)
}

// restoreBase puts the base configuration back after a test changed it.
func (e *labEnv) restoreBase(t *testing.T) {
	t.Helper()
	if _, err := e.d.reload(e.base.YAML(), 10*time.Second); err != nil {
		t.Errorf("restoring the base configuration: %v", err)
	}
}

// natEnv is the shared NAT setup: the namespaces of netlab.NATLab, one
// govsd running baseConf, and the client namespace holding its WAN tap.
type natEnv struct {
	labEnv
	lab *netlab.NATLab
}

// natLab returns the shared NAT setup, building it on first use.
func natLab(t *testing.T) *natEnv {
	t.Helper()
	return acquire(t, "NAT", func() (sharedEnv, error) {
		env, err := startNATEnv()
		if err != nil {
			return nil, err
		}
		return env, nil
	}).(*natEnv)
}

func startNATEnv() (env *natEnv, err error) {
	env = &natEnv{labEnv: labEnv{kind: "NAT"}}
	defer func() {
		if err != nil {
			env.close()
			env = nil
		}
	}()
	if env.dir, err = os.MkdirTemp("", tempPrefix(tag)+"lab-"); err != nil {
		return
	}
	env.base = baseConf(tag, env.dir)
	env.lab, err = netlab.NewNATLab(netlab.NATSpec{
		Prefix:      tag,
		ClientCIDR:  clientCIDR,
		ClientGW:    wanAddr,
		ServerCIDRs: slash24(serverIPs),
		ServerGW:    lanAddr,
		HTTPPort:    rsHTTPPort,
		EchoPort:    rsEchoPort,
		UDPPort:     rsUDPPort,
	})
	if err != nil {
		return
	}
	env.hosts = &env.lab.Hosts
	wan, lan := env.base.Ports[0].Iface, env.base.Ports[1].Iface
	err = env.startDaemon(env.base.YAML(),
		func() error { return env.lab.AttachPorts(wan, lan, 5*time.Second) },
		serverIPs,
		func() error {
			_, err := netlab.HTTPGetNewConn(env.lab.Client, "http://"+vip+"/", 10*time.Second)
			return err
		})
	return
}

// slash24 gives each address its /24 prefix, as the labs' segments are.
func slash24(ips []string) []string {
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip + "/24"
	}
	return out
}
