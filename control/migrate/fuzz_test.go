package migrate

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/govs-project/govs/control/config"
)

// checkConversion fails the test on an error that is no *SyntaxError, or
// on output that does not read back as YAML: control/config answers a
// YAML problem with a plain error and a field problem with a
// *config.Error.
func checkConversion(t *testing.T) func(*Result, error) {
	return func(r *Result, err error) {
		var se *SyntaxError
		if err != nil {
			if !errors.As(err, &se) {
				t.Fatalf("error that is no SyntaxError: %v", err)
			}
			return
		}
		reparses(t, r.YAML)
	}
}

func reparses(t *testing.T, out []byte) {
	_, err := config.Parse(out)
	var cerr *config.Error
	if err != nil && !errors.As(err, &cerr) {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
}

func addSeeds(f *testing.F, pattern string) {
	names, _ := filepath.Glob(pattern)
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func FuzzKeepalived(f *testing.F) {
	addSeeds(f, "testdata/keepalived/*.conf")
	addSeeds(f, "testdata/keepalived/conf.d/*.conf")
	f.Fuzz(func(t *testing.T, data []byte) {
		checkConversion(t)(ConvertKeepalived("fuzz.conf", data, nil))
	})
}

func FuzzIpvsadm(f *testing.F) {
	addSeeds(f, "testdata/ipvsadm/*.rules")
	f.Fuzz(func(t *testing.T, data []byte) {
		checkConversion(t)(ConvertIpvsadm("fuzz.rules", data))
	})
}
