package vrrp

import "time"

// Timer arithmetic of RFC 3768 / RFC 5798 section 6.1, computed as keepalived
// 2.2.7 does so that a govs director and a keepalived peer agree on who times
// out first.

// downIntervalAdverts is how many advertisement intervals of silence a backup
// waits (plus Skew_Time) before it declares the master down.
const downIntervalAdverts = 3

// SkewTime is how much longer than three advertisement intervals a backup of
// the given priority waits, so that the highest-priority backup times out
// first.
//
// VRRPv2: (256 - priority) / 256 seconds, not scaled by the interval (as
// keepalived; the RFC's 1-second adverts make both readings equal).
// VRRPv3: ((256 - priority) * masterAdverInterval) / 256, truncated to
// microseconds as keepalived does.
func SkewTime(version, priority uint8, masterAdverInterval time.Duration) time.Duration {
	return skewFor(version, 256-int(priority), masterAdverInterval)
}

// MasterDownInterval is how long a backup waits after the last advertisement
// before it takes over: 3 x Master_Adver_Interval + Skew_Time.
func MasterDownInterval(version, priority uint8, masterAdverInterval time.Duration) time.Duration {
	return downIntervalAdverts*masterAdverInterval + SkewTime(version, priority, masterAdverInterval)
}

// minimalSkew is the skew of the best possible priority (numerator 1):
// keepalived's wait for an instance configured with initial state MASTER.
func minimalSkew(version uint8, masterAdverInterval time.Duration) time.Duration {
	return skewFor(version, 1, masterAdverInterval)
}

// skewFor computes numerator/256 of a second (v2) or of the interval (v3).
func skewFor(version uint8, numerator int, masterAdverInterval time.Duration) time.Duration {
	n := time.Duration(numerator)
	if version == 3 {
		centis := masterAdverInterval / (10 * time.Millisecond)
		// keepalived: numerator * centiseconds * 10000 / 256 microseconds,
		// written as * 625 / 16 to stay in integers.
		return (n * centis * 625 / 16) * time.Microsecond
	}
	return n * time.Second / 256
}
