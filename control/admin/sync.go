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

// SyncStatus is the connection sync daemon as govsctl sync shows it.
type SyncStatus struct {
	Enabled bool   `json:"enabled"`
	Role    string `json:"role,omitempty"`    // master, backup, off
	Follows string `json:"follows,omitempty"` // "instance VI_WAN", "group G", "role"
	SyncID  int    `json:"sync_id"`
	Port    string `json:"port,omitempty"`
	// Interface is the port's kernel-side interface the messages use.
	Interface     string       `json:"interface,omitempty"`
	Group         string       `json:"group,omitempty"` // multicast; empty with Peers
	Peers         []string     `json:"peers,omitempty"` // unicast
	UDPPort       int          `json:"udp_port,omitempty"`
	Authenticated bool         `json:"authenticated"`
	Since         time.Time    `json:"since,omitzero"` // in Role since
	Sender        SyncSender   `json:"sender,omitzero"`
	Receiver      SyncReceiver `json:"receiver,omitzero"`
}

// SyncSender counts what the sender sent and what it could not.
type SyncSender struct {
	Messages      uint64    `json:"messages"`
	Records       uint64    `json:"records"`
	Bytes         uint64    `json:"bytes"`
	ResyncRecords uint64    `json:"resync_records"`
	ResyncRuns    uint64    `json:"resync_runs"`
	Queued        int       `json:"queued"`
	ResyncQueued  int       `json:"resync_queued"`
	LagMs         float64   `json:"lag_ms"` // age of the oldest queued record
	LastResync    time.Time `json:"last_resync,omitzero"`
	// Dropped are records lost, by reason: queue_full, ring_full, send_error.
	Dropped map[string]uint64 `json:"dropped,omitempty"`
}

// SyncReceiver counts what the receiver accepted and refused.
type SyncReceiver struct {
	Messages    uint64            `json:"messages"`
	Records     uint64            `json:"records"`
	Inserted    uint64            `json:"inserted"`
	Rejected    map[string]uint64 `json:"rejected,omitempty"` // messages and records, by reason
	LastMessage time.Time         `json:"last_message,omitzero"`
	Peers       []SyncPeer        `json:"peers,omitempty"`
}

// SyncPeer is one director we received messages from.
type SyncPeer struct {
	Address  string    `json:"address"`
	Messages uint64    `json:"messages"`
	LastSeq  uint64    `json:"last_seq"` // authenticated messages only
	LastSeen time.Time `json:"last_seen,omitzero"`
}

// SyncSource is what /v1/sync reads; a Source without it has no sync.
type SyncSource interface {
	Sync() SyncStatus
}

func (s *Server) sync(w http.ResponseWriter, _ *http.Request) {
	st := SyncStatus{}
	if ss, ok := s.src.(SyncSource); ok {
		st = ss.Sync()
	}
	if !st.Enabled {
		writeJSON(w, http.StatusOK, map[string]bool{"enabled": false})
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// Sync returns the connection sync daemon's role and counters.
func (c *Client) Sync() (SyncStatus, error) {
	var st SyncStatus
	return st, c.getJSON("/v1/sync", &st)
}

// FormatSync writes the role, where messages go, the sender's and the
// receiver's counters, drops and rejects by reason, and the peers heard.
func FormatSync(w io.Writer, st SyncStatus) error {
	return formatSync(w, st, time.Now())
}

func formatSync(w io.Writer, st SyncStatus, now time.Time) error {
	if !st.Enabled {
		_, err := io.WriteString(w, "connection sync not configured\n")
		return err
	}
	ago := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return age(now.Sub(t)) + " ago"
	}
	role := st.Role
	if !st.Since.IsZero() {
		role += " since " + age(now.Sub(st.Since))
	}
	follows := "fixed role"
	if st.Follows != "" && st.Follows != "role" {
		follows = "follows " + st.Follows
	}
	auth := "none (IPVS messages, unauthenticated)"
	if st.Authenticated {
		auth = "HMAC with sequence numbers"
	}
	s, r := st.Sender, st.Receiver
	fmt.Fprintf(w, "role:     %s (%s), sync id %d\n", role, follows, st.SyncID)
	fmt.Fprintf(w, "port:     %s (interface %s) to %s\n", st.Port, dash(st.Interface), syncDestination(st))
	fmt.Fprintf(w, "auth:     %s\n", auth)
	fmt.Fprintf(w, "sent:     %d messages, %d records, %d bytes; queued %d, lag %s\n",
		s.Messages, s.Records, s.Bytes, s.Queued, lag(s.LagMs))
	fmt.Fprintf(w, "resync:   %d runs, %d records, queued %d, last %s\n", s.ResyncRuns, s.ResyncRecords, s.ResyncQueued, ago(s.LastResync))
	fmt.Fprintf(w, "dropped:  %s\n", byReason(s.Dropped))
	fmt.Fprintf(w, "received: %d messages, %d records, %d inserted, last %s\n", r.Messages, r.Records, r.Inserted, ago(r.LastMessage))
	fmt.Fprintf(w, "rejected: %s\n", byReason(r.Rejected))
	if len(r.Peers) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PEER\tMESSAGES\tLAST SEQ\tLAST SEEN")
	for _, p := range r.Peers {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", p.Address, p.Messages, p.LastSeq, ago(p.LastSeen))
	}
	return tw.Flush()
}

// lag keeps a tenth of a millisecond: sync lag is mostly below 10ms.
func lag(ms float64) string {
	d := time.Duration(ms * float64(time.Millisecond))
	if d < time.Second {
		return d.Round(100 * time.Microsecond).String()
	}
	return age(d)
}

// syncDestination: "224.0.0.81:8848" or "10.0.0.2:8848, 10.0.0.3:8848".
func syncDestination(st SyncStatus) string {
	if len(st.Peers) == 0 {
		return fmt.Sprintf("%s:%d", dash(st.Group), st.UDPPort)
	}
	out := make([]string, len(st.Peers))
	for i, p := range st.Peers {
		out[i] = fmt.Sprintf("%s:%d", p, st.UDPPort)
	}
	return strings.Join(out, ", ")
}

// byReason: "auth 2, sync_id 1" sorted by reason, zeros left out; "none".
func byReason(m map[string]uint64) string {
	var parts []string
	for reason, n := range m {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", reason, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
