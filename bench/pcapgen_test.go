package main

import (
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

type decoded struct {
	src, dst         netip.Addr
	srcPort, dstPort uint16
	syn, ack         bool
	srcMAC           [6]byte
}

// readPcap decodes every frame of path with gopacket, checking lengths and
// both checksums.
func readPcap(t *testing.T, path string) []decoded {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := newPcapReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []decoded
	for {
		data, wire, err := r.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != frameLen || wire != frameLen {
			t.Fatalf("frame %d: %d bytes (wire %d), want %d", len(out), len(data), wire, frameLen)
		}
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if eth == nil || ip == nil || tcp == nil {
			t.Fatalf("frame %d does not decode as Ethernet/IPv4/TCP: %v", len(out), p)
		}
		if len(tcp.Payload) != payloadLen || ip.Length != ipLen+tcpLen+payloadLen {
			t.Fatalf("frame %d: IP length %d, payload %d", len(out), ip.Length, len(tcp.Payload))
		}
		// A header with a correct checksum sums to 0xffff.
		if fold(sum16(data[ethLen:ethLen+ipLen], 0)) != 0xffff {
			t.Fatalf("frame %d: bad IPv4 checksum", len(out))
		}
		pseudo := sum16(data[ethLen+12:ethLen+20], 0) + 6 + uint32(tcpLen+payloadLen)
		if fold(sum16(data[ethLen+ipLen:], pseudo)) != 0xffff {
			t.Fatalf("frame %d: bad TCP checksum", len(out))
		}
		d := decoded{srcPort: uint16(tcp.SrcPort), dstPort: uint16(tcp.DstPort), syn: tcp.SYN, ack: tcp.ACK}
		d.src, _ = netip.AddrFromSlice(ip.SrcIP)
		d.dst, _ = netip.AddrFromSlice(ip.DstIP)
		copy(d.srcMAC[:], eth.SrcMAC)
		out = append(out, d)
	}
	return out
}

func genTemp(t *testing.T, s pcapSpec) string {
	t.Helper()
	path, err := ensurePcap(t.TempDir(), s, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(24 + s.Packets()*(16+frameLen)); st.Size() != want {
		t.Fatalf("%s: %d bytes, want %d", path, st.Size(), want)
	}
	return path
}

func TestNATInPcap(t *testing.T) {
	s := pcapSpec{Kind: kindNATIn, Flows: 2500, Rounds: 3}
	frames := readPcap(t, genTemp(t, s))
	if len(frames) != s.Packets() {
		t.Fatalf("%d frames, want %d", len(frames), s.Packets())
	}
	seen := map[netip.AddrPort]bool{}
	for i, d := range frames {
		flow := i % s.Flows
		cip, cport := client(flow)
		if d.src != addrOf(cip) || d.srcPort != cport || d.dst != vipIP || d.dstPort != vipPort {
			t.Fatalf("frame %d: %v:%d -> %v:%d, want flow %d to the VIP", i, d.src, d.srcPort, d.dst, d.dstPort, flow)
		}
		if portAddr.Contains(d.src) {
			t.Fatalf("frame %d: client %v inside the port's subnet", i, d.src)
		}
		if syn := i < s.Flows; d.syn != syn || d.ack == syn {
			t.Fatalf("frame %d: syn=%v ack=%v", i, d.syn, d.ack)
		}
		seen[netip.AddrPortFrom(d.src, d.srcPort)] = true
	}
	if len(seen) != s.Flows {
		t.Fatalf("%d distinct flows, want %d", len(seen), s.Flows)
	}
}

func TestNATOutPcap(t *testing.T) {
	s := pcapSpec{Kind: kindNATOut, Flows: 1001, Rounds: 2}
	frames := readPcap(t, genTemp(t, s))
	if len(frames) != s.Packets() {
		t.Fatalf("%d frames, want %d", len(frames), s.Packets())
	}
	for i, d := range frames {
		flow := i % s.Flows
		cip, cport := client(flow)
		if i < s.Flows {
			if !d.syn || d.src != addrOf(cip) || d.dst != vipIP {
				t.Fatalf("frame %d: want the SYN of flow %d", i, flow)
			}
			continue
		}
		rs := flow % numRS // rr in SYN order
		if d.syn || d.src != addrOf(rsIP(rs)) || d.srcPort != natRSPort || d.dst != addrOf(cip) || d.dstPort != cport {
			t.Fatalf("frame %d: %v:%d -> %v:%d syn=%v, want reply of flow %d from rs %d", i, d.src, d.srcPort, d.dst, d.dstPort, d.syn, flow, rs)
		}
		if d.srcMAC != rsMAC(rs) {
			t.Fatalf("frame %d: source MAC %x, want rs %d's", i, d.srcMAC, rs)
		}
	}
}

func TestSYNPcap(t *testing.T) {
	s := pcapSpec{Kind: kindSYN, Flows: 3000}
	frames := readPcap(t, genTemp(t, s))
	seen := map[netip.AddrPort]bool{}
	for i, d := range frames {
		if !d.syn || d.ack || d.dst != vipIP {
			t.Fatalf("frame %d is not a SYN to the VIP", i)
		}
		seen[netip.AddrPortFrom(d.src, d.srcPort)] = true
	}
	if len(frames) != s.Flows || len(seen) != s.Flows {
		t.Fatalf("%d frames, %d distinct flows, want %d", len(frames), len(seen), s.Flows)
	}
	if s.SYNShare() != 1 {
		t.Fatalf("SYN share %v", s.SYNShare())
	}
}

func TestClientsDistinctAtScale(t *testing.T) {
	const n = 2 << 20
	seen := make(map[uint64]struct{}, n)
	for i := range n {
		ip, port := client(i)
		seen[uint64(ip)<<16|uint64(port)] = struct{}{}
		if a := addrOf(ip); portAddr.Contains(a) || !netip.MustParsePrefix("172.16.0.0/12").Contains(a) {
			t.Fatalf("flow %d: client %v", i, a)
		}
	}
	if len(seen) != n {
		t.Fatalf("%d distinct clients, want %d", len(seen), n)
	}
}

func TestEnsurePcapReusesCache(t *testing.T) {
	dir := t.TempDir()
	s := pcapSpec{Kind: kindSYN, Flows: 10}
	p1, err := ensurePcap(dir, s, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(p1)
	p2, err := ensurePcap(dir, s, func(string, ...any) { t.Fatal("regenerated a cached file") })
	if err != nil || p1 != p2 {
		t.Fatal(p2, err)
	}
	st2, _ := os.Stat(p2)
	if !st1.ModTime().Equal(st2.ModTime()) {
		t.Fatal("file rewritten")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(m) != 0 {
		t.Fatalf("temporary files left: %v", m)
	}
}

// TestLibpcapReadsIt checks the file with libpcap itself (tcpdump), which is
// what net_pcap uses.
func TestLibpcapReadsIt(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump not installed")
	}
	s := pcapSpec{Kind: kindNATIn, Flows: 3, Rounds: 1}
	out, err := exec.Command("tcpdump", "-nn", "-r", genTemp(t, s)).CombinedOutput()
	if err != nil {
		t.Fatalf("tcpdump: %v\n%s", err, out)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, " IP ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != s.Packets() {
		t.Fatalf("tcpdump saw %d IP frames, want %d:\n%s", len(lines), s.Packets(), out)
	}
	if want := "172.16.0.1.20000 > 10.0.0.100.80: Flags [S]"; !strings.Contains(lines[0], want) {
		t.Fatalf("first frame %q, want %q", lines[0], want)
	}
	if want := "Flags [P.]"; !strings.Contains(lines[3], want) || !strings.Contains(lines[3], "length 10") {
		t.Fatalf("fourth frame %q, want an ACK with 10 bytes", lines[3])
	}
}

func TestPruneCache(t *testing.T) {
	dir := t.TempDir()
	keep := pcapSpec{Kind: kindSYN, Flows: 10}
	stale := pcapSpec{Kind: kindSYN, Flows: 20}
	for _, s := range []pcapSpec{keep, stale} {
		if _, err := ensurePcap(dir, s, t.Logf); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(dir, "not-ours.pcap")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	pruneCache(dir, []pcapSpec{keep}, t.Logf)
	if _, err := os.Stat(filepath.Join(dir, keep.fileName())); err != nil {
		t.Errorf("kept file removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, stale.fileName())); err == nil {
		t.Error("stale file kept")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("a file that is not ours was removed")
	}
}
