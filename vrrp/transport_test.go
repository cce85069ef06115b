package vrrp

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// openIn opens a transport on ifname inside ns.
func openIn(t *testing.T, ns *netlab.NS, ifname string, src netip.Addr) *Transport {
	t.Helper()
	var tr *Transport
	if err := ns.Do(func() (err error) { tr, err = Open(ifname, src); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// Two namespaces joined by a veth pair: an advert sent to the group by one
// arrives at the other with TTL 255, TOS 0xC0 and the sender's address, and
// a unicast one too; the sender does not hear itself.
func TestTransportOverVeth(t *testing.T) {
	t.Parallel()
	a, b := vethPair(t, "t")
	srcA, srcB := netip.MustParseAddr("10.77.0.1"), netip.MustParseAddr("10.77.0.2")
	ta, tb := openIn(t, a, "va", srcA), openIn(t, b, "vb", srcB)

	msg := []byte{0x21, 0x33, 0x64, 0x01, 0x00, 0x01, 0x70, 0x33, 0x0a, 0x33, 0x00, 0x64, 0, 0, 0, 0, 0, 0, 0, 0}
	buf := make([]byte, 1500)
	for _, dst := range []netip.Addr{Group, srcB} {
		// The veth's carrier comes up asynchronously: what is sent before
		// is lost, as VRRP allows, so send again until one arrives.
		var p Packet
		var err error
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
			if err = ta.Send(msg, dst); err != nil {
				t.Fatalf("send to %v: %v", dst, err)
			}
			tb.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if p, err = tb.Recv(buf); err == nil && p.Dst == dst {
				break // (a late copy of an earlier round's resends is skipped)
			} else if err == nil {
				err = fmt.Errorf("got a datagram to %v", p.Dst)
			}
		}
		if err != nil {
			t.Fatalf("receive (sent to %v): %v", dst, err)
		}
		if !bytes.Equal(p.Msg, msg) || p.Src != srcA || p.Dst != dst || p.TTL != 255 || p.TOS != 0xc0 {
			t.Errorf("received %+v, want the message from %v to %v with TTL 255 and TOS 0xc0", p, srcA, dst)
		}
	}
	ta.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if p, err := ta.Recv(buf); err == nil {
		t.Errorf("the sender heard %+v (multicast loop must be off)", p)
	}
}

func TestParseIPv4Refuses(t *testing.T) {
	good := []byte{0x45, 0xc0, 0, 24, 0, 0, 0, 0, 255, 112, 0, 0, 10, 0, 0, 1, 224, 0, 0, 18, 1, 2, 3, 4}
	if p, err := parseIPv4(good); err != nil || len(p.Msg) != 4 || p.TTL != 255 {
		t.Fatalf("parseIPv4(good) = %+v, %v", p, err)
	}
	for name, b := range map[string][]byte{
		"short":          good[:19],
		"version 6":      append([]byte{0x65}, good[1:]...),
		"ihl 4":          append([]byte{0x44}, good[1:]...),
		"total too long": append(append([]byte{}, good[:2]...), append([]byte{0, 99}, good[4:]...)...),
	} {
		if _, err := parseIPv4(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func netipMust(s string) netip.Addr { return netip.MustParseAddr(s) }
