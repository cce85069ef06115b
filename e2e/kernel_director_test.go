package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// directorPort is where a listener inside the director's namespace waits
// for the client, on the WAN port's address.
const directorPort = 2222

// TestKernelDirectorReachable: the director's WAN port address answers
// ping and accepts a TCP connection (to a listener in govsd's namespace)
// from the client, through the port's kernel interface: its counters move
// by at least those packets, and the lcores answer no echo themselves
// (with a kernel interface, the kernel answers ping on the port address).
func TestKernelDirectorReachable(t *testing.T) {
	env := healthLab(t)
	st0 := status(t, env.d)
	stats0, err := env.d.admin.Stats()
	if err != nil {
		t.Fatal(err)
	}

	const pings = 3
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := env.lab.Client.CommandContext(ctx, "ping", "-n", "-c", fmt.Sprint(pings), "-i", "0.2", "-W", "2", wanAddr).CombinedOutput()
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("%d received", pings)) {
		t.Errorf("ping %s from the client: %v\n%s", wanAddr, err, out)
	}

	stop, err := netlab.ServeTCPEchoIdent(env.lab.Director, fmt.Sprintf("%s:%d", wanAddr, directorPort), "director")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	lc, err := netlab.DialLine(env.lab.Client, fmt.Sprintf("%s:%d", wanAddr, directorPort), 5*time.Second)
	if err != nil {
		t.Fatalf("TCP connection from the client to %s:%d in the director's namespace: %v", wanAddr, directorPort, err)
	}
	for _, line := range []string{"one", "two"} {
		if got := exchange(t, lc, line); got != "director:"+line {
			t.Errorf("line %q answered %q, want director:%s", line, got, line)
		}
	}
	lc.Close()

	st1 := status(t, env.d)
	stats1, err := env.d.admin.Stats()
	if err != nil {
		t.Fatal(err)
	}
	k0, ok := kernelOf(t, st0, "wan")
	var k1 admin.KernelInterface
	if ok {
		k1, ok = kernelOf(t, st1, "wan")
	}
	if ok {
		to, from := k1.ToKernel.Packets-k0.ToKernel.Packets, k1.FromKernel.Packets-k0.FromKernel.Packets
		t.Logf("%s: %d packets to the kernel, %d from it (%d pings; TCP: SYN, ACK, 2 lines and their answers)", k1.Name, to, from, pings)
		// In: the echo requests, then SYN, ACK and two lines. Out: the
		// echo replies, then SYN-ACK and two answers.
		if to < pings+4 || from < pings+3 {
			t.Errorf("the WAN kernel interface's counters moved by %d in, %d out; want at least %d and %d", to, from, pings+4, pings+3)
		}
		if k1.Name != "govs-wan" {
			t.Errorf("WAN kernel interface named %q, want the default govs-wan", k1.Name)
		}
	}
	var answered0, answered1 uint64
	for _, l := range stats0.Lcores {
		answered0 += l.Answered
	}
	for _, l := range stats1.Lcores {
		answered1 += l.Answered
	}
	if answered1 != answered0 {
		t.Errorf("the lcores answered %d packets themselves while the kernel interface should have had the pings", answered1-answered0)
	}
}
