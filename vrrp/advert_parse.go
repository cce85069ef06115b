package vrrp

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// Parse decodes msg, the IP payload of a protocol 112 packet whose IPv4
// header carried src, dst and ttl (the transport has already matched the IP
// total length to what it received). It rejects, with a *RejectError, what
// keepalived drops before looking at its configuration: TTL other than 255,
// unknown version, type other than advertisement, a length that disagrees
// with the address count, a bad checksum. It also rejects values no valid
// instance can match (VRID 0, interval 0, v2 auth types other than none and
// PASS) with the reason Check would give, so that everything Parse accepts
// can be marshalled again.
//
// keepalived waives the TTL check for instances with unicast peers (adverts
// may be routed); a transport serving such an instance passes AdvertTTL.
//
// The 0xFFFF/0x0000 checksum alias and VRRPv3's reserved bits (RFC 5798:
// ignored on receipt) are accepted, so such a message marshals back with
// those bytes normalised.
func Parse(msg []byte, src, dst netip.Addr, ttl uint8) (Advert, error) {
	if ttl != AdvertTTL {
		return Advert{}, reject(ReasonTTL, "got %d, want %d", ttl, AdvertTTL)
	}
	if len(msg) < headerLen {
		return Advert{}, reject(ReasonTruncated, "%d bytes, the header alone is %d", len(msg), headerLen)
	}
	a := Advert{Version: msg[0] >> 4, VRID: msg[1], Priority: msg[2]}
	if a.Version != 2 && a.Version != 3 {
		return Advert{}, reject(ReasonVersion, "version %d, want 2 or 3", a.Version)
	}
	if t := msg[0] & 0x0f; t != typeAdvert {
		return Advert{}, reject(ReasonType, "type %d, want %d (advertisement)", t, typeAdvert)
	}
	count := int(msg[3])
	want := headerLen + 4*count
	if a.Version == 2 {
		want += authDataLen
	}
	switch {
	case len(msg) < want:
		return Advert{}, reject(ReasonTruncated, "%d bytes, %d addresses need %d", len(msg), count, want)
	case len(msg) > want:
		return Advert{}, reject(ReasonLength, "%d bytes, %d addresses need %d", len(msg), count, want)
	}
	if err := verifyChecksum(msg, a.Version, src, dst); err != nil {
		return Advert{}, err
	}
	if a.VRID == 0 {
		return Advert{}, reject(ReasonVRIDMismatch, "VRID 0 is never configured")
	}
	a.Addrs = make([]netip.Addr, count)
	for i := range a.Addrs {
		a.Addrs[i] = netip.AddrFrom4([4]byte(msg[headerLen+4*i:]))
	}
	if a.Version == 2 {
		a.AuthType = msg[4]
		a.Interval = time.Duration(msg[5]) * time.Second
		a.AuthData = [8]byte(msg[len(msg)-authDataLen:])
		if a.AuthType != AuthNone && a.AuthType != AuthPass {
			return Advert{}, reject(ReasonAuthType, "auth type %d is not supported (0 none, 1 pass)", a.AuthType)
		}
	} else {
		a.Interval = time.Duration(binary.BigEndian.Uint16(msg[4:])&0x0fff) * 10 * time.Millisecond
	}
	if a.Interval == 0 {
		return Advert{}, reject(ReasonIntervalMismatch, "interval 0 is never configured")
	}
	return a, nil
}

// verifyChecksum accepts msg when its checksum field equals the one Marshal
// computes, or is that value's one's-complement alias (0xFFFF for 0x0000),
// which a summing receiver such as keepalived also accepts.
func verifyChecksum(msg []byte, version uint8, src, dst netip.Addr) error {
	var acc uint32
	if version == 3 {
		if !src.Is4() || !dst.Is4() {
			return reject(ReasonChecksum, "v3 checksum needs IPv4 source and destination, got %v -> %v", src, dst)
		}
		acc = pseudoHeaderSum(src, dst, len(msg))
	}
	got := binary.BigEndian.Uint16(msg[6:])
	want := checksum(msg, acc)
	if got == want || (want == 0 && got == 0xffff) {
		return nil
	}
	return reject(ReasonChecksum, "v%d checksum %#04x, want %#04x", version, got, want)
}
