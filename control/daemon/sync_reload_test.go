package daemon

import (
	"testing"

	"github.com/govs-project/govs/control/config"
)

func TestSyncReloadRules(t *testing.T) {
	base := config.DefaultSync()
	base.Port, base.VRRPInstance, base.AuthKey = "wan", "VI_1", config.SyncKey("0123456789abcdef")
	cases := []struct {
		name   string
		edit   func(*config.Sync)
		refuse bool
	}{
		{"nothing", func(*config.Sync) {}, false},
		{"threshold and period", func(s *config.Sync) { s.Threshold, s.Period = 1, 10 }, false},
		{"key of the same length", func(s *config.Sync) { s.AuthKey = config.SyncKey("fedcba9876543210") }, true},
		{"port", func(s *config.Sync) { s.Port = "lan" }, true},
		{"turned off", func(s *config.Sync) { *s = config.Sync{} }, true},
		{"rate", func(s *config.Sync) { s.MaxRate++ }, true},
	}
	for _, c := range cases {
		next := base
		next.AuthKey = append(config.SyncKey(nil), base.AuthKey...)
		c.edit(&next)
		if err := syncUnchanged(base, next); (err != nil) != c.refuse {
			t.Errorf("%s: %v, want refused %v", c.name, err, c.refuse)
		}
	}
}
