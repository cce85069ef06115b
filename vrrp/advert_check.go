package vrrp

import (
	"crypto/subtle"
	"net/netip"
	"time"
)

// Expect is what a local instance requires of the adverts it hears: the
// fields keepalived compares with its vrrp_instance configuration.
type Expect struct {
	Version  uint8
	VRID     uint8
	Interval time.Duration // compared in version 2 only (see Check)
	Addrs    []netip.Addr
	AuthType uint8   // version 2 only
	AuthData [8]byte // version 2 with AuthPass only: PasswordData(auth_pass)
}

// Check rejects a parsed advert that does not belong to, or does not agree
// with, the instance described by want, as keepalived 2.2.7 does:
//   - another VRID is ReasonVRIDMismatch: keepalived ignores the advert
//     without complaint, so callers should count it but not treat it as a
//     fault;
//   - version, then (v2) auth type, PASS password, advert interval, then the
//     address count and every configured address being present. The
//     advert's address order and duplicates do not matter beyond that.
//
// In version 3 the interval is not compared: a v3 backup adopts the
// master's interval (RFC 5798 6.4.2), and so does keepalived.
func (a Advert) Check(want Expect) error {
	if a.VRID != want.VRID {
		return reject(ReasonVRIDMismatch, "VRID %d, this instance is %d", a.VRID, want.VRID)
	}
	if a.Version != want.Version {
		return reject(ReasonVersion, "version %d, this instance speaks %d", a.Version, want.Version)
	}
	if a.Version == 2 {
		if err := a.checkV2(want); err != nil {
			return err
		}
	}
	if len(a.Addrs) != len(want.Addrs) {
		return reject(ReasonAddrCount, "%d addresses, want %d", len(a.Addrs), len(want.Addrs))
	}
	for _, w := range want.Addrs {
		if !containsAddr(a.Addrs, w) {
			return reject(ReasonAddrMismatch, "%v not present in the advert", w)
		}
	}
	return nil
}

func (a Advert) checkV2(want Expect) error {
	if a.AuthType != want.AuthType {
		return reject(ReasonAuthType, "auth type %d, want %d", a.AuthType, want.AuthType)
	}
	// Constant time, as keepalived: the password is the only secret here.
	if a.AuthType == AuthPass && subtle.ConstantTimeCompare(a.AuthData[:], want.AuthData[:]) != 1 {
		return reject(ReasonAuthData, "wrong password")
	}
	if a.Interval != want.Interval {
		return reject(ReasonIntervalMismatch, "interval %v, want %v", a.Interval, want.Interval)
	}
	return nil
}

func containsAddr(addrs []netip.Addr, x netip.Addr) bool {
	for _, a := range addrs {
		if a == x {
			return true
		}
	}
	return false
}
