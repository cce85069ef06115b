package connsync

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// kernelRecord builds a record as the kernel's ip_vs_sync_conn does: the
// 36 bytes, then options, its size unpadded in ver_size.
func kernelRecord(c Conn, typ byte, opts ...byte) []byte {
	b := appendRecord(nil, &c)
	b[0] = typ
	b = append(b, opts...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

// kernelMessage joins records, padding each to 4 bytes before the next.
func kernelMessage(syncID byte, recs ...[]byte) []byte {
	m := []byte{0, syncID, 0, 0, byte(len(recs)), Version, 0, 0}
	for i, r := range recs {
		if i > 0 {
			for len(m)%4 != 0 {
				m = append(m, 0)
			}
		}
		m = append(m, r...)
	}
	binary.BigEndian.PutUint16(m[2:], uint16(len(m)))
	return m
}

func decodeAll(msg []byte) (got []Conn, skipped []string, err error) {
	_, err = Decode(msg, func(c *Conn) { got = append(got, *c) }, func(r string) { skipped = append(skipped, r) })
	return
}

func TestDecodeKernelMessage(t *testing.T) {
	c := testConn(1)
	seq := append([]byte{OptSeqData, seqDataLen}, make([]byte, seqDataLen)...)
	pe := []byte{OptPEData, 3, 1, 2, 3, OptPEName, 3, 's', 'i', 'p'}
	c2 := testConn(2)
	c2.Flags = FlagFwdMasq | FlagSync | FlagHashed | FlagOnePacket | FlagNFCT | FlagInSeq // what a kernel may send
	msg := kernelMessage(7,
		kernelRecord(c, 0, seq...),
		kernelRecord(c2, 0, optParamFlag|9, 1, 0xff), // odd size: the next record is padded
		kernelRecord(testConn(3), 0, pe...),
		kernelRecord(testConn(4), 0, 9, 1, 0), // mandatory option unknown
		kernelRecord(testConn(5), 0),
	)
	got, skipped, err := decodeAll(msg)
	if err != nil {
		t.Fatal(err)
	}
	want2 := c2
	want2.Flags = FlagFwdMasq | FlagInSeq // masked to IP_VS_CONN_F_BACKUP_MASK as the kernel does
	if len(got) != 3 || got[0] != c || got[1] != want2 || got[2] != testConn(5) {
		t.Fatalf("decoded %+v", got)
	}
	if len(skipped) != 2 || skipped[0] != "pe_data" || skipped[1] != "unknown_option" {
		t.Fatalf("skipped %v", skipped)
	}
}

func TestDecodeRefusals(t *testing.T) {
	good := kernelMessage(7, kernelRecord(testConn(1), 0))
	mut := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	withOpts := func(opts ...byte) []byte { return kernelMessage(7, kernelRecord(testConn(1), 0, opts...)) }
	cases := []struct {
		name, reason string
		msg          []byte
	}{
		{"empty", "short", nil},
		{"short", "short", good[:7]},
		{"size", "size_mismatch", mut(func(b []byte) []byte { return append(b, 0) })},
		{"version 0", "bad_version", mut(func(b []byte) []byte { b[5] = 0; return b })},
		{"reserved", "bad_reserved", mut(func(b []byte) []byte { b[0] = 1; return b })},
		{"spare", "bad_spare", mut(func(b []byte) []byte { b[6] = 0x80; return b })},
		{"auth without trailer", "short", mut(func(b []byte) []byte { b[7], b[3] = SpareAuth, HeaderLen+4; return b[:HeaderLen+4] })},
		{"record version", "bad_record_version", mut(func(b []byte) []byte { b[HeaderLen+2] |= 0x10; return b })},
		{"record type", "bad_record_type", mut(func(b []byte) []byte { b[HeaderLen] = 2; return b })},
		{"record size", "bad_record_size", mut(func(b []byte) []byte { b[HeaderLen+3] = 35; return b })},
		{"ipv6 too small", "bad_record_size", mut(func(b []byte) []byte { b[HeaderLen] = recordIPv6; return b })},
		{"record past end", "truncated_record", mut(func(b []byte) []byte { b[HeaderLen+3] = 37; return b })},
		{"count", "truncated_record", mut(func(b []byte) []byte { b[4] = 2; return b })},
		{"trailing", "trailing_bytes", mut(func(b []byte) []byte { b[4] = 0; return b })},
		{"option header cut", "bad_option", withOpts(optParamFlag | 9)},
		{"option zero length", "bad_option", withOpts(optParamFlag|9, 0)},
		{"option past record", "bad_option", withOpts(optParamFlag|9, 5, 1)},
		{"seq option size", "bad_option", withOpts(OptSeqData, 2, 0, 0)},
		{"pe name too long", "bad_option", withOpts(append([]byte{OptPEName, 17}, make([]byte, 17)...)...)},
		{"option twice", "bad_option", withOpts(OptPEName, 1, 'a', OptPEName, 1, 'b')},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// (records before the bad one may have been passed to fn: a
			// caller enters nothing of a refused message)
			if _, _, err := decodeAll(c.msg); ReasonOf(err) != c.reason {
				t.Fatalf("err %v; want %s", err, c.reason)
			}
		})
	}
}

