package realserver

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net/netip"
	"os"
	"testing"
)

var (
	director = netip.MustParseAddr("10.9.1.1")
	rs       = netip.MustParseAddr("10.9.1.2")
	client   = netip.MustParseAddr("10.9.1.3")
	vip      = netip.MustParseAddr("10.9.2.100")
	vip2     = netip.MustParseAddr("10.9.2.101")
)

type frameCase struct {
	name   string
	pkt    []byte
	reason DropReason // if drop
	drop   bool
}

func frameCases() []frameCase {
	inner := ipv4(client, vip, 17, udp(client, vip, 40000, 5353, []byte("hello")))
	good := ipip(director, rs, inner)
	mod := func(p []byte, f func([]byte)) []byte {
		q := bytes.Clone(p)
		f(q)
		return q
	}
	fixOuter := func(p []byte) { // recompute the outer checksum after a change
		p[10], p[11] = 0, 0
		c := ipChecksum(p[:20])
		p[10], p[11] = byte(c>>8), byte(c)
	}
	return []frameCase{
		{name: "valid", pkt: good},
		{name: "valid to second VIP", pkt: ipip(director, rs, ipv4(client, vip2, 17, udp(client, vip2, 1, 2, nil)))},
		{name: "valid with padding after the outer total length", pkt: append(bytes.Clone(good), 0, 0, 0, 0)},
		{name: "valid with inner IP options", pkt: ipip(director, rs, mod(append(ipv4(client, vip, 17, nil), 1, 1, 1, 1), func(p []byte) {
			p[0], p[3] = 0x46, 24
			p[10], p[11] = 0, 0
			c := ipChecksum(p[:24])
			p[10], p[11] = byte(c>>8), byte(c)
		}))},
		{name: "empty", pkt: nil, drop: true, reason: DropTruncated},
		{name: "shorter than a header", pkt: good[:19], drop: true, reason: DropTruncated},
		{name: "cut short of total length", pkt: good[:len(good)-1], drop: true, reason: DropTruncated},
		{name: "outer IPv6", pkt: mod(good, func(p []byte) { p[0] = 0x65 }), drop: true, reason: DropNotIPv4},
		{name: "outer IHL 4", pkt: mod(good, func(p []byte) { p[0] = 0x44 }), drop: true, reason: DropBadHeader},
		{name: "outer total length below IHL", pkt: mod(good, func(p []byte) { p[2], p[3] = 0, 10 }), drop: true, reason: DropBadHeader},
		{name: "wrong protocol (GRE)", pkt: mod(good, func(p []byte) { p[9] = 47; fixOuter(p) }), drop: true, reason: DropNotIPIP},
		{name: "inner truncated", pkt: ipip(director, rs, inner[:19]), drop: true, reason: DropInnerTruncated},
		{name: "inner not IPv4", pkt: ipip(director, rs, mod(inner, func(p []byte) { p[0] = 0x60 })), drop: true, reason: DropInnerNotIPv4},
		{name: "inner IHL 3", pkt: ipip(director, rs, mod(inner, func(p []byte) { p[0] = 0x43 })), drop: true, reason: DropInnerBadHeader},
		{name: "inner IHL beyond payload", pkt: ipip(director, rs, mod(inner[:24], func(p []byte) { p[0] = 0x4f })), drop: true, reason: DropInnerBadHeader},
		{name: "inner total length too big", pkt: ipip(director, rs, mod(inner, func(p []byte) { p[3]++ })), drop: true, reason: DropInnerBadLength},
		{name: "inner total length below IHL", pkt: ipip(director, rs, mod(inner, func(p []byte) { p[2], p[3] = 0, 12 })), drop: true, reason: DropInnerBadLength},
		{name: "inner bad checksum", pkt: ipip(director, rs, mod(inner, func(p []byte) { p[8]-- })), drop: true, reason: DropInnerBadChecksum},
		{name: "inner destination not a VIP", pkt: ipip(director, rs, ipv4(client, rs, 17, udp(client, rs, 1, 2, nil))), drop: true, reason: DropNotVIP},
	}
}

