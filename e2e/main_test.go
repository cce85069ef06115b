package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/internal/netlab/netlabtest"
)

// eal memory of one govsd, and what the environment must offer for it.
const ealMemoryMB = 256

var (
	tag      string // per-run name prefix, see netlab.RunTag
	binDir   string // built govsd and govsctl
	envIssue string // why the tests cannot run here, or ""
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	flag.Parse()
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		return m.Run() // listing tests needs no lab
	}
	tag = netlab.RunTag()
	envIssue = netlab.MissingRoot()
	if envIssue == "" {
		envIssue = netlab.MissingHugepages(ealMemoryMB)
	}
	if envIssue != "" {
		return m.Run() // each test skips, or on CI fails, with envIssue
	}

	cleaned, done, err := netlab.StartRun(tag, func(format string, args ...any) { fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer done()
	for _, t := range append(cleaned, tag) {
		removeTempDirs(t)
	}

	dir, err := os.MkdirTemp("", tempPrefix(tag)+"bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	binDir = dir

	// Ctrl-C or a SIGTERM from the runner still tears the lab down.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		teardownShared()
		netlab.CleanTag(tag)
		fmt.Fprintf(os.Stderr, "e2e: %v: lab torn down\n", s)
		os.Exit(2)
	}()

	code := m.Run()
	if err := teardownShared(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: teardown:", err)
		code = 1
	}
	if err := netlab.CleanTag(tag); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cleanup:", err)
		code = 1
	}
	return code
}

// tempPrefix names the temporary directories of a run, so that a later
// run can remove them if this one crashes.
func tempPrefix(tag string) string { return "govs-e2e-" + tag + "-" }

func removeTempDirs(tag string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix(tag)+"*"))
	for _, d := range dirs {
		os.RemoveAll(d)
	}
}

// build compiles govsd and govsctl from the module root (the parent of e2e).
func build(dir string) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root := filepath.Dir(wd)
	for _, cmd := range []string{"govsd", "govsctl"} {
		c := exec.Command("go", "build", "-o", filepath.Join(dir, cmd), "./cmd/"+cmd)
		c.Dir = root
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/%s: %v\n%s", cmd, err, out)
		}
	}
	return nil
}

// requireEnv skips (off CI) or fails (CI=true) t when root, ip or
// hugepages are missing.
func requireEnv(t *testing.T) {
	t.Helper()
	netlabtest.Missing(t, envIssue)
	if binDir == "" {
		t.Fatal("govsd was not built (see TestMain output)")
	}
}

func bin(name string) string { return filepath.Join(binDir, name) }
