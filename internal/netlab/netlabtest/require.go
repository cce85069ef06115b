// Package netlabtest holds the test policy for tests that need root,
// namespaces or hugepages: off CI they skip with what is missing; on CI
// (CI=true) they fail with it, so a misconfigured runner is never green.
package netlabtest

import (
	"os"
	"testing"

	"github.com/govs-project/govs/internal/netlab"
)

// OnCI reports whether CI=true is set.
func OnCI() bool { return os.Getenv("CI") == "true" }

// Require stops t unless the environment has what it needs: root and ip,
// and if hugepagesMB > 0, that many MiB of free hugepages.
func Require(t testing.TB, hugepagesMB int) {
	t.Helper()
	missing := netlab.MissingRoot()
	if missing == "" && hugepagesMB > 0 {
		missing = netlab.MissingHugepages(hugepagesMB)
	}
	Missing(t, missing)
}

// Missing skips (or on CI fails) t with the message why, unless why is "".
func Missing(t testing.TB, why string) {
	t.Helper()
	if why == "" {
		return
	}
	if OnCI() {
		t.Fatalf("CI=true and this test cannot run: %s", why)
	}
	t.Skipf("skipped: %s", why)
}

// NewNS creates namespace name for t and deletes it when the test ends.
func NewNS(t testing.TB, name string) *netlab.NS {
	t.Helper()
	ns, err := netlab.NewNS(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}
