package vrrp

import "testing"

func TestEffective(t *testing.T) {
	up := func(w int) Tracked { return Tracked{Name: "x", Weight: w, Up: true} }
	down := func(w int) Tracked { return Tracked{Name: "x", Weight: w} }
	cases := []struct {
		name      string
		base      uint8
		objs      []Tracked
		wantFault bool
		wantPrio  int
	}{
		{"nothing tracked", 100, nil, false, 100},
		{"weight 0 up", 100, []Tracked{up(0)}, false, 100},
		{"weight 0 down is fault", 100, []Tracked{down(0)}, true, 100},
		{"one of several weight 0 down", 100, []Tracked{up(0), down(0), up(0)}, true, 100},
		{"positive up adds", 100, []Tracked{up(20)}, false, 120},
		{"positive down adds nothing", 100, []Tracked{down(20)}, false, 100},
		{"negative down subtracts", 100, []Tracked{down(-30)}, false, 70},
		{"negative up subtracts nothing", 100, []Tracked{up(-30)}, false, 100},
		{"weights sum", 100, []Tracked{up(10), up(5), down(-20), down(7), up(-3)}, false, 95},
		{"fault and weights", 100, []Tracked{down(0), down(-20)}, true, 80},
		{"clamped to 254", 200, []Tracked{up(100)}, false, 254},
		{"clamped at the widest weight", 1, []Tracked{up(254), up(254)}, false, 254},
		{"clamped to 1", 50, []Tracked{down(-254)}, false, 1},
		{"owner untouched stays 255", 255, []Tracked{down(20), up(-20), up(0)}, false, 255},
		{"owner lowered", 255, []Tracked{down(-10)}, false, 245},
		{"owner raised is clamped below 255", 255, []Tracked{up(10)}, false, 254},
		{"owner fault", 255, []Tracked{down(0)}, true, 255},
		{"weights cancelling leave the base", 100, []Tracked{up(10), down(-10)}, false, 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fault, prio := Effective(c.base, c.objs)
			if fault != c.wantFault || prio != c.wantPrio {
				t.Errorf("Effective(%d, %+v) = %v, %d; want %v, %d", c.base, c.objs, fault, prio, c.wantFault, c.wantPrio)
			}
		})
	}
}

func TestCheckWeight(t *testing.T) {
	for w, ok := range map[int]bool{0: true, 254: true, -254: true, 255: false, -255: false, 1000: false} {
		if err := CheckWeight(w); (err == nil) != ok {
			t.Errorf("CheckWeight(%d) = %v, want ok %v", w, err, ok)
		}
	}
}
