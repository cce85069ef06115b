package realserver

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/internal/netlab/netlabtest"
)

// requireLab stops t unless it can build namespaces and run govsctl.
func requireLab(t *testing.T) {
	t.Helper()
	netlabtest.Require(t, 0)
	if govsctl == "" {
		t.Fatalf("govsctl not built: %v", buildErr)
	}
}

// newNS creates namespace tag+suffix, deleted when the test ends.
func newNS(t *testing.T, suffix string) *netlab.NS {
	t.Helper()
	return netlabtest.NewNS(t, tag+suffix)
}

// veth links a (interface aif, address acidr) and b (bif, bcidr).
func veth(t *testing.T, a *netlab.NS, aif, acidr string, b *netlab.NS, bif, bcidr string) {
	t.Helper()
	if _, err := a.IP("link", "add", aif, "type", "veth", "peer", "name", bif, "netns", b.Name); err != nil {
		t.Fatal(err)
	}
	if err := a.ConfigureLink(aif, acidr, ""); err != nil {
		t.Fatal(err)
	}
	if err := b.ConfigureLink(bif, bcidr, ""); err != nil {
		t.Fatal(err)
	}
}

// ctl runs "ip netns exec NS govsctl realserver args..." and returns its
// combined output and exit code.
func ctl(t *testing.T, ns *netlab.NS, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := ns.CommandContext(ctx, govsctl, append([]string{"realserver"}, args...)...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	}
	t.Fatalf("govsctl realserver %s: %v\n%s", strings.Join(args, " "), err, out)
	return "", -1
}

// mustCtl is ctl that fails the test unless govsctl exits 0.
func mustCtl(t *testing.T, ns *netlab.NS, args ...string) string {
	t.Helper()
	out, code := ctl(t, ns, args...)
	if code != 0 {
		t.Fatalf("govsctl realserver %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	t.Logf("govsctl realserver %s:\n%s", strings.Join(args, " "), out)
	return out
}

func sysctlIn(t *testing.T, ns *netlab.NS, name string) string {
	t.Helper()
	var v string
	if err := ns.Do(func() (err error) { v, err = readSysctl(name); return err }); err != nil {
		t.Fatal(err)
	}
	return v
}

func setSysctlIn(t *testing.T, ns *netlab.NS, name, value string) {
	t.Helper()
	if err := ns.Do(func() error { return writeSysctl(name, value) }); err != nil {
		t.Fatal(err)
	}
}

// wantSysctls checks name=value pairs in ns.
func wantSysctls(t *testing.T, ns *netlab.NS, what string, kv ...string) {
	t.Helper()
	for i := 0; i < len(kv); i += 2 {
		if got := sysctlIn(t, ns, kv[i]); got != kv[i+1] {
			t.Errorf("%s: %s = %s, want %s", what, kv[i], got, kv[i+1])
		}
	}
}

// eventually polls cond every 50ms until it holds or timeout passes.
func eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// fileGone reports whether path does not exist.
func fileGone(path string) bool {
	_, err := os.Stat(path)
	return errors.Is(err, os.ErrNotExist)
}

// stateDir is a fresh state directory for a test.
func stateDir(t *testing.T) string { return filepath.Join(t.TempDir(), "state") }
