package vrrp

import "fmt"

// MaxTrackWeight bounds a tracked object's weight: -254..254, keepalived's
// widest range (track_file, track_process; track_interface and
// track_script accept -253..253).
const MaxTrackWeight = 254

// Tracked is one tracked object (a port link, a track script, the
// dataplane) with its weight and current health.
type Tracked struct {
	Name   string
	Weight int
	Up     bool
}

// CheckWeight reports a weight outside -254..254.
func CheckWeight(w int) error {
	if w < -MaxTrackWeight || w > MaxTrackWeight {
		return fmt.Errorf("vrrp: tracking weight %d: want -%d..%d", w, MaxTrackWeight, MaxTrackWeight)
	}
	return nil
}

// Effective computes an instance's tracking level from its configured
// priority and tracked objects as keepalived does: a weight-0 object that
// is down means FAULT; a positive weight is added while its object is up;
// a negative weight is added (subtracted) while its object is down. The
// result is clamped to 1..254, except that an unchanged priority stays as
// configured, so an address owner stays 255 until a weight moves it.
//
// keepalived forces the weights of sync group members to 0 (unless
// sync_group_tracking_weight): members with different priorities on the
// two directors would make the group thrash. Callers wanting that rule
// pass weight 0 for members.
func Effective(base uint8, objs []Tracked) (fault bool, priority int) {
	sum := 0
	for _, o := range objs {
		switch {
		case o.Weight == 0 && !o.Up:
			fault = true
		case o.Weight > 0 && o.Up, o.Weight < 0 && !o.Up:
			sum += o.Weight
		}
	}
	if sum == 0 {
		return fault, int(base)
	}
	return fault, min(max(int(base)+sum, 1), OwnerPriority-1)
}
