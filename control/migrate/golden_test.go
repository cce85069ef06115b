package migrate

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govs-project/govs/control/config"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden and *.warnings from the current output")

// goldenCase is one input file; ports names the ports fixture that makes
// its output a whole configuration govs loads ("" for files using what
// govs does not run yet).
type goldenCase struct {
	input string
	ports string
}

var goldenCases = []goldenCase{
	{"testdata/keepalived/nat-web.conf", "testdata/ports/two-arm.yaml"},
	{"testdata/keepalived/dr-dns.conf", "testdata/ports/two-arm.yaml"},
	{"testdata/keepalived/included.conf", "testdata/ports/two-arm.yaml"},
	{"testdata/keepalived/vrrp.conf", "testdata/ports/vrrp.yaml"},
	{"testdata/keepalived/persistent.conf", ""},
	{"testdata/ipvsadm/nat-web.rules", "testdata/ports/two-arm.yaml"},
	{"testdata/ipvsadm/persistent.rules", ""},
}

func convertFile(t *testing.T, path string) *Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r *Result
	if strings.HasSuffix(path, ".rules") {
		r, err = ConvertIpvsadm(path, data)
	} else {
		r, err = ConvertKeepalived(path, data, OSFiles{})
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

// nysPrefix marks the warnings that depend on what govs implements today;
// the golden warnings leave them out, TestNotYetSupported checks them.
const nysPrefix = "not yet supported by govs"

func stableWarnings(r *Result) string {
	var b strings.Builder
	for _, w := range r.Warnings {
		if !strings.HasPrefix(w.Msg, nysPrefix) {
			b.WriteString(w.String() + "\n")
		}
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(filepath.Base(tc.input), func(t *testing.T) {
			r := convertFile(t, tc.input)
			base := strings.TrimSuffix(tc.input, filepath.Ext(tc.input))
			compareGolden(t, base+".golden", string(r.YAML))
			compareGolden(t, base+".warnings", stableWarnings(r))
		})
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// TestLoadsWithPorts: the output of a file that uses only what govs runs,
// with a ports section, is a configuration control/config accepts, and
// no warning claims otherwise.
func TestLoadsWithPorts(t *testing.T) {
	for _, tc := range goldenCases {
		if tc.ports == "" {
			continue
		}
		t.Run(filepath.Base(tc.input), func(t *testing.T) {
			r := convertFile(t, tc.input)
			ports, err := os.ReadFile(tc.ports)
			if err != nil {
				t.Fatal(err)
			}
			doc := append(append(ports, '\n'), r.YAML...)
			c, err := config.Parse(doc)
			if err != nil {
				t.Fatalf("config.Parse: %v\n%s", err, doc)
			}
			if len(c.Services) == 0 && len(c.VRRP.Instances) == 0 {
				t.Fatal("nothing converted")
			}
			for _, w := range r.Warnings {
				if strings.HasPrefix(w.Msg, nysPrefix) {
					t.Errorf("warning for a configuration govs loads: %s", w)
				}
			}
		})
	}
}

// TestNotYetSupported: each key issue 11 adds is reported exactly when
// control/config, today, refuses it, judged by a configuration written by
// hand rather than by the converter.
func TestNotYetSupported(t *testing.T) {
	const base = `
eal: {lcores: "0-1"}
ports: [{name: wan, device: net_null0, address: 10.0.0.1/24}]
services:
  - vip: 10.0.0.100
    protocol: %PROTO%
    port: 443
    %SVC%
    real_servers:
      - address: 10.0.0.31
        method: dr
        %RS%
`
	accepts := func(proto, svc, rs string) bool {
		doc := strings.NewReplacer("%PROTO%", proto, "%SVC%", svc, "%RS%", rs).Replace(base)
		_, err := config.Parse([]byte(doc))
		var cerr *config.Error
		if err != nil && !errors.As(err, &cerr) {
			t.Fatalf("probe is not YAML: %v", err)
		}
		return err == nil
	}
	for _, tc := range []struct {
		file, directive string
		line            int
		supported       bool
	}{
		{"testdata/keepalived/persistent.conf", "persistence_timeout", 7, accepts("tcp", "persistence_timeout: 1800s", "")},
		{"testdata/keepalived/persistent.conf", "persistence_granularity", 8, accepts("tcp", "persistence_timeout: 1800s\n    persistence_granularity: 255.255.255.0", "")},
		{"testdata/keepalived/persistent.conf", "uthreshold", 12, accepts("tcp", "", "upper_threshold: 5000\n        lower_threshold: 4000")},
		{"testdata/keepalived/persistent.conf", "lthreshold", 13, accepts("tcp", "", "upper_threshold: 5000\n        lower_threshold: 4000")},
		{"testdata/keepalived/persistent.conf", "ops", 42, accepts("udp", "one_packet: true", "")},
		{"testdata/ipvsadm/persistent.rules", "-p", 1, accepts("tcp", "persistence_timeout: 1800s", "")},
		{"testdata/ipvsadm/persistent.rules", "-x", 2, accepts("tcp", "", "upper_threshold: 5000\n        lower_threshold: 4000")},
		{"testdata/ipvsadm/persistent.rules", "-o", 6, accepts("udp", "one_packet: true", "")},
	} {
		r := convertFile(t, tc.file)
		found := false
		for _, w := range r.Warnings {
			if w.Line == tc.line && w.Directive == tc.directive && strings.HasPrefix(w.Msg, nysPrefix) {
				found = true
			}
		}
		if found == tc.supported {
			t.Errorf("%s:%d %s: govs accepts it: %v, reported as not yet supported: %v", tc.file, tc.line, tc.directive, tc.supported, found)
		}
	}
}
