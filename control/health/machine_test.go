package health

import "testing"

func TestMachine(t *testing.T) {
	cases := []struct {
		name       string
		rise, fall uint32
		alpha      bool
		results    string // + success, - failure
		want       string // state after each result: U up, D down
		changes    string // ^ where the state changed
	}{
		{"starts up, stays up", 1, 1, false, "+++", "UUU", "   "},
		{"fall 1", 1, 1, false, "+-+", "UDU", " ^^"},
		{"fall 3 needs consecutive failures", 1, 3, false, "--+---", "UUUUUD", "     ^"},
		{"rise 2 needs consecutive successes", 2, 1, false, "-+-++", "DDDDU", "^   ^"},
		{"rise 0 counts as 1", 0, 0, false, "-+", "DU", "^^"},
		{"alpha starts down, first success is enough", 3, 2, true, "-+", "DU", " ^"},
		{"alpha: rise applies once it was up", 3, 1, true, "+-++++", "UDDDUU", "^^  ^ "},
		{"a success while failing resets the count", 1, 2, false, "-+-+--", "UUUUUD", "     ^"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMachine(&Check{Rise: tc.rise, Fall: tc.fall}, tc.alpha)
			var got, changes []byte
			for _, r := range []byte(tc.results) {
				changed := m.observe(r == '+')
				got = append(got, "DU"[b2i(m.up)])
				changes = append(changes, " ^"[b2i(changed)])
			}
			if string(got) != tc.want || string(changes) != tc.changes {
				t.Errorf("results %s: states %s changes %q, want %s %q", tc.results, got, changes, tc.want, tc.changes)
			}
		})
	}
}

func TestMachineFailing(t *testing.T) {
	m := newMachine(&Check{Fall: 3}, false)
	steps := []struct {
		ok      bool
		failing bool
	}{{false, true}, {false, true}, {false, false /* down now */}, {false, false}, {true, false}}
	for i, s := range steps {
		m.observe(s.ok)
		if m.failing() != s.failing {
			t.Errorf("step %d: failing %v, want %v", i, m.failing(), s.failing)
		}
	}
}

func TestQuorumAfter(t *testing.T) {
	cases := []struct {
		up          bool
		alive       uint64
		quorum, hys uint32
		want        bool
	}{
		{false, 1, 1, 0, true},
		{false, 0, 1, 0, false},
		{true, 0, 1, 0, false},
		{false, 3, 3, 1, false}, // needs quorum + hysteresis = 4 to come up
		{false, 4, 3, 1, true},
		{true, 2, 3, 1, true}, // stays up down to quorum - hysteresis = 2
		{true, 1, 3, 1, false},
		{true, 0, 1, 1, false}, // at zero weight the quorum is always lost
		{true, 1, 1, 1, true},
	}
	for _, tc := range cases {
		if got := quorumAfter(tc.up, tc.alive, tc.quorum, tc.hys); got != tc.want {
			t.Errorf("quorumAfter(up=%v, alive=%d, quorum=%d, hysteresis=%d) = %v, want %v",
				tc.up, tc.alive, tc.quorum, tc.hys, got, tc.want)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
