package admin

import "time"

// Health states of a real server as govsctl shows them.
const (
	HealthUp        = "up"
	HealthDown      = "down"     // failed its check: out of the scheduler
	HealthDraining  = "draining" // failed, inhibit_on_failure: weight 0, its connections continue
	HealthUnchecked = "unchecked"
)

// ServerHealth is one real server's checker and its last results.
type ServerHealth struct {
	Service       string    `json:"service"` // "tcp/10.0.0.10:80"
	Address       string    `json:"address"`
	Port          uint16    `json:"port"`
	Type          string    `json:"type,omitempty"` // the check's type; empty when not checked
	State         string    `json:"state"`          // HealthUp | HealthDown | HealthDraining | HealthUnchecked
	Since         time.Time `json:"since,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	LastCheck     time.Time `json:"last_check,omitzero"`
	LastDuration  float64   `json:"last_duration_ms"`
	LastOutcome   string    `json:"last_outcome,omitempty"`
	Successes     uint64    `json:"successes"`
	Failures      uint64    `json:"failures"`
	DynamicWeight int       `json:"dynamic_weight"` // -1: none (script checks with dynamic: the weight they set)
}

// ServiceHealth is one service's quorum.
type ServiceHealth struct {
	Service     string    `json:"service"`
	QuorumUp    bool      `json:"quorum_up"`
	Since       time.Time `json:"since,omitzero"`
	AliveWeight uint64    `json:"alive_weight"`
	Quorum      uint32    `json:"quorum"`
	Hysteresis  uint32    `json:"hysteresis"`
	SorryActive bool      `json:"sorry_active"` // the sorry server serves in place of the real servers
}

// Health is every checker's state and every service's quorum.
type Health struct {
	Servers  []ServerHealth  `json:"servers"`
	Services []ServiceHealth `json:"services"`
}

// Event is one state change, as streamed by /v1/events.
type Event struct {
	Time    time.Time `json:"time"`
	Type    string    `json:"type"` // server_up, server_down, quorum_up, quorum_down, vrrp_state
	Service string    `json:"service,omitempty"`
	Address string    `json:"address,omitempty"`
	Port    uint16    `json:"port,omitempty"`
	Reason  string    `json:"reason,omitempty"`

	// A vrrp_state event names an instance or a sync group (Group alone),
	// its states before and after (INIT, BACKUP, MASTER, FAULT), the
	// priority and the master heard. Reason names the sync group that
	// forced an instance's change.
	Instance string `json:"instance,omitempty"`
	Group    string `json:"group,omitempty"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	Priority int    `json:"priority,omitempty"`
	Master   string `json:"master,omitempty"`
}

// EventVRRPState is the Type of a VRRP instance's or sync group's
// transition.
const EventVRRPState = "vrrp_state"

// EventSyncRole is the Type of connection sync's role changes: To is
// MASTER (sending) or BACKUP (receiving), Reason what it follows.
const EventSyncRole = "sync_role"

// HealthSource is what the health endpoints read. Subscribe returns a
// channel of events that closes when the daemon stops, and a cancel func.
type HealthSource interface {
	Health() Health
	Subscribe(buf int) (<-chan Event, func())
}
