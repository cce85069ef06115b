package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestNATConnListing: govsctl conns (ipvsadm -Lnc) shows a long-lived
// connection as ESTABLISHED, from its client address and port to the real
// server that answers it, and its filters keep it or leave it out.
func TestNATConnListing(t *testing.T) {
	env := natLab(t)
	echoAddr := fmt.Sprintf("%s:%d", vip, rsEchoPort)
	s := openLineSession(t, env.lab.Client, echoAddr)
	s.say("listed")
	local := s.lc.LocalAddr().String()
	server := ""
	for _, rs := range env.lab.Servers {
		if rs.Ident == s.server {
			server = fmt.Sprintf("%s:%d", rs.IP, rsEchoPort)
		}
	}
	if server == "" {
		t.Fatalf("no lab server is %q", s.server)
	}
	out := govsctl(t, env.d, "conns", "-vip", echoAddr, "-state", "established")
	if !strings.HasPrefix(out, "IPVS connection entries\n") {
		t.Fatalf("govsctl conns does not start with ipvsadm's heading:\n%s", out)
	}
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, local) {
			line = l
		}
	}
	f := strings.Fields(line)
	if len(f) != 6 || f[0] != "TCP" || f[2] != "ESTABLISHED" || f[3] != local || f[4] != echoAddr || f[5] != server {
		t.Fatalf("the connection from %s to %s (answered by %s): line %q, want TCP EXPIRE ESTABLISHED %s %s %s; listing:\n%s",
			local, echoAddr, server, line, local, echoAddr, server, out)
	}
	if out := govsctl(t, env.d, "conns", "-n", "1"); strings.Count(out, "\n") != 3 {
		t.Errorf("govsctl conns -n 1: want the heading and one connection:\n%s", out)
	}
	host, _, _ := strings.Cut(local, ":")
	for _, args := range [][]string{
		{"-state", "TIME_WAIT"},
		{"-server", vip},
		{"-client", "192.0.2.0/24"},
		{"-proto", "udp"},
	} {
		if out := govsctl(t, env.d, append([]string{"conns"}, args...)...); strings.Contains(out, local) {
			t.Errorf("govsctl conns %v lists the ESTABLISHED TCP connection from %s:\n%s", args, local, out)
		}
	}
	if out := govsctl(t, env.d, "conns", "-client", host, "-server", server, "-page", "1", "-json"); !strings.Contains(out, `"client":"`+local+`"`) {
		t.Errorf("govsctl conns -json with client and server filters, one per page, lacks %s:\n%s", local, out)
	}
}

// TestNATSaveRules: govsctl save prints the running services as ipvsadm
// -Sn rules: the echo service and each of its NAT real servers.
func TestNATSaveRules(t *testing.T) {
	env := natLab(t)
	out := govsctl(t, env.d, "save")
	echoAddr := fmt.Sprintf("%s:%d", vip, rsEchoPort)
	if !strings.Contains(out, "-A -t "+echoAddr+" -s ") {
		t.Errorf("govsctl save lacks the -A line of %s:\n%s", echoAddr, out)
	}
	for _, rs := range env.lab.Servers {
		if want := fmt.Sprintf("-a -t %s -r %s:%d -m -w ", echoAddr, rs.IP, rsEchoPort); !strings.Contains(out, want) {
			t.Errorf("govsctl save lacks %q:\n%s", want, out)
		}
	}
	out = govsctl(t, env.d, "save", "-format", "yaml")
	for _, want := range []string{"services:\n", fmt.Sprintf("    port: %d\n", rsEchoPort), fmt.Sprintf("{address: %s, port: %d, weight: 1, method: nat}", env.lab.Servers[0].IP, rsEchoPort)} {
		if !strings.Contains(out, want) {
			t.Errorf("govsctl save -format yaml lacks %q:\n%s", want, out)
		}
	}
}
