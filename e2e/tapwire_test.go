package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/internal/netlab/netlabtest"
)

// TestTapWireWithTestpmd checks the lab mechanics without govsd: DPDK's own
// testpmd, started in the lab's director namespace, forwards between two
// net_tap ports like a wire, the taps are moved into the lab exactly as for
// govsd, and HTTP, UDP and a long-lived TCP connection cross it. When the
// NAT tests fail and this passes, look at govsd rather than at the lab.
func TestTapWireWithTestpmd(t *testing.T) {
	requireEnv(t)
	testpmd, err := exec.LookPath("dpdk-testpmd")
	if err != nil {
		netlabtest.Missing(t, "dpdk-testpmd not on PATH (Debian package dpdk; scripts/deps.sh installs it)")
	}
	prefix := tag + "t"
	wan, lan := prefix+"w", prefix+"l"
	cidrs := []string{"10.1.0.11/24", "10.1.0.12/24", "10.1.0.13/24"}
	lab, err := netlab.NewNATLab(netlab.NATSpec{
		Prefix:      prefix,
		ClientCIDR:  "10.1.0.2/24", // same subnet: testpmd is a wire, not a router
		ServerCIDRs: cidrs,
		HTTPPort:    rsHTTPPort, EchoPort: rsEchoPort, UDPPort: rsUDPPort,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })

	p, err := netlab.StartProcIn(lab.Director, nil, testpmd, "-l", "0-1", "--no-pci", "--in-memory",
		"--file-prefix", prefix, "-m", "128", "--no-telemetry",
		"--vdev=net_tap0,iface="+wan, "--vdev=net_tap1,iface="+lan,
		"--", "--auto-start", "--total-num-mbufs=8192", "--stats-period", "5")
	if err != nil {
		t.Fatal(err)
	}
	// testpmd exits through rte_exit paths that leave its runtime directory.
	t.Cleanup(func() { p.Stop(5 * time.Second); os.RemoveAll(filepath.Join("/var/run/dpdk", prefix)) })
	if err := lab.AttachPorts(wan, lan, 30*time.Second); err != nil {
		t.Fatalf("%v\ntestpmd output:\n%s", err, tail(p.Output(), 4<<10))
	}

	for _, s := range lab.Servers {
		body, err := netlab.HTTPGetNewConn(lab.Client, "http://"+s.IP.String()+":8080/", 10*time.Second)
		if err != nil || body != s.Ident {
			t.Fatalf("GET %s through testpmd: %q %v\n%s", s.IP, body, err, lab.Describe())
		}
	}
	reply, peer, err := netlab.UDPRequest(lab.Client, "10.1.0.12:5353", "hi", 5*time.Second)
	if err != nil || reply != "rs2:hi" || peer.String() != "10.1.0.12:5353" {
		t.Errorf("UDP through testpmd: %q from %v: %v", reply, peer, err)
	}
	lc, err := netlab.DialLine(lab.Client, "10.1.0.13:7000", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	for _, line := range []string{"a", "b"} {
		if got := exchange(t, lc, line); got != "rs3:"+line {
			t.Errorf("line %q answered %q", line, got)
		}
	}

	// The taps die with the DPDK process, wherever they were moved to.
	p.Stop(5 * time.Second)
	if out, _ := lab.Client.IP("-br", "link"); strings.Contains(out, wan) {
		t.Errorf("tap %s still in the client namespace after testpmd exited:\n%s", wan, out)
	}
	if out, _ := lab.Switch.NS.IP("-br", "link"); strings.Contains(out, lan) {
		t.Errorf("tap %s still in the switch namespace after testpmd exited:\n%s", lan, out)
	}
}
