package migrate

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// seconds reads keepalived's and ipvsadm's times, whole or fractional
// seconds, as a govs duration ("60s", "1500ms").
func seconds(s string) (plain, error) {
	d, err := duration(s)
	return formatDuration(d), err
}

// duration reads whole or fractional seconds.
func duration(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f > 1e9 {
		return 0, fmt.Errorf("%q is not a number of seconds", s)
	}
	return time.Duration(math.Round(f*1e6)) * time.Microsecond, nil
}

// formatDuration writes d in the largest unit that keeps it whole, as a
// person writes durations in a configuration.
func formatDuration(d time.Duration) plain {
	switch {
	case d%time.Second == 0:
		return plain(fmt.Sprintf("%ds", d/time.Second))
	case d%time.Millisecond == 0:
		return plain(fmt.Sprintf("%dms", d/time.Millisecond))
	}
	return plain(fmt.Sprintf("%dus", d/time.Microsecond))
}

// integer reads a decimal integer within [min, max].
func integer(s string, min, max int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, fmt.Errorf("%q is not an integer between %d and %d", s, min, max)
	}
	return n, nil
}