func TestDecapFrame(t *testing.T) {
	vips := newVIPSet([]netip.Addr{vip, vip2})
	for _, tc := range frameCases() {
		inner, reason, ok := decapFrame(tc.pkt, vips)
		if ok == tc.drop || (tc.drop && reason != tc.reason) {
			t.Errorf("%s: ok=%v reason=%v, want drop=%v reason=%v", tc.name, ok, reason, tc.drop, tc.reason)
			continue
		}
		if ok {
			ihl := int(tc.pkt[0]&0xf) * 4
			if want := tc.pkt[ihl : ihl+(int(inner[2])<<8|int(inner[3]))]; !bytes.Equal(inner, want) {
				t.Errorf("%s: inner packet differs from the payload of the outer one", tc.name)
			}
		}
	}
}

func TestDecapFrameNoAlloc(t *testing.T) {
	vips := newVIPSet([]netip.Addr{vip})
	pkt := ipip(director, rs, ipv4(client, vip, 17, udp(client, vip, 1, 2, []byte("x"))))
	if n := testing.AllocsPerRun(1000, func() { decapFrame(pkt, vips) }); n != 0 {
		t.Errorf("decapFrame allocates %v times per packet", n)
	}
}

// fakeRaw returns the packets one per Read, then os.ErrClosed.
type fakeRaw struct{ pkts [][]byte }

func (f *fakeRaw) Read(b []byte) (int, error) {
	if len(f.pkts) == 0 {
		return 0, os.ErrClosed
	}
	n := copy(b, f.pkts[0])
	f.pkts = f.pkts[1:]
	return n, nil
}

// fakeTun records the written packets; it fails once after fail writes.
type fakeTun struct {
	got  [][]byte
	fail int
}

func (f *fakeTun) Write(b []byte) (int, error) {
	if f.fail--; f.fail == 0 {
		return 0, errors.New("no buffer space")
	}
	f.got = append(f.got, bytes.Clone(b))
	return len(b), nil
}

func TestDecapLoopCounters(t *testing.T) {
	var raw fakeRaw
	want := map[string]uint64{}
	var pass, bytesIn uint64
	for _, tc := range frameCases() {
		raw.pkts = append(raw.pkts, tc.pkt)
		if tc.drop {
			want[tc.reason.String()]++
		} else {
			pass++
		}
	}
	good := frameCases()[0].pkt
	raw.pkts = append(raw.pkts, good) // the 5th write, which fails
	want["write_error"]++
	for _, tc := range frameCases() {
		if !tc.drop {
			ihl := int(tc.pkt[0]&0xf) * 4
			bytesIn += uint64(int(tc.pkt[ihl+2])<<8 | int(tc.pkt[ihl+3]))
		}
	}
	tun := &fakeTun{fail: int(pass) + 1}
	var c Counters
	var logs bytes.Buffer
	if err := decapLoop(&raw, tun, newVIPSet([]netip.Addr{vip, vip2}), &c, log.New(&logs, "", 0)); err != nil {
		t.Fatal(err)
	}
	st := c.Snapshot()
	if st.Decapsulated != pass || st.Bytes != bytesIn || len(tun.got) != int(pass) {
		t.Errorf("decapsulated %d (%d bytes, %d written), want %d (%d bytes)", st.Decapsulated, st.Bytes, len(tun.got), pass, bytesIn)
	}
	for r, n := range want {
		if st.Drops[r] != n {
			t.Errorf("drops[%s] = %d, want %d", r, st.Drops[r], n)
		}
	}
	if len(st.Drops) != len(want) {
		t.Errorf("drops %v, want %v", st.Drops, want)
	}
	if !bytes.Contains(logs.Bytes(), []byte("no buffer space")) {
		t.Errorf("write error not logged: %q", logs.String())
	}
	t.Logf("%v", st)
}

func TestDecapLoopReadError(t *testing.T) {
	r := io.MultiReader() // EOF at once: not a close, so an error
	if err := decapLoop(r, &fakeTun{}, nil, &Counters{}, log.New(io.Discard, "", 0)); err == nil {
		t.Error("a read error other than close should end the loop with an error")
	}
}
