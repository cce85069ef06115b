package admin

import (
	"errors"
	"fmt"
	"time"
)

// Operator states of a real server, as HAProxy's runtime API names them.
// Both take the server out of scheduling (weight 0 in the dataplane, as
// IPVS's quiescing): its established connections continue.
const (
	OverrideReady = ""      // no state override: scheduled at its weight
	OverrideDrain = "drain" // no new connections, about to be worked on
	OverrideMaint = "maint" // in maintenance: wins over a health check's "up"
)

// Override actions of POST /v1/servers/override.
const (
	ActionWeight = "weight" // set the weight, keep the state
	ActionDrain  = "drain"
	ActionMaint  = "maint"
	ActionReady  = "ready" // clear drain or maint, keep the weight
)

// MaxWeight is IPVS's largest weight.
const MaxWeight = 65535

// Override is the operator's runtime change to one real server, kept in
// the state file until cleared.
type Override struct {
	Service string    `json:"service"` // as the health API names it: "tcp/10.0.0.10:80"
	Server  string    `json:"server"`  // "10.1.0.11:8080"
	Weight  *uint32   `json:"weight,omitempty"`
	State   string    `json:"state,omitempty"` // OverrideDrain | OverrideMaint | "" (ready)
	Since   time.Time `json:"since,omitzero"`
	// Stale: the configuration no longer has this service or server; the
	// override is kept (it applies again if the server comes back) until
	// cleared.
	Stale bool `json:"stale,omitempty"`
}

// OverrideRequest is the body of POST /v1/servers/override. Service is a
// service's name, "tcp/VIP:port", or "VIP:port" when one protocol has it.
type OverrideRequest struct {
	Service string  `json:"service"`
	Server  string  `json:"server"`
	Action  string  `json:"action"`
	Weight  *uint32 `json:"weight,omitempty"` // required by ActionWeight
}

// Validate checks what needs no configuration to check.
func (r OverrideRequest) Validate() error {
	switch {
	case r.Service == "":
		return errors.New("service: required (a name, tcp/VIP:port or VIP:port)")
	case r.Server == "":
		return errors.New("server: required (ip:port)")
	}
	switch r.Action {
	case ActionWeight:
		if r.Weight == nil {
			return errors.New("weight: required by action weight")
		}
		if *r.Weight > MaxWeight {
			return fmt.Errorf("weight: %d is out of range 0..%d", *r.Weight, MaxWeight)
		}
	case ActionDrain, ActionMaint, ActionReady:
		if r.Weight != nil {
			return fmt.Errorf("weight: not taken by action %s (use action weight)", r.Action)
		}
	default:
		return fmt.Errorf("action: %q is not one of weight, drain, maint, ready", r.Action)
	}
	return nil
}

// NotFoundError is an override request naming a service, server or
// override that does not exist: the API answers 404.
type NotFoundError struct{ Msg string }

func (e *NotFoundError) Error() string { return e.Msg }

// BadRequestError is an override request the configuration makes
// meaningless (an ambiguous service): the API answers 400.
type BadRequestError struct{ Msg string }

func (e *BadRequestError) Error() string { return e.Msg }

// OverrideSource is what the override endpoints use of the daemon.
type OverrideSource interface {
	Overrides() []Override
	SetOverride(OverrideRequest) (Override, error)
	// ClearOverride drops one server's override; service as in
	// OverrideRequest.
	ClearOverride(service, server string) error
	// ClearOverrides drops every override and returns how many there were.
	ClearOverrides() (int, error)
}
