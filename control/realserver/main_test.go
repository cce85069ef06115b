package realserver

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/govs-project/govs/internal/netlab"
)

// The namespace tests run the real govsctl, built once here, as the e2e
// tests and users do: ip netns exec NS govsctl realserver ...
var (
	tag      string // netlab run tag, prefix of our namespaces
	govsctl  string // built binary, "" if not built
	buildErr error
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	flag.Parse()
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		return m.Run()
	}
	if netlab.MissingRoot() != "" {
		return m.Run() // the namespace tests skip (or fail on CI) by themselves
	}
	tag = netlab.RunTag()
	_, done, err := netlab.StartRun(tag, func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) })
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer done()

	dir, err := os.MkdirTemp("", "govs-realserver-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "govsctl")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/govs-project/govs/cmd/govsctl").CombinedOutput()
	if err != nil {
		buildErr = fmt.Errorf("go build ./cmd/govsctl: %v\n%s", err, out)
	} else {
		govsctl = bin
	}
	return m.Run()
}
