package health

import (
	"net/netip"
	"time"
)

// ServerStatus is a real server's health as last observed.
type ServerStatus struct {
	Service string
	Addr    netip.Addr
	Port    uint16
	Checked bool // false: no check, always up
	Kind    Kind
	Up      bool
	Since   time.Time // when Up last changed (or the server was added)

	LastError    string // why the last check failed; "" after a success
	LastCheck    time.Time
	LastDuration time.Duration
	LastOutcome  string // success, failure or timeout; "" before the first check

	Successes, Failures uint64 // checks since the checker started
	DynamicWeight       int    // -1: none; else the weight a dynamic script gave
}

// ServiceStatus is a service's quorum as last computed.
type ServiceStatus struct {
	Key                string
	QuorumUp           bool
	Since              time.Time
	AliveWeight        uint64 // the weights of the up servers added up
	Quorum, Hysteresis uint32
}

// Event types.
const (
	EventServerUp   = "server_up"
	EventServerDown = "server_down"
	EventQuorumUp   = "quorum_up"
	EventQuorumDown = "quorum_down"
)

// Event is one state change. Addr and Port are zero for quorum events.
type Event struct {
	Time    time.Time
	Type    string
	Service string
	Addr    netip.Addr
	Port    uint16
	Reason  string
}

// Outcomes of one check, as LastOutcome and the outcome metric label.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeTimeout = "timeout"
)
