package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckConfig(t *testing.T) {
	example, err := os.ReadFile("../../configs/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		yaml     string
		rc       int
		want     []string // in the output, in this order
		wantNone string   // not in it
	}{
		{"example", string(example), 0, []string{"configuration valid", "2 services"}, "invalid"},
		{"two errors, each with its path", strings.Replace(strings.Replace(string(example),
			"scheduler: wrr", "scheduler: bogus", 1), "vrid: 51", "vrid: 300", 1), 1,
			[]string{"configuration invalid", `scheduler: unknown scheduler "bogus"`, "vrid"}, "configuration valid"},
		{"not YAML", "ports: [", 1, []string{"configuration invalid"}, "configuration valid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "govsd.yaml")
			if err := os.WriteFile(path, []byte(c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			rc := checkConfig(&out, &errOut, path)
			all := out.String() + errOut.String()
			if rc != c.rc {
				t.Fatalf("checkConfig = %d, want %d; output:\n%s", rc, c.rc, all)
			}
			rest := all
			for _, w := range c.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (after the earlier ones):\n%s", w, all)
				}
				rest = rest[i+len(w):]
			}
			if strings.Contains(all, c.wantNone) {
				t.Errorf("output has %q:\n%s", c.wantNone, all)
			}
		})
	}
}

func TestVersionNamesTheCommit(t *testing.T) {
	old := commit
	defer func() { commit = old }()
	commit = "0123456789abcdef"
	v := version()
	if !strings.HasPrefix(v, "govsd ") || !strings.Contains(v, "0123456789ab") || strings.Contains(v, "0123456789abc") {
		t.Errorf("version() = %q, want govsd ... with the commit cut to 12 characters", v)
	}
}
