package connsync

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
)

// Authentication, beyond IPVS: IPVS's messages carry no proof of origin,
// so anyone who can reach the sync port can insert, refresh or move
// connections on the backups (or fill their tables). With a shared key a
// govs message sets SpareAuth in the header's spare field and ends with a
// trailer: a sequence number (8 bytes, big endian) and HMAC-SHA256 over
// everything before the MAC (the header, whose size counts the trailer,
// the records and the sequence number), cut to its first 16 bytes as
// IPsec's HMAC-SHA-256-128 (RFC 4868). Receivers check the MAC in
// constant time and refuse a sequence number they have seen or that is
// older than their replay window (RFC 4303 3.4.3's sliding window, per
// sender).
const (
	SpareAuth          = 0x0001 // the message carries the trailer
	SpareResyncRequest = 0x0002 // reserved for govs: "send me your table" (a starting backup); no records
	MACLen             = 16
	TrailerLen         = 8 + MACLen
	MinKeyLen          = 16
	MaxReplayWindow    = 64 // the bitmap is one word
)

// sign appends msg's trailer: seq and the MAC.
func sign(key, msg []byte, seq uint64) []byte {
	msg = binary.BigEndian.AppendUint64(msg, seq)
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(msg)[:len(msg)+MACLen]
}

// verify checks a signed message's MAC and returns its sequence number
// and its body (header and records, without the trailer).
func verify(key, msg []byte) (seq uint64, body []byte, err error) {
	if len(msg) < HeaderLen+TrailerLen {
		return 0, nil, refuse("short", "%d bytes, an authenticated message has at least %d", len(msg), HeaderLen+TrailerLen)
	}
	macAt := len(msg) - MACLen
	m := hmac.New(sha256.New, key)
	m.Write(msg[:macAt])
	var sum [sha256.Size]byte
	if !hmac.Equal(m.Sum(sum[:0])[:MACLen], msg[macAt:]) {
		return 0, nil, refuse("bad_mac", "the MAC does not match the key")
	}
	return binary.BigEndian.Uint64(msg[macAt-8:]), msg[:macAt-8], nil
}

// replayWindow is one sender's: the highest sequence accepted and which
// of the ones below it were seen (RFC 4303 3.4.3).
type replayWindow struct {
	top   uint64
	seen  uint64 // bit i: top - i was accepted
	valid bool   // top holds a sequence number
}

// accept reports whether seq is new within a window of size (1..64)
// messages, and records it.
func (w *replayWindow) accept(seq uint64, size int) bool {
	switch {
	case !w.valid || seq > w.top:
		if shift := seq - w.top; !w.valid || shift >= 64 {
			w.seen = 0
		} else {
			w.seen <<= shift
		}
		w.seen |= 1
		w.top, w.valid = seq, true
		return true
	case w.top-seq >= uint64(size):
		return false // below the window
	}
	bit := uint64(1) << (w.top - seq)
	if w.seen&bit != 0 {
		return false
	}
	w.seen |= bit
	return true
}
