package conntrack

import "testing"

const (
	syn    = FlagSYN
	synack = FlagSYN | FlagACK
	ack    = FlagACK
	finack = FlagFIN | FlagACK
	rst    = FlagRST
	rstack = FlagRST | FlagACK
	psh    = 0x08 // no state-changing flag
)

type step struct {
	fromClient bool
	flags      uint8
	want       uint8
}

func runSteps(t *testing.T, name string, steps []step, next func(cur uint8, fromClient bool, flags uint8) uint8) {
	t.Helper()
	s := StateNone
	for i, st := range steps {
		got := next(s, st.fromClient, st.flags)
		if got != st.want {
			t.Fatalf("%s step %d (client=%v flags=%#x) from %s: got %s, want %s",
				name, i, st.fromClient, st.flags, StateName(s), StateName(got), StateName(st.want))
		}
		s = got
	}
}

func TestTCPStatesNAT(t *testing.T) {
	const c, s = true, false
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"client closes first", []step{
			{c, syn, StateSynRecv}, {s, synack, StateSynRecv}, {c, ack, StateEstablished},
			{c, ack, StateEstablished}, {s, ack, StateEstablished}, {c, psh, StateEstablished},
			{c, finack, StateCloseWait}, {s, ack, StateCloseWait},
			{s, finack, StateTimeWait}, {c, ack, StateTimeWait},
		}},
		{"server closes first", []step{
			{c, syn, StateSynRecv}, {s, synack, StateSynRecv}, {c, ack, StateEstablished},
			{s, finack, StateFinWait}, {c, ack, StateFinWait},
			{c, finack, StateTimeWait}, {s, ack, StateTimeWait},
		}},
		{"client reset", []step{
			{c, syn, StateSynRecv}, {s, synack, StateSynRecv}, {c, ack, StateEstablished},
			{c, rstack, StateClose},
		}},
		{"server reset", []step{
			{c, syn, StateSynRecv}, {s, synack, StateSynRecv}, {c, ack, StateEstablished},
			{s, rst, StateClose},
		}},
		{"server refuses", []step{{c, syn, StateSynRecv}, {s, rstack, StateClose}}},
		{"stray ack creates nothing", []step{{c, ack, StateClose}}},
	} {
		runSteps(t, tc.name, tc.steps, NextTCPState)
	}
}

func TestTCPStatesInputOnly(t *testing.T) {
	in := func(cur uint8, _ bool, flags uint8) uint8 { return NextTCPStateInputOnly(cur, flags) }
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"handshake, data, close", []step{
			{true, syn, StateSynRecv}, {true, ack, StateEstablished}, {true, ack, StateEstablished},
			{true, finack, StateFinWait}, {true, ack, StateFinWait},
		}},
		{"reset", []step{{true, syn, StateSynRecv}, {true, ack, StateEstablished}, {true, rst, StateClose}}},
		{"rst beats syn", []step{{true, syn | rst, StateClose}}},
	} {
		runSteps(t, tc.name, tc.steps, in)
	}
}

func TestTCPStateEdges(t *testing.T) {
	if got := NextTCPState(StateUDP, true, syn); got != StateUDP {
		t.Errorf("UDP state changed to %s", StateName(got))
	}
	if got := NextTCPState(200, false, ack); got != 200 {
		t.Errorf("invalid state changed to %d", got)
	}
	if got := NextTCPState(StateEstablished, true, syn|finack); got != StateEstablished {
		t.Errorf("syn should beat fin: got %s", StateName(got))
	}
	names := map[uint8]string{StateNone: "NONE", StateEstablished: "ESTABLISHED", StateSynRecv: "SYN_RECV",
		StateSynAck: "SYNACK", StateUDP: "UDP", 200: "ERR!"}
	for s, want := range names {
		if got := StateName(s); got != want {
			t.Errorf("StateName(%d) = %q, want %q", s, got, want)
		}
	}
	for s := uint8(0); s < NumStates; s++ {
		if IsActive(s) != (s == StateEstablished) {
			t.Errorf("IsActive(%s) = %v", StateName(s), IsActive(s))
		}
		if DefaultTimeouts[s] == 0 {
			t.Errorf("no default timeout for %s", StateName(s))
		}
	}
	if DefaultTimeouts.Of(StateEstablished) != 900_000 || DefaultTimeouts.Of(StateUDP) != 300_000 ||
		DefaultTimeouts.Of(250) != 2000 {
		t.Error("unexpected default timeouts")
	}
}
