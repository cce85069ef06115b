package admin

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// VRRPInstance is one VRRP instance as govsctl vrrp shows it.
type VRRPInstance struct {
	Name               string            `json:"name"`
	VRID               int               `json:"vrid"`
	Port               string            `json:"port"`
	Version            int               `json:"version"`
	State              string            `json:"state"` // INIT, BACKUP, MASTER, FAULT
	Since              time.Time         `json:"since,omitzero"`
	Priority           int               `json:"priority"` // effective
	ConfiguredPriority int               `json:"configured_priority"`
	Master             string            `json:"master,omitempty"` // the last master heard (or us)
	Addresses          []string          `json:"addresses"`
	Transitions        uint64            `json:"transitions"`
	AdvertsSent        uint64            `json:"adverts_sent"`
	AdvertsReceived    uint64            `json:"adverts_received"`
	OtherVRID          uint64            `json:"other_vrid_adverts"`
	SendErrors         uint64            `json:"send_errors"`
	Rejected           map[string]uint64 `json:"rejected"` // by reason

	// Fault: its own tracking holds it in FAULT; GroupFault: another member
	// of its sync group does.
	Fault      bool   `json:"fault,omitempty"`
	GroupFault bool   `json:"group_fault,omitempty"`
	Group      string `json:"group,omitempty"`       // its sync group
	GroupState string `json:"group_state,omitempty"` // the group's state
	// VMAC is the virtual router MAC its addresses use (use_vmac).
	VMAC     string        `json:"vmac,omitempty"`
	Tracking []VRRPTracked `json:"tracking,omitempty"`
}

// VRRPTracked is one object an instance tracks and what it does to it.
type VRRPTracked struct {
	Object string `json:"object"` // port:NAME, script:NAME or dataplane
	Weight int    `json:"weight"` // 0: down is FAULT
	Up     bool   `json:"up"`
}

// VRRPSource is what /v1/vrrp reads; a Source without it has no VRRP.
type VRRPSource interface {
	VRRP() []VRRPInstance
}

func (s *Server) vrrp(w http.ResponseWriter, _ *http.Request) {
	out := []VRRPInstance{}
	if vs, ok := s.src.(VRRPSource); ok {
		out = vs.VRRP()
	}
	writeJSON(w, http.StatusOK, out)
}

// VRRP returns every VRRP instance's state and counters.
func (c *Client) VRRP() ([]VRRPInstance, error) {
	var v []VRRPInstance
	return v, c.getJSON("/v1/vrrp", &v)
}

// FormatVRRP writes one line per instance, then what each tracks, its
// virtual MAC and the rejected adverts by reason.
func FormatVRRP(w io.Writer, ins []VRRPInstance) error {
	return formatVRRP(w, ins, time.Now())
}

func formatVRRP(w io.Writer, ins []VRRPInstance, now time.Time) error {
	if len(ins) == 0 {
		_, err := io.WriteString(w, "no VRRP instances configured\n")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tVRID\tPORT\tVER\tSTATE\tSINCE\tPRIO\tMASTER\tGROUP\tTRANSITIONS\tSENT\tRECEIVED\tREJECTED\tADDRESSES")
	for _, in := range ins {
		since := "-"
		if !in.Since.IsZero() {
			since = age(now.Sub(in.Since))
		}
		prio := fmt.Sprint(in.Priority)
		if in.Priority != in.ConfiguredPriority {
			prio += fmt.Sprintf(" (%d)", in.ConfiguredPriority)
		}
		var rejected uint64
		for _, n := range in.Rejected {
			rejected += n
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\tv%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", in.Name, in.VRID, in.Port, in.Version, vrrpState(in), since, prio,
			dash(in.Master), vrrpGroup(in), in.Transitions, in.AdvertsSent, in.AdvertsReceived, rejected, strings.Join(in.Addresses, ","))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, in := range ins {
		if len(in.Tracking) > 0 {
			fmt.Fprintf(w, "%s: tracking: %s\n", in.Name, formatTracking(in.Tracking))
		}
		if in.VMAC != "" {
			fmt.Fprintf(w, "%s: virtual MAC %s\n", in.Name, in.VMAC)
		}
		var reasons []string
		for r, n := range in.Rejected {
			if n > 0 {
				reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
			}
		}
		sort.Strings(reasons)
		if len(reasons) > 0 || in.OtherVRID > 0 || in.SendErrors > 0 {
			fmt.Fprintf(w, "%s: rejected adverts: %s; other VRIDs: %d; send errors: %d\n", in.Name, dash(strings.Join(reasons, ", ")), in.OtherVRID, in.SendErrors)
		}
	}
	return nil
}

// vrrpState says why a FAULT is held: "FAULT (tracking)", "FAULT (group)".
func vrrpState(in VRRPInstance) string {
	var why []string
	if in.Fault {
		why = append(why, "tracking")
	}
	if in.GroupFault {
		why = append(why, "group")
	}
	if in.State != "FAULT" || len(why) == 0 {
		return in.State
	}
	return in.State + " (" + strings.Join(why, ", ") + ")"
}

func vrrpGroup(in VRRPInstance) string {
	if in.Group == "" {
		return "-"
	}
	return in.Group + " " + dash(in.GroupState)
}

// formatTracking: "port:lan up, script:chk_web down (-20), dataplane up".
func formatTracking(ts []VRRPTracked) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		state := "down"
		if t.Up {
			state = "up"
		}
		parts[i] = t.Object + " " + state
		if t.Weight != 0 {
			parts[i] += fmt.Sprintf(" (%+d)", t.Weight)
		}
	}
	return strings.Join(parts, ", ")
}
