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

// natEnv is the shared NAT setup: the namespaces of netlab.NATLab, one
// govsd running baseConf, and the client namespace holding its WAN tap.
type natEnv struct {
	dir  string
	lab  *netlab.NATLab
	d    *govsd
	base govsdConf
}

var (
	sharedOnce sync.Once
	sharedMu   sync.Mutex
	shared     *natEnv
	sharedErr  error
	reportOnce sync.Once
)

// natLab returns the shared NAT setup, building it on first use. It is torn
// down by TestMain. When t fails, the daemon's state is logged.
func natLab(t *testing.T) *natEnv {
	t.Helper()
	requireEnv(t)
	sharedOnce.Do(func() {
		env, err := startNATEnv()
		sharedMu.Lock()
		shared, sharedErr = env, err
		sharedMu.Unlock()
	})
	if sharedErr != nil {
		// The full dump is long: show it once, then refer to it.
		first := false
		reportOnce.Do(func() { first = true })
		if first {
			t.Fatalf("NAT lab setup: %v", sharedErr)
		}
		t.Fatalf("NAT lab setup failed (details in the first failing test): %.200v", sharedErr)
	}
	if err := shared.d.exited(); err != nil {
		t.Fatalf("shared govsd is gone: %v\n%s", err, tail(shared.d.proc.Output(), 8<<10))
	}
	t.Cleanup(func() {
		if out := shared.d.proc.Output(); strings.Contains(out, "panic") {
			t.Errorf("govsd logged a panic:\n%s", tail(out, 8<<10))
		}
		if t.Failed() {
			t.Logf("govsd state at failure:\n%s\n%s", shared.d.dump(), shared.lab.Describe())
		}
	})
	return shared
}

func startNATEnv() (env *natEnv, err error) {
	env = &natEnv{}
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
	cidrs := make([]string, len(serverIPs))
	for i, ip := range serverIPs {
		cidrs[i] = ip + "/24"
	}
	env.lab, err = netlab.NewNATLab(netlab.NATSpec{
		Prefix:      tag,
		ClientCIDR:  clientCIDR,
		ClientGW:    wanAddr,
		ServerCIDRs: cidrs,
		ServerGW:    lanAddr,
		HTTPPort:    rsHTTPPort,
		EchoPort:    rsEchoPort,
		UDPPort:     rsUDPPort,
	})
	if err != nil {
		return
	}
	if env.d, err = startGovsd(env.dir, "govsd.yaml", env.base.YAML(), env.base.Socket); err != nil {
		return
	}
	fail := func(what string, e error) error {
		return fmt.Errorf("%s: %v\n%s\n%s", what, e, env.d.dump(), env.lab.Describe())
	}
	// EAL start-up with hugepages can take a while on a small VM.
	if err = env.d.waitTaps(30*time.Second, env.base.WAN, env.base.LAN); err != nil {
		return env, fail("waiting for govsd's ports", err)
	}
	if err = env.lab.AttachPorts(env.base.WAN, env.base.LAN, 5*time.Second); err != nil {
		return env, fail("moving the taps into the lab", err)
	}
	if _, err = env.d.waitReady(20*time.Second, serverIPs...); err != nil {
		return env, fail("waiting for readiness", err)
	}
	// The first connection also teaches govsd the client's MAC (and the
	// client the VIP's); TCP retransmits the SYN if the first is lost.
	if _, err = netlab.HTTPGetNewConn(env.lab.Client, "http://"+vip+"/", 10*time.Second); err != nil {
		return env, fail("first HTTP request through the VIP", err)
	}
	return env, nil
}

// close stops govsd and removes the namespaces and the temporary
// directory. It reports a govsd that did not exit 0 on SIGTERM, or whose
// taps outlived it.
func (env *natEnv) close() error {
	var errs []error
	if env.d != nil {
		if err := env.d.stop(); err != nil {
			errs = append(errs, fmt.Errorf("govsd did not stop cleanly on SIGTERM: %v\n%s", err, tail(env.d.proc.Output(), 4<<10)))
		}
	}
	if env.lab != nil {
		for _, ns := range []*netlab.NS{env.lab.Client, env.lab.Switch.NS} {
			if out, _ := ns.IP("-br", "link"); strings.Contains(out, tag) {
				errs = append(errs, fmt.Errorf("tap still in netns %s after govsd stopped:\n%s", ns.Name, out))
			}
		}
		errs = append(errs, env.lab.Close())
	}
	if env.dir != "" {
		os.RemoveAll(env.dir)
	}
	return errors.Join(errs...)
}

// teardownShared closes the shared setup if it was built.
func teardownShared() error {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil {
		return nil
	}
	err := shared.close()
	shared = nil
	return err
}

// restoreBase puts the base configuration back after a test changed it.
func (env *natEnv) restoreBase(t *testing.T) {
	t.Helper()
	if _, err := env.d.reload(env.base.YAML(), 10*time.Second); err != nil {
		t.Errorf("restoring the base configuration: %v", err)
	}
}
