package vrrp

import (
	"errors"
	"fmt"
)

// Reason says why an advert was rejected. Its String is a stable snake_case
// name, fit for a metric label.
type Reason uint8

// Rejection reasons, in about the order they are checked: Parse's wire
// checks, then Check's comparison with the instance.
const (
	ReasonTTL              Reason = iota // IP TTL is not 255
	ReasonTruncated                      // shorter than the header, or than its count of addresses needs
	ReasonVersion                        // not version 2 or 3, or not the instance's version
	ReasonType                           // type is not 1 (advertisement)
	ReasonLength                         // longer than its count of addresses needs
	ReasonChecksum                       // Internet checksum wrong
	ReasonVRIDMismatch                   // another virtual router's advert: ignored, not an error
	ReasonAuthType                       // v2 auth type differs from the instance's (or is unknown)
	ReasonAuthData                       // v2 PASS password differs
	ReasonIntervalMismatch               // v2 interval differs from the instance's (or is zero)
	ReasonAddrCount                      // number of addresses differs from the instance's
	ReasonAddrMismatch                   // an address of the instance is missing from the advert
	numReasons
)

var reasonNames = [numReasons]string{
	"ttl", "truncated", "version", "type", "length", "checksum",
	"vrid_mismatch", "auth_type", "auth_data", "interval_mismatch",
	"addr_count", "addr_mismatch",
}

func (r Reason) String() string {
	if r >= numReasons {
		return "unknown"
	}
	return reasonNames[r]
}

// Reasons lists every reason, for registering metric labels up front.
func Reasons() []Reason {
	rs := make([]Reason, numReasons)
	for i := range rs {
		rs[i] = Reason(i)
	}
	return rs
}

// RejectError is how Parse and Check reject an advert.
type RejectError struct {
	Reason Reason
	Detail string // human-readable specifics, e.g. "got 64, want 255"
}

func (e *RejectError) Error() string {
	return fmt.Sprintf("vrrp: advert rejected: %s: %s", e.Reason, e.Detail)
}

// ReasonOf returns the reason of a rejection, and false for any other error.
func ReasonOf(err error) (Reason, bool) {
	var re *RejectError
	if errors.As(err, &re) {
		return re.Reason, true
	}
	return 0, false
}

func reject(r Reason, format string, args ...any) error {
	return &RejectError{Reason: r, Detail: fmt.Sprintf(format, args...)}
}
