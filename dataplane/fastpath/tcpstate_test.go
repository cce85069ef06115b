package fastpath

import "testing"

const (
	tcpSyn    = FlagSYN
	tcpSynAck = FlagSYN | FlagACK
	tcpAck    = FlagACK
	tcpFinAck = FlagFIN | FlagACK
	tcpRst    = FlagRST
	tcpRstAck = FlagRST | FlagACK
	tcpPsh    = 0x08 // no state-changing flag
)

// tcpStep is one packet of a connection and the state it must leave.
type tcpStep struct {
	fromClient bool
	flags      uint8
	want       uint8
}

// runTCPSteps plays steps from NONE; replies use TCPOutput, client packets
// the table given (TCPInput for NAT, TCPInputOnly for DR and TUN).
func runTCPSteps(t *testing.T, name string, clientTable TCPTable, steps []tcpStep) {
	t.Helper()
	s := uint8(StateNone)
	for i, st := range steps {
		table := TCPOutput
		if st.fromClient {
			table = clientTable
		}
		got := NextTCPState(s, table, st.flags)
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
		steps []tcpStep
	}{
		{"client closes first", []tcpStep{
			{c, tcpSyn, StateSynRecv}, {s, tcpSynAck, StateSynRecv}, {c, tcpAck, StateEstablished},
			{c, tcpAck, StateEstablished}, {s, tcpAck, StateEstablished}, {c, tcpPsh, StateEstablished},
			{c, tcpFinAck, StateCloseWait}, {s, tcpAck, StateCloseWait},
			{s, tcpFinAck, StateTimeWait}, {c, tcpAck, StateTimeWait},
		}},
		{"server closes first", []tcpStep{
			{c, tcpSyn, StateSynRecv}, {s, tcpSynAck, StateSynRecv}, {c, tcpAck, StateEstablished},
			{s, tcpFinAck, StateFinWait}, {c, tcpAck, StateFinWait},
			{c, tcpFinAck, StateTimeWait}, {s, tcpAck, StateTimeWait},
		}},
		{"client reset", []tcpStep{
			{c, tcpSyn, StateSynRecv}, {s, tcpSynAck, StateSynRecv}, {c, tcpAck, StateEstablished},
			{c, tcpRstAck, StateClose},
		}},
		{"server reset", []tcpStep{
			{c, tcpSyn, StateSynRecv}, {s, tcpSynAck, StateSynRecv}, {c, tcpAck, StateEstablished},
			{s, tcpRst, StateClose},
		}},
		{"server refuses", []tcpStep{{c, tcpSyn, StateSynRecv}, {s, tcpRstAck, StateClose}}},
		{"stray tcpAck creates nothing", []tcpStep{{c, tcpAck, StateClose}}},
	} {
		runTCPSteps(t, tc.name, TCPInput, tc.steps)
	}
}

func TestTCPStatesInputOnly(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []tcpStep
	}{
		{"handshake, data, close", []tcpStep{
			{true, tcpSyn, StateSynRecv}, {true, tcpAck, StateEstablished}, {true, tcpAck, StateEstablished},
			{true, tcpFinAck, StateFinWait}, {true, tcpAck, StateFinWait},
		}},
		{"reset", []tcpStep{{true, tcpSyn, StateSynRecv}, {true, tcpAck, StateEstablished}, {true, tcpRst, StateClose}}},
		{"rst beats syn", []tcpStep{{true, tcpSyn | tcpRst, StateClose}}},
	} {
		runTCPSteps(t, tc.name, TCPInputOnly, tc.steps)
	}
}

func TestTCPStateEdges(t *testing.T) {
	for _, table := range []TCPTable{TCPInput, TCPOutput, TCPInputOnly} {
		if got := NextTCPState(StateUDP, table, tcpSyn); got != StateUDP {
			t.Errorf("table %d: UDP state changed to %s", table, StateName(got))
		}
		if got := NextTCPState(200, table, tcpAck); got != 200 {
			t.Errorf("table %d: invalid state changed to %d", table, got)
		}
		for s := range uint8(StateUDP) {
			if got := NextTCPState(s, table, tcpPsh); got != s {
				t.Errorf("table %d: a packet without SYN/FIN/ACK/RST moved %s to %s", table, StateName(s), StateName(got))
			}
		}
	}
	if got := NextTCPState(StateEstablished, TCPInput, tcpSyn|tcpFinAck); got != StateEstablished {
		t.Errorf("syn should beat fin: got %s", StateName(got))
	}
	if got := NextTCPState(StateEstablished, TCPInputOnly+1, tcpRst); got != StateEstablished {
		t.Errorf("an unknown table changed the state to %s", StateName(got))
	}
	names := map[uint8]string{StateNone: "NONE", StateEstablished: "ESTABLISHED", StateSynRecv: "SYN_RECV",
		StateSynAck: "SYNACK", StateUDP: "UDP", 200: "ERR!"}
	for s, want := range names {
		if got := StateName(s); got != want {
			t.Errorf("StateName(%d) = %q, want %q", s, got, want)
		}
	}
	for s := range uint8(NumStates) {
		if StateActive(s) != (s == StateEstablished) {
			t.Errorf("StateActive(%s) = %v", StateName(s), StateActive(s))
		}
	}
}

// TestTCPTablesMatchIPVS compares every cell of fp_tcp.c's tables with
// IPVS's tcp_states (ip_vs_proto_tcp.c), one row per most significant flag.
func TestTCPTablesMatchIPVS(t *testing.T) {
	const (
		NO = StateNone
		ES = StateEstablished
		SS = StateSynSent
		SR = StateSynRecv
		FW = StateFinWait
		TW = StateTimeWait
		CL = StateClose
		CW = StateCloseWait
		LA = StateLastAck
		LI = StateListen
		SA = StateSynAck
	)
	rows := []uint8{tcpSyn, FlagFIN, tcpAck, tcpRst}
	ipvs := map[TCPTable][4][StateUDP]uint8{ // rows SYN, FIN, ACK, RST
		TCPInput: {
			// NO ES  SS  SR  FW  TW  CL  CW  LA  LI  SA
			{SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR},
			{CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, TW},
			{CL, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES},
			{CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, SR},
		},
		TCPOutput: {
			{SS, ES, SS, SR, SS, SS, SS, SS, SS, LI, SR},
			{TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW},
			{ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES},
			{CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL},
		},
		TCPInputOnly: {
			{SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR},
			{CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW},
			{CL, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES},
			{CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL},
		},
	}
	for table, want := range ipvs {
		for r, flags := range rows {
			for cur := range uint8(StateUDP) {
				if got := NextTCPState(cur, table, flags); got != want[r][cur] {
					t.Errorf("table %d, flags %#x, from %s: %s, IPVS has %s", table, flags, StateName(cur), StateName(got), StateName(want[r][cur]))
				}
			}
		}
	}
}
