package config

import (
	"strings"
	"testing"
)

func TestAdminStateFile(t *testing.T) {
	with := func(admin string) string {
		return strings.Replace(baseJSON, `"services": [`, `"admin": `+admin+`, "services": [`, 1)
	}
	for _, tc := range []struct {
		admin, want, err string
	}{
		{`{}`, DefaultStateFile, ""},
		{`{"state_file": "/tmp/govs/state.json"}`, "/tmp/govs/state.json", ""},
		{`{"state_file": "state.json"}`, "", `admin.state_file: "state.json" must be an absolute file path`},
		{`{"state_file": "/var/lib/govs/"}`, "", "admin.state_file"},
		{`{"state_file": 3}`, "", "admin.state_file"},
	} {
		c, err := Parse([]byte(with(tc.admin)))
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.admin, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.admin, err)
		case c.Admin.StatePath() != tc.want:
			t.Errorf("%s: state file %q, want %q", tc.admin, c.Admin.StatePath(), tc.want)
		}
	}
}
