package slowpath

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/govs-project/govs/dataplane/packet"
)

// FuzzHandleARP feeds arbitrary frames to HandleARP on the test view, with
// one packet held for ipHost (so a reply from it releases the packet). It
// must never panic, must end every packet exactly once, and must leave the
// table and the mirror consistent and within the learning rules.
func FuzzHandleARP(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s.frame, s.inPort)
	}
	f.Fuzz(func(t *testing.T, frame []byte, inPort uint8) {
		fx := newFixture(t, Config{})
		held := fx.unresolved(portWAN, ipHost, 1)
		p := &fakePacket{frame: append([]byte(nil), frame...)}
		fx.sp.HandleARP(p, int(inPort%4), fx.now) // port 3 does not exist
		if p.sends+p.frees != 1 {
			t.Fatalf("ARP packet: %d sends, %d frees", p.sends, p.frees)
		}
		if p.sends == 1 && len(p.frame) != len(frame) {
			t.Fatal("reply changed the frame length")
		}
		if held.sends+held.frees > 1 {
			t.Fatalf("held packet: %d sends, %d frees", held.sends, held.frees)
		}
		fx.tick(0)
		checkConsistent(t, fx)
	})
}

// checkConsistent: the mirror holds exactly the resolved bindings it was
// able to take, every learned entry obeys the hygiene rules, and the hold
// accounting adds up.
func checkConsistent(t *testing.T, fx *fixture) {
	t.Helper()
	st := fx.sp.Stats()
	if fx.mirror.badDelete != 0 || st.MirrorFull != 0 {
		t.Fatalf("mirror: %d bad deletes, %d full", fx.mirror.badDelete, st.MirrorFull)
	}
	held := 0
	v := testView(0)
	for _, e := range fx.sp.Entries() {
		held += e.Held
		m, inMirror := fx.mirror.entries[e.IP]
		resolved := e.State != StateIncomplete
		if inMirror != resolved || (inMirror && (m.mac != e.MAC || m.port != e.Port)) {
			t.Fatalf("entry %+v, mirror %+v (%v)", e, m, inMirror)
		}
		if e.Wanted || e.State == StatePermanent {
			continue
		}
		p := v.Ports[e.Port]
		if e.IP&p.Mask != p.Net || e.IP == p.IP || e.IP == ipVIP || e.IP == ipLANVIP || (resolved && !usableMAC(e.MAC)) {
			t.Fatalf("learned %+v on %s", e, p.Name)
		}
	}
	if uint64(held) != st.Holding || len(fx.mirror.entries) != int(st.Entries)-countIncomplete(fx.sp.Entries()) {
		t.Fatalf("holding %d vs %d, mirror %d entries vs %+v", held, st.Holding, len(fx.mirror.entries), st)
	}
}

func countIncomplete(es []Entry) int {
	n := 0
	for _, e := range es {
		if e.State == StateIncomplete {
			n++
		}
	}
	return n
}

type fuzzSeed struct {
	name   string
	frame  []byte
	inPort uint8
}

func fuzzSeeds(t testing.TB) []fuzzSeed {
	req := func(sha [6]byte, spa, tpa uint32) []byte {
		return arpFrame(t, packet.ARPRequest, sha, spa, [6]byte{}, tpa)
	}
	reply := arpFrame(t, packet.ARPReply, macHost, ipHost, macWAN, ipWAN)
	vlan := append(append(append([]byte(nil), reply[:12]...), 0x81, 0x00, 0x00, 0x64), reply[12:]...)
	badHType := append([]byte(nil), reply...)
	badHType[15] = 6
	rarp := append([]byte(nil), reply...)
	rarp[21] = 3
	return []fuzzSeed{
		{"request-port-address", req(macHost, ipHost, ipWAN), portWAN},
		{"request-vip", req(macHost, ipHost, ipVIP), portWAN},
		{"request-other-port-vip", req(macHost, ipHost, ipLANVIP), portWAN},
		{"request-lan", req(macRS, ipRS, ipLAN), portLAN},
		{"request-for-other", req(macHost, ipHost, ipHost2), portWAN},
		{"request-dad-probe", req(macHost, 0, ipWAN), portWAN},
		{"request-multicast-sender", req([6]byte{1, 0, 0x5e, 0, 0, 1}, ipHost, ipWAN), portWAN},
		{"gratuitous", arpFrame(t, packet.ARPRequest, macHost, ipHost, packet.BroadcastMAC, ipHost), portWAN},
		{"reply-releases-held", reply, portWAN},
		{"reply-p2p", arpFrame(t, packet.ARPReply, macHost, ipP2PPeer, macP2P, ipP2P), portP2P},
		{"reply-unknown-port", reply, 3},
		{"vlan-tagged", vlan, portWAN},
		{"truncated", reply[:packet.EthHdrLen+20], portWAN},
		{"bad-htype", badHType, portWAN},
		{"rarp-op", rarp, portWAN},
		{"ipv4", ipv4Frame(0), portWAN},
	}
}

// The checked-in seeds of FuzzHandleARP; regenerate with
// GOVS_WRITE_CORPUS=1 go test -run TestFuzzHandleARPCorpus ./dataplane/slowpath/
const fuzzCorpus = "testdata/fuzz/FuzzHandleARP"

// TestFuzzHandleARPCorpus keeps the checked-in corpus equal to fuzzSeeds,
// so that `go test` alone replays them (f.Add does too, but the files are
// what `go test -fuzz` starts from and extends).
func TestFuzzHandleARPCorpus(t *testing.T) {
	regenerate := os.Getenv("GOVS_WRITE_CORPUS") == "1"
	for _, s := range fuzzSeeds(t) {
		path := filepath.Join(fuzzCorpus, "seed-"+s.name)
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbyte(%q)\n", s.frame, s.inPort)
		if regenerate {
			if err := os.MkdirAll(fuzzCorpus, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Errorf("%s missing or stale (GOVS_WRITE_CORPUS=1 regenerates): %v", path, err)
		}
	}
}
