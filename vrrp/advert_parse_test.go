package vrrp

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"
)

// advResum rewrites msg's checksum after a test edited it.
func advResum(msg []byte, src, dst netip.Addr) []byte {
	var acc uint32
	if msg[0]>>4 == 3 {
		acc = pseudoHeaderSum(src, dst, len(msg))
	}
	binary.BigEndian.PutUint16(msg[6:], checksum(msg, acc))
	return msg
}

func TestParseRejects(t *testing.T) {
	v2 := advHex(t, keepalivedV2Example)
	v3 := advHex(t, "31 33 64 01 00 0a 75 67 0a 33 00 64")
	edit := func(base []byte, f func(m []byte) []byte) []byte {
		m := f(append([]byte(nil), base...))
		return advResum(m, advTestSrc, advTestDst)
	}
	for _, tc := range []struct {
		name string
		msg  []byte
		ttl  uint8
		want Reason
	}{
		{"ttl 64", v2, 64, ReasonTTL},
		{"ttl 254", v3, 254, ReasonTTL},
		{"empty", nil, 255, ReasonTruncated},
		{"7 bytes", v2[:7], 255, ReasonTruncated},
		{"v2 without auth data", v2[:12], 255, ReasonTruncated},
		{"v2 count 2, one address", edit(v2, func(m []byte) []byte { m[3] = 2; return m }), 255, ReasonTruncated},
		{"v3 count 2, one address", edit(v3, func(m []byte) []byte { m[3] = 2; return m }), 255, ReasonTruncated},
		{"version 1", edit(v2, func(m []byte) []byte { m[0] = 0x11; return m }), 255, ReasonVersion},
		{"version 4", edit(v3, func(m []byte) []byte { m[0] = 0x41; return m }), 255, ReasonVersion},
		{"type 2", edit(v2, func(m []byte) []byte { m[0] = 0x22; return m }), 255, ReasonType},
		{"type 0", edit(v3, func(m []byte) []byte { m[0] = 0x30; return m }), 255, ReasonType},
		{"v2 trailing byte", edit(v2, func(m []byte) []byte { return append(m, 0) }), 255, ReasonLength},
		{"v2 count 0, one address", edit(v2, func(m []byte) []byte { m[3] = 0; return m }), 255, ReasonLength},
		{"v3 as v2 sized (8 extra bytes)", edit(v3, func(m []byte) []byte { return append(m, make([]byte, 8)...) }), 255, ReasonLength},
		{"v2 bad checksum", func() []byte { m := append([]byte(nil), v2...); m[7] ^= 1; return m }(), 255, ReasonChecksum},
		{"v2 payload changed", func() []byte { m := append([]byte(nil), v2...); m[2] = 101; return m }(), 255, ReasonChecksum},
		{"v3 bad checksum", func() []byte { m := append([]byte(nil), v3...); m[6] ^= 0x80; return m }(), 255, ReasonChecksum},
		{"VRID 0", edit(v2, func(m []byte) []byte { m[1] = 0; return m }), 255, ReasonVRIDMismatch},
		{"v2 auth type 2 (AH)", edit(v2, func(m []byte) []byte { m[4] = 2; return m }), 255, ReasonAuthType},
		{"v2 auth type 9", edit(v2, func(m []byte) []byte { m[4] = 9; return m }), 255, ReasonAuthType},
		{"v2 interval 0", edit(v2, func(m []byte) []byte { m[5] = 0; return m }), 255, ReasonIntervalMismatch},
		{"v3 interval 0", edit(v3, func(m []byte) []byte { m[4], m[5] = 0xf0, 0; return m }), 255, ReasonIntervalMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Parse(tc.msg, advTestSrc, advTestDst, tc.ttl)
			var re *RejectError
			if !errors.As(err, &re) {
				t.Fatalf("Parse = %+v, %v; want a *RejectError", a, err)
			}
			if re.Reason != tc.want {
				t.Errorf("reason %s (%v), want %s", re.Reason, err, tc.want)
			}
			if re.Detail == "" {
				t.Error("rejection has no detail")
			}
		})
	}
}

func TestParseV3IgnoresReservedBits(t *testing.T) {
	m := advHex(t, "31 33 64 01 f0 0a 00 00 0a 33 00 64")
	advResum(m, advTestSrc, advTestDst)
	a, err := Parse(m, advTestSrc, advTestDst, 255)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if a.Interval != 100*time.Millisecond {
		t.Errorf("interval %v, want 100ms (reserved bits masked)", a.Interval)
	}
}

// A checksum field of 0xFFFF where 0x0000 is computed is the same one's
// complement value; keepalived's summing check accepts it, so must Parse.
func TestParseAcceptsChecksumAlias(t *testing.T) {
	// v3: pick the last address word so that the computed checksum is 0x0000.
	m := advHex(t, "31 33 64 01 00 0a 00 00 0a 33 00 00")
	found := false
	for w := 0; w <= 0xffff && !found; w++ {
		binary.BigEndian.PutUint16(m[10:], uint16(w))
		found = checksum(m, pseudoHeaderSum(advTestSrc, advTestDst, len(m))) == 0
	}
	if !found {
		t.Fatal("no address word gives a zero checksum")
	}
	if _, err := Parse(m, advTestSrc, advTestDst, 255); err != nil {
		t.Fatalf("Parse with checksum 0x0000: %v", err)
	}
	m[6], m[7] = 0xff, 0xff
	if _, err := Parse(m, advTestSrc, advTestDst, 255); err != nil {
		t.Errorf("Parse with checksum 0xffff aliasing 0x0000: %v", err)
	}
}
