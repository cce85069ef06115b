package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govs-project/govs/control/config"
)

// TestRuntimeOverrideDrain: `govsctl server drain` takes a server out of
// scheduling without a reload: new connections avoid it while an
// established one goes on, answered by it; `ready` brings it back. Then
// maintenance wins over the server's passing health check. The health
// setup's govsd keeps overrides in the default state file, so the test
// clears them, and removes the file if it made it.
func TestRuntimeOverrideDrain(t *testing.T) {
	env := healthLab(t)
	env.requireHealthy(t)
	_, fileErr := os.Stat(config.DefaultStateFile)
	_, dirErr := os.Stat(filepath.Dir(config.DefaultStateFile))
	t.Cleanup(func() {
		govsctl(t, env.d, "overrides", "clear")
		if errors.Is(fileErr, os.ErrNotExist) {
			os.Remove(config.DefaultStateFile)
		}
		if errors.Is(dirErr, os.ErrNotExist) {
			os.Remove(filepath.Dir(config.DefaultStateFile)) // only if empty
		}
	})
	heldAddr := fmt.Sprintf("%s:7000", vip)
	held := openOnEvery(t, env, heldAddr)
	victim := env.realServers()[1]
	server := fmt.Sprintf("%s:%d", victim.IP, rsEchoPort)

	govsctl(t, env.d, "server", "drain", "held", server)
	if line := listLine(t, env.d, "TCP  "+heldAddr+" ", server); !strings.Contains(line, "[drain]") || strings.Fields(line)[3] != "0" {
		t.Errorf("govsctl list shows the drained %s as %q, want weight 0 and [drain]", server, line)
	}
	for i := range 3 {
		held[victim.Ident].say(fmt.Sprintf("drained-%d", i))
	}
	avoids := func(what string) {
		t.Helper()
		for i := range 6 {
			s := openLineSession(t, env.lab.Client, heldAddr)
			if s.server == victim.Ident {
				t.Errorf("%s: new connection %d answered by %s", what, i, victim.Ident)
			}
			s.lc.Close()
		}
	}
	avoids("drained")

	govsctl(t, env.d, "server", "ready", "held", server)
	reached := false
	for range 6 {
		s := openLineSession(t, env.lab.Client, heldAddr)
		reached = reached || s.server == victim.Ident
		s.lc.Close()
	}
	if !reached {
		t.Errorf("after ready, 6 new connections (rr over 3 servers) never reached %s", victim.Ident)
	}

	// Maintenance beats the check's "up": the listing shows both.
	govsctl(t, env.d, "server", "maint", "held", server)
	if line := listLine(t, env.d, "TCP  "+heldAddr+" ", server); !strings.Contains(line, "up") || !strings.Contains(line, "[maint]") {
		t.Errorf("govsctl list shows %s in maintenance as %q, want up and [maint]", server, line)
	}
	held[victim.Ident].say("in-maintenance")
	avoids("in maintenance")
	if out := govsctl(t, env.d, "overrides"); !strings.Contains(out, "tcp/"+heldAddr) || !strings.Contains(out, "maint") {
		t.Errorf("govsctl overrides:\n%s\nwant the maintenance of %s", out, server)
	}
}