func TestDecodeSkips(t *testing.T) {
	with := func(f func(c *Conn)) []byte {
		c := testConn(1)
		f(&c)
		return kernelMessage(7, kernelRecord(c, 0))
	}
	v6 := kernelRecord(testConn(1), recordIPv6, make([]byte, recordLenV6-RecordLen)...)
	cases := []struct {
		name, reason string
		msg          []byte
	}{
		{"ipv6", "ipv6", kernelMessage(7, v6)},
		{"icmp", "bad_proto", with(func(c *Conn) { c.Proto = 1 })},
		{"tcp state", "bad_state", with(func(c *Conn) { c.State = tcpStates })},
		{"udp state", "bad_state", with(func(c *Conn) { c.Proto, c.State = ProtoUDP, 1 })},
		{"unknown flag", "bad_flags", with(func(c *Conn) { c.Flags |= 0x4000 })},
		{"bypass", "bad_flags", with(func(c *Conn) { c.Flags = FlagFwdBypass })},
		{"template of sctp", "bad_proto", with(func(c *Conn) { c.Flags, c.Proto = FlagTemplate, 132 })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, skipped, err := decodeAll(c.msg)
			if err != nil || len(got) != 0 || len(skipped) != 1 || skipped[0] != c.reason {
				t.Fatalf("err %v, got %d, skipped %v; want %s", err, len(got), skipped, c.reason)
			}
		})
	}
	// Good records around a skipped one still come through.
	msg := kernelMessage(7, kernelRecord(testConn(1), 0), v6, kernelRecord(testConn(2), 0))
	if got, skipped, err := decodeAll(msg); err != nil || len(got) != 2 || len(skipped) != 1 {
		t.Fatalf("around an IPv6 record: %v, %d, %v", err, len(got), skipped)
	}
}

func TestDecodeTemplateState(t *testing.T) {
	c := testConn(1)
	c.Flags, c.Proto, c.State, c.CPort = FlagTemplate|FlagNoCPort|FlagFwdDRoute, 0, 3, 0
	got, _, err := decodeAll(kernelMessage(7, kernelRecord(c, 0)))
	if err != nil || len(got) != 1 || got[0].State != 0 || got[0].Flags != c.Flags {
		t.Fatalf("a fwmark template: %v %+v (its state must read 0)", err, got)
	}
}

func TestAppendMessages(t *testing.T) {
	cs := make([]Conn, 600)
	for i := range cs {
		cs[i] = testConn(i)
	}
	e := Encoder{SyncID: 3, MaxMessage: MaxMessage}
	_, msgs := e.AppendMessages(nil, cs)
	if len(msgs) != 3 {
		t.Fatalf("%d messages for 600 records, want 3 of at most 255", len(msgs))
	}
	var back []Conn
	for _, m := range msgs {
		got, skipped, err := decodeAll(m)
		if err != nil || len(skipped) != 0 {
			t.Fatalf("%v %v", err, skipped)
		}
		back = append(back, got...)
	}
	for i := range cs {
		if back[i] != cs[i] {
			t.Fatalf("record %d: %+v, want %+v", i, back[i], cs[i])
		}
	}
	if _, msgs := (Encoder{MaxMessage: 20}).AppendMessages(nil, cs); msgs != nil {
		t.Fatalf("a message too small for one record made %d messages", len(msgs))
	}
}

func TestDecodeAllocatesNothingPerRecord(t *testing.T) {
	_, msgs := Encoder{SyncID: 7, MaxMessage: MaxMessage}.AppendMessages(nil, make([]Conn, 200))
	var n int
	fn, skip := func(*Conn) { n++ }, func(string) {}
	allocs := testing.AllocsPerRun(20, func() { Decode(msgs[0], fn, skip) })
	if allocs > 1 {
		t.Fatalf("%.0f allocations decoding 200 records", allocs)
	}
}

// FuzzDecode: any input is refused with a reason or decodes; what decodes
// encodes back to records that decode the same.
func FuzzDecode(f *testing.F) {
	f.Add(kernelMessage(7, kernelRecord(testConn(1), 0)))
	f.Fuzz(func(t *testing.T, msg []byte) {
		got, skipped, err := decodeAll(msg)
		if err != nil {
			if _, ok := err.(*DecodeError); !ok || ReasonOf(err) == "" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		h, _ := ParseHeader(msg)
		if len(got)+len(skipped) != int(h.Conns) {
			t.Fatalf("%d decoded + %d skipped of %d records", len(got), len(skipped), h.Conns)
		}
		if len(got) == 0 {
			return
		}
		again := Encoder{SyncID: h.SyncID, MaxMessage: MaxMessage}.Append(nil, got, 0)
		back, sk, err := decodeAll(again)
		if err != nil || len(sk) != 0 || len(back) != len(got) {
			t.Fatalf("re-encoded: %v %v %d of %d", err, sk, len(back), len(got))
		}
		for i := range got {
			if back[i] != got[i] {
				t.Fatalf("record %d: %+v then %+v", i, got[i], back[i])
			}
		}
	})
}
