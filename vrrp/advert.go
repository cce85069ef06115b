package vrrp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Wire constants shared by the codec and the transport.
const (
	IPProtocol = 112 // IPv4 protocol number of VRRP
	AdvertTTL  = 255 // adverts are sent with, and accepted only with, this TTL

	AuthNone = 0 // v2 auth type: no authentication (auth data zero)
	AuthPass = 1 // v2 auth type: simple text password (keepalived "PASS")

	headerLen   = 8 // version/type .. checksum, both versions
	authDataLen = 8 // v2 only, after the addresses
	maxAddrs    = 255
	typeAdvert  = 1

	maxIntervalV2 = 255 * time.Second            // 8-bit field of whole seconds
	maxIntervalV3 = 4095 * 10 * time.Millisecond // 12-bit field of centiseconds
)

// Advert is one VRRP advertisement.
//
// Interval is the advertisement interval: whole seconds (1..255) for
// version 2, whole centiseconds (1..4095, i.e. 10 ms..40.95 s) for version 3.
// Priority 0 means "the master is leaving", 255 "the address owner".
// AuthType and AuthData exist only in version 2; AuthData is sent as given
// (zero for AuthNone, PasswordData for AuthPass).
type Advert struct {
	Version  uint8 // 2 (RFC 3768) or 3 (RFC 5798)
	VRID     uint8 // 1..255
	Priority uint8
	Interval time.Duration
	Addrs    []netip.Addr // IPv4 virtual addresses, in wire order
	AuthType uint8        // v2: AuthNone or AuthPass; must be 0 in v3
	AuthData [8]byte      // v2 only; must be zero in v3
}

// PasswordData is the v2 auth data keepalived derives from auth_pass: the
// first 8 bytes of the password, zero padded.
func PasswordData(password string) [8]byte {
	var d [8]byte
	copy(d[:], password)
	return d
}

// Marshal encodes a as a VRRP message (the IP payload). src and dst are the
// IPv4 source and destination of the packet that will carry it: VRRPv3's
// checksum covers a pseudo-header made of them (RFC 5798 5.2.8); VRRPv2's
// covers the message only, and they are ignored.
func (a Advert) Marshal(src, dst netip.Addr) ([]byte, error) {
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("vrrp: marshal advert: %w", err)
	}
	n := headerLen + 4*len(a.Addrs)
	if a.Version == 2 {
		n += authDataLen
	}
	msg := make([]byte, n)
	msg[0] = a.Version<<4 | typeAdvert
	msg[1] = a.VRID
	msg[2] = a.Priority
	msg[3] = uint8(len(a.Addrs))
	for i, addr := range a.Addrs {
		b := addr.As4()
		copy(msg[headerLen+4*i:], b[:])
	}
	if a.Version == 2 {
		msg[4] = a.AuthType
		msg[5] = uint8(a.Interval / time.Second)
		copy(msg[n-authDataLen:], a.AuthData[:])
		binary.BigEndian.PutUint16(msg[6:], checksum(msg, 0))
		return msg, nil
	}
	if !src.Is4() || !dst.Is4() {
		return nil, fmt.Errorf("vrrp: marshal advert: v3 checksum needs IPv4 source and destination, got %v -> %v", src, dst)
	}
	binary.BigEndian.PutUint16(msg[4:], uint16(a.Interval/(10*time.Millisecond)))
	binary.BigEndian.PutUint16(msg[6:], checksum(msg, pseudoHeaderSum(src, dst, len(msg))))
	return msg, nil
}

// validate refuses what cannot be encoded or what no peer would accept.
func (a Advert) validate() error {
	if a.VRID == 0 {
		return errors.New("VRID 0 is not allowed (1..255)")
	}
	if len(a.Addrs) > maxAddrs {
		return fmt.Errorf("%d addresses, at most %d fit in the count field", len(a.Addrs), maxAddrs)
	}
	for _, addr := range a.Addrs {
		if !addr.Is4() {
			return fmt.Errorf("address %v is not IPv4", addr)
		}
	}
	switch a.Version {
	case 2:
		if a.Interval < time.Second || a.Interval > maxIntervalV2 || a.Interval%time.Second != 0 {
			return fmt.Errorf("v2 interval %v: want whole seconds in 1s..%v", a.Interval, maxIntervalV2)
		}
		if a.AuthType != AuthNone && a.AuthType != AuthPass {
			return fmt.Errorf("v2 auth type %d: want %d (none) or %d (pass)", a.AuthType, AuthNone, AuthPass)
		}
	case 3:
		cs := 10 * time.Millisecond
		if a.Interval < cs || a.Interval > maxIntervalV3 || a.Interval%cs != 0 {
			return fmt.Errorf("v3 interval %v: want whole centiseconds in 10ms..%v", a.Interval, maxIntervalV3)
		}
		if a.AuthType != 0 || a.AuthData != [8]byte{} {
			return errors.New("v3 has no authentication: auth type and data must be zero")
		}
	default:
		return fmt.Errorf("version %d: want 2 or 3", a.Version)
	}
	return nil
}
