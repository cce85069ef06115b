package conntrack

// Connection states. The TCP ones are IPVS's, in IPVS's order, so the
// transition table reads like the kernel's.
const (
	StateNone uint8 = iota
	StateEstablished
	StateSynSent
	StateSynRecv
	StateFinWait
	StateTimeWait
	StateClose
	StateCloseWait
	StateLastAck
	StateListen
	StateSynAck
	StateUDP // any UDP flow (IPVS has a single UDP state)

	NumStates // number of states; sizes Timeouts
)

const numTCPStates = StateUDP

// TCP header flag bits as they appear in the flags byte.
const (
	FlagFIN uint8 = 0x01
	FlagSYN uint8 = 0x02
	FlagRST uint8 = 0x04
	FlagACK uint8 = 0x10
)

var stateNames = [NumStates]string{
	"NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT",
	"CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK", "UDP",
}

// StateName returns IPVS's name for a state, as ipvsadm -lc prints it.
func StateName(s uint8) string {
	if s < NumStates {
		return stateNames[s]
	}
	return "ERR!"
}

// IsActive reports whether a conn in state s counts as active (ipvsadm's
// ActiveConn); all others, UDP included, count as InActConn, as in IPVS.
func IsActive(s uint8) bool { return s == StateEstablished }

// Timeouts holds the idle timeout in milliseconds for each state.
type Timeouts [NumStates]uint32

// Of returns the timeout for state s; unknown states get NONE's timeout so
// that a corrupt state cannot keep a conn alive.
func (t *Timeouts) Of(s uint8) uint32 {
	if s < NumStates {
		return t[s]
	}
	return t[StateNone]
}

const sec = 1000

// DefaultTimeouts are IPVS's default timeouts.
var DefaultTimeouts = Timeouts{
	StateNone:        2 * sec,
	StateEstablished: 15 * 60 * sec,
	StateSynSent:     2 * 60 * sec,
	StateSynRecv:     60 * sec,
	StateFinWait:     2 * 60 * sec,
	StateTimeWait:    2 * 60 * sec,
	StateClose:       10 * sec,
	StateCloseWait:   60 * sec,
	StateLastAck:     30 * sec,
	StateListen:      2 * 60 * sec,
	StateSynAck:      2 * 60 * sec,
	StateUDP:         5 * 60 * sec,
}
