package config

import (
	"slices"
	"strings"
	"testing"
)

// scheduler_flags and mh_table_size: accepted for their scheduler only,
// each error at its own field path.
func TestSchedulerOptions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sets  []set
		flags []string
		size  uint32
		err   string // "" when valid
	}{
		{"sh flags", []set{{"services[0].scheduler", "sh"}, {"services[0].scheduler_flags", []any{"sh-fallback", "sh-port"}}},
			[]string{"sh-fallback", "sh-port"}, 0, ""},
		{"mh flags and size", []set{{"services[0].scheduler", "mh"}, {"services[0].scheduler_flags", []any{"mh-port"}}, {"services[0].mh_table_size", 4093}},
			[]string{"mh-port"}, 4093, ""},
		{"mh flag on sh", []set{{"services[0].scheduler", "sh"}, {"services[0].scheduler_flags", []any{"sh-port", "mh-port"}}},
			nil, 0, `services[0].scheduler_flags[1]: flag "mh-port" is not one of scheduler sh's (sh-fallback, sh-port)`},
		{"flag on the default wlc", []set{{"services[0].scheduler_flags", []any{"sh-port"}}},
			nil, 0, `services[0].scheduler_flags[0]: flag "sh-port": scheduler wlc takes no flags`},
		{"not a prime", []set{{"services[0].scheduler", "mh"}, {"services[0].mh_table_size", 1000}},
			nil, 0, "services[0].mh_table_size: mh table size 1000 is none of 251, 509, 1021"},
		{"size without mh", []set{{"services[0].mh_table_size", 251}},
			nil, 0, "services[0].mh_table_size: a table size is for scheduler mh only, not wlc"},
		{"flags not a list", []set{{"services[0].scheduler", "sh"}, {"services[0].scheduler_flags", "sh-port"}},
			nil, 0, "services[0].scheduler_flags"},
	} {
		c, err := parseWith(t, tc.sets...)
		if tc.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			if s := c.Services[0]; !slices.Equal(s.SchedulerFlags, tc.flags) || s.MHTableSize != tc.size {
				t.Errorf("%s: flags %v size %d", tc.name, s.SchedulerFlags, s.MHTableSize)
			}
			continue
		}
		if err == nil || !hasLine(err.Error(), tc.err) && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.err)
		}
	}
}
