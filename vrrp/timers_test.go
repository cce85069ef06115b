package vrrp

import (
	"testing"
	"time"
)

func TestTimersSkewAndMasterDown(t *testing.T) {
	cases := []struct {
		name       string
		version    uint8
		priority   uint8
		interval   time.Duration
		wantSkew   time.Duration
		wantMaster time.Duration
	}{
		// v2: (256-p)/256 s regardless of the interval.
		{"v2 prio 100 1s", 2, 100, time.Second, 609375 * time.Microsecond, 3609375 * time.Microsecond},
		{"v2 prio 100 3s not scaled", 2, 100, 3 * time.Second, 609375 * time.Microsecond, 9609375 * time.Microsecond},
		{"v2 prio 255", 2, 255, time.Second, 3906250 * time.Nanosecond, 3003906250 * time.Nanosecond},
		{"v2 prio 1", 2, 1, time.Second, 996093750 * time.Nanosecond, 3996093750 * time.Nanosecond},
		// v3: (256-p)*interval/256, microseconds truncated.
		{"v3 prio 100 100ms", 3, 100, 100 * time.Millisecond, 60937 * time.Microsecond, 360937 * time.Microsecond},
		{"v3 prio 100 1s", 3, 100, time.Second, 609375 * time.Microsecond, 3609375 * time.Microsecond},
		{"v3 prio 200 10ms", 3, 200, 10 * time.Millisecond, 2187 * time.Microsecond, 32187 * time.Microsecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := SkewTime(c.version, c.priority, c.interval); got != c.wantSkew {
				t.Errorf("SkewTime = %v, want %v", got, c.wantSkew)
			}
			if got := MasterDownInterval(c.version, c.priority, c.interval); got != c.wantMaster {
				t.Errorf("MasterDownInterval = %v, want %v", got, c.wantMaster)
			}
		})
	}
}

func TestTimersMinimalSkew(t *testing.T) {
	if got, want := minimalSkew(2, 5*time.Second), 3906250*time.Nanosecond; got != want {
		t.Errorf("v2 minimalSkew = %v, want %v", got, want)
	}
	if got, want := minimalSkew(3, time.Second), 3906*time.Microsecond; got != want {
		t.Errorf("v3 minimalSkew = %v, want %v", got, want)
	}
}

// A higher priority must always time out strictly first, or two backups of
// different priorities would claim the addresses together.
func TestTimersHigherPriorityTimesOutFirst(t *testing.T) {
	for _, v := range []uint8{2, 3} {
		for p := uint8(1); p < 255; p++ {
			lo := MasterDownInterval(v, p, 10*time.Millisecond)
			hi := MasterDownInterval(v, p+1, 10*time.Millisecond)
			if hi >= lo {
				t.Fatalf("v%d: priority %d waits %v, not less than priority %d's %v", v, p+1, hi, p, lo)
			}
		}
	}
}
