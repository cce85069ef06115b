package e2e

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// keepalivedPeer is keepalived as the other router of a VRRP test: one
// vrrp_instance, state BACKUP, holding VIP/24 on Iface while MASTER.
type keepalivedPeer struct {
	Instance string // vrrp_instance name
	Iface    string
	VRID     int
	Priority int
	Version  int // 2 or 3
	Interval time.Duration
	VIP      string
	AuthPass string // v2 only; "" for none
}

func (p keepalivedPeer) conf() string {
	auth := ""
	if p.AuthPass != "" {
		auth = fmt.Sprintf("  authentication {\n    auth_type PASS\n    auth_pass %s\n  }\n", p.AuthPass)
	}
	return fmt.Sprintf(`global_defs {
  router_id govs-e2e
  vrrp_version %d
}
vrrp_instance %s {
  state BACKUP
  interface %s
  virtual_router_id %d
  priority %d
  advert_int %s
%s  virtual_ipaddress {
    %s/24 dev %s
  }
}
`, p.Version, p.Instance, p.Iface, p.VRID, p.Priority, strconv.FormatFloat(p.Interval.Seconds(), 'f', -1, 64), auth, p.VIP, p.Iface)
}

// start runs it in ns until t ends; its log is shown if t failed.
func (p keepalivedPeer) start(t *testing.T, ns *netlab.NS) *netlab.Keepalived {
	t.Helper()
	k, err := netlab.StartKeepalived(ns, t.TempDir(), p.conf(), 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.Close()
		if t.Failed() {
			t.Logf("keepalived's log:\n%s", k.Log())
		}
	})
	return k
}
