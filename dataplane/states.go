package dataplane

import "github.com/govs-project/govs/dataplane/fastpath"

// Connection states, IPVS's, as the fast path numbers them (fp_layout.h):
// the indexes of Timeouts.
const (
	StateNone        = fastpath.StateNone
	StateEstablished = fastpath.StateEstablished
	StateSynSent     = fastpath.StateSynSent
	StateSynRecv     = fastpath.StateSynRecv
	StateFinWait     = fastpath.StateFinWait
	StateTimeWait    = fastpath.StateTimeWait
	StateClose       = fastpath.StateClose
	StateCloseWait   = fastpath.StateCloseWait
	StateLastAck     = fastpath.StateLastAck
	StateListen      = fastpath.StateListen
	StateSynAck      = fastpath.StateSynAck
	StateUDP         = fastpath.StateUDP
	NumStates        = fastpath.NumStates
)

// StateName is the IPVS name of a connection state, for listings.
func StateName(s uint8) string { return fastpath.StateName(s) }

// Drop is why the fast path dropped a packet; its String is the metric label.
type Drop = fastpath.Drop

// NumDrops is the number of drop reasons.
const NumDrops = fastpath.NumDrops

// PollGapThresholds are the gap lengths (ns) whose exceedances are counted
// per lcore: a gap longer than an rx ring's worth of traffic (1024
// descriptors at 5 Mpps: 205 us) drops packets on a real NIC.
var PollGapThresholds = fastpath.GapThresholdsNs()

// RPFilter is the reverse-path check mode.
type RPFilter = fastpath.RPFilter

// Punt is why the fast path handed a packet to the slow path.
type Punt = fastpath.Punt
