package e2e

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/internal/netlab"
)

// TestAdvNATRSTOutOfWindow: a blind RST (RFC 5961's attacker) whose
// sequence number is far from the one the client's connection last
// carried is dropped as rst_out_of_window and never reaches the server,
// and the director keeps the connection: with tcp_close at 1 s, a
// connection the RST had closed would be gone 2 s later; this one still
// works. An RST at the right sequence number is relayed (and ends its
// own connection).
func TestAdvNATRSTOutOfWindow(t *testing.T) {
	env, s := natSite(t)
	t.Cleanup(func() { env.restoreBase(t) })
	if _, err := env.d.reload(withExtraYAML(env.base, "timeouts: {tcp_close: 1s}"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("%s:%d", vip, rsEchoPort)
	sess, victim := openLineSession(t, env.lab.Client, addr), openLineSession(t, env.lab.Client, addr)
	seq, cport := nextClientSeq(t, s, sess), localPort(sess)
	vseq, vport := nextClientSeq(t, s, victim), localPort(victim)
	rst := func(port uint16, flags string, seq uint32) []byte {
		return serialize(t, s.fromClient(), ip4(clientIP, vip, layers.IPProtocolTCP), tcpSeg(port, rsEchoPort, flags, seq))
	}
	blind := []uint32{seq + 0x40000000, seq ^ 0x80000000, seq - 0x30000000, seq + 0x00030000}

	a := s.attack(t, "out-of-window RSTs")
	for i, q := range blind {
		a.client(rst(cport, []string{"R", "RA"}[i%2], q))
	}
	a.client(rst(vport, "R", vseq))
	a.settle()
	a.wantDrop("rst_out_of_window", len(blind))
	isRST := func(f netlab.Frame) bool {
		return f.Proto == netlab.ProtoTCP && f.TCPFlags != "" && f.TCPFlags[0] == 'R'
	}
	a.noneAtServers(fmt.Sprintf("an out-of-window RST (next sequence number %#x)", seq), allOf(isRST, portsIn(cport, 1)))
	if got := a.atServers(byDirector(s.lanMAC, allOf(isRST, portsIn(vport, 1)))); len(got) != 1 {
		t.Errorf("the in-window RST (seq %#x) of client port %d reached the servers %d times, want once", vseq, vport, len(got))
	}

	sess.say("after-rst")
	time.Sleep(2 * time.Second) // twice tcp_close
	sess.say("two-seconds-later")
}

func localPort(s *lineSession) uint16 { return uint16(s.lc.LocalAddr().(*net.TCPAddr).Port) }

// nextClientSeq is the sequence number the client's next segment on s
// carries: one exchange is watched on the client's link and its last
// segment read (data or ACK).
func nextClientSeq(t *testing.T, site *advSite, s *lineSession) uint32 {
	t.Helper()
	c, err := netlab.StartRawCapture(site.client, site.clientIf)
	if err != nil {
		t.Fatal(err)
	}
	s.say("seq?")
	time.Sleep(50 * time.Millisecond) // the client's ACK of the answer
	frames, err := c.Drain()
	if err != nil {
		t.Fatal(err)
	}
	port := localPort(s)
	var next uint32
	found := false
	for _, f := range frames {
		p := gopacket.NewPacket(f.Data, layers.LayerTypeEthernet, gopacket.Default)
		tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !f.Outgoing || !ok || uint16(tcp.SrcPort) != port {
			continue
		}
		next, found = tcp.Seq+uint32(len(tcp.Payload)), true
	}
	if !found {
		t.Fatalf("no segment of client port %d among the %d frames on the client's link", port, len(frames))
	}
	return next
}
