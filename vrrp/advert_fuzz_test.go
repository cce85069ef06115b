package vrrp

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
)

// FuzzParse: Parse never panics, rejects only with a *RejectError, and what
// it accepts marshals back to the same bytes (after the two normalisations
// Parse documents: v3 reserved bits cleared, a 0xFFFF checksum alias
// written as 0x0000) and parses again to the same Advert. Seeds are in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, msg []byte) {
		a, err := Parse(msg, advTestSrc, advTestDst, AdvertTTL)
		if err != nil {
			if _, ok := ReasonOf(err); !ok {
				t.Fatalf("Parse error %v is not a *RejectError", err)
			}
			return
		}
		_ = a.Check(Expect{Version: 2, VRID: a.VRID, Addrs: a.Addrs[:len(a.Addrs)/2]})
		out, err := a.Marshal(advTestSrc, advTestDst)
		if err != nil {
			t.Fatalf("Parse accepted % x as %+v, but Marshal refuses it: %v", msg, a, err)
		}
		if want := advNormalised(msg); !bytes.Equal(out, want) {
			t.Fatalf("re-marshalled\n% x\nwant\n% x", out, want)
		}
		again, err := Parse(out, advTestSrc, advTestDst, AdvertTTL)
		if err != nil || !reflect.DeepEqual(again, a) {
			t.Fatalf("re-parse = %+v, %v; want %+v", again, err, a)
		}
	})
}

// advNormalised is msg as Marshal writes it, given that Parse accepted it.
func advNormalised(msg []byte) []byte {
	m := append([]byte(nil), msg...)
	var acc uint32
	if m[0]>>4 == 3 {
		m[4] &= 0x0f
		acc = pseudoHeaderSum(advTestSrc, advTestDst, len(m))
	}
	binary.BigEndian.PutUint16(m[6:], checksum(m, acc))
	return m
}
