package connsync

import (
	"bytes"
	"testing"
)

func TestSignVerify(t *testing.T) {
	body := Encoder{SyncID: 7, MaxMessage: 1500, Trailer: TrailerLen}.Append(nil, []Conn{testConn(1)}, SpareAuth)
	msg := sign(testKey, bytes.Clone(body), 77)
	if len(msg) != len(body)+TrailerLen {
		t.Fatalf("signed %d bytes, want %d", len(msg), len(body)+TrailerLen)
	}
	if h, err := ParseHeader(msg); err != nil || int(h.Size) != len(msg) {
		t.Fatalf("the header's size must count the trailer: %+v %v", h, err)
	}
	seq, got, err := verify(testKey, msg)
	if err != nil || seq != 77 || !bytes.Equal(got, body) {
		t.Fatalf("verify: %d %v", seq, err)
	}
	for i := range msg {
		bad := bytes.Clone(msg)
		bad[i] ^= 0x01
		if _, _, err := verify(testKey, bad); ReasonOf(err) != "bad_mac" {
			t.Fatalf("byte %d flipped: %v, want bad_mac", i, err)
		}
	}
	if _, _, err := verify([]byte("0123456789abcdef-sync-tesT"), msg); ReasonOf(err) != "bad_mac" {
		t.Fatalf("wrong key: %v", err)
	}
	if _, _, err := verify(testKey, msg[:HeaderLen+TrailerLen-1]); ReasonOf(err) != "short" {
		t.Fatalf("short: %v", err)
	}
}

func TestReplayWindow(t *testing.T) {
	type step struct {
		seq uint64
		ok  bool
	}
	cases := []struct {
		name  string
		size  int
		steps []step
	}{
		{"first and repeat", 64, []step{{1000, true}, {1000, false}, {1001, true}}},
		{"zero first", 64, []step{{0, true}, {0, false}, {1, true}}},
		{"reordered inside, once", 64, []step{{10, true}, {13, true}, {11, true}, {12, true}, {11, false}, {12, false}, {13, false}}},
		{"edge of 64", 64, []step{{100, true}, {37, true}, {36, false}}},
		{"small window", 4, []step{{20, true}, {17, true}, {16, false}}},
		{"jump clears", 64, []step{{1, true}, {1 << 40, true}, {1, false}, {1<<40 - 1, true}}},
		{"restarted sender is ahead", 64, []step{{5e18, true}, {5e18 + 1, true}, {6e18, true}, {5e18 + 2, false}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var w replayWindow
			for i, s := range c.steps {
				if got := w.accept(s.seq, c.size); got != s.ok {
					t.Fatalf("step %d: seq %d accepted %v, want %v", i, s.seq, got, s.ok)
				}
			}
		})
	}
}
