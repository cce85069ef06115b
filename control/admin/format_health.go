package admin

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// healthColumn is what FormatList appends to a real server's line: its
// health and for how long, the last error of a failed one, or "sorry".
func healthColumn(rs RealServer, now time.Time) string {
	if rs.Health == "" {
		if rs.Sorry {
			return "sorry"
		}
		return ""
	}
	s := rs.Health
	if !rs.HealthSince.IsZero() {
		s += " " + age(now.Sub(rs.HealthSince))
	}
	if rs.Health != HealthUp && rs.HealthError != "" {
		s += " (" + rs.HealthError + ")"
	}
	if rs.Sorry {
		s = "sorry " + s
	}
	return s
}

// age is a short duration: 850ms, 42s, 3m12s, 5h3m, 2d4h.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	}
	days := int(d / (24 * time.Hour))
	return fmt.Sprintf("%dd%dh", days, int((d-time.Duration(days)*24*time.Hour)/time.Hour))
}

// FormatChecks writes every checker with its last result, then the
// quorum of every service that has checks.
func FormatChecks(w io.Writer, h Health) error {
	return formatChecks(w, h, time.Now())
}

func formatChecks(w io.Writer, h Health, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tSERVER\tCHECK\tSTATE\tSINCE\tLAST\tTOOK\tRESULT\tOK\tFAILED\tERROR")
	servers := slices.Clone(h.Servers)
	slices.SortStableFunc(servers, func(a, b ServerHealth) int {
		return cmp.Or(strings.Compare(a.Service, b.Service), compareAddr(a.Address, b.Address), cmp.Compare(a.Port, b.Port))
	})
	for _, s := range servers {
		last, took := "-", "-"
		if !s.LastCheck.IsZero() {
			last = age(now.Sub(s.LastCheck)) + " ago"
			took = fmt.Sprintf("%.1fms", s.LastDuration)
		}
		since := "-"
		if !s.Since.IsZero() {
			since = age(now.Sub(s.Since))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", s.Service, hostPort(s.Address, s.Port), dash(s.Type), s.State, since,
			last, took, dash(s.LastOutcome), s.Successes, s.Failures, dash(s.LastError))
	}
	if len(h.Services) > 0 {
		fmt.Fprintln(tw, "\nSERVICE\tQUORUM\tSINCE\tALIVE WEIGHT\tNEEDED\tHYSTERESIS\tSORRY SERVER")
		for _, s := range h.Services {
			state := "up"
			if !s.QuorumUp {
				state = "lost"
			}
			since := "-"
			if !s.Since.IsZero() {
				since = age(now.Sub(s.Since))
			}
			sorry := "-"
			if s.SorryActive {
				sorry = "serving"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", s.Service, state, since, s.AliveWeight, s.Quorum, s.Hysteresis, sorry)
		}
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// FormatEvent writes one event as a line: time, type, service, server,
// reason; for VRRP: time, type, instance or group, from->to, priority,
// master, reason.
func FormatEvent(w io.Writer, ev Event) error {
	var b strings.Builder
	b.WriteString(ev.Time.Format("2006-01-02T15:04:05.000Z07:00"))
	b.WriteString(" " + ev.Type)
	if ev.Type == EventVRRPState {
		writeVRRPEvent(&b, ev)
	} else {
		b.WriteString(" " + ev.Service)
	}
	if ev.Address != "" {
		b.WriteString(" " + hostPort(ev.Address, ev.Port))
	}
	if ev.Reason != "" {
		b.WriteString(" (" + ev.Reason + ")")
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// writeVRRPEvent: "VI_1 BACKUP->MASTER priority 150 master 10.0.0.1", a
// group as "group G_NAT BACKUP->MASTER".
func writeVRRPEvent(b *strings.Builder, ev Event) {
	if ev.Instance != "" {
		b.WriteString(" " + ev.Instance)
	} else {
		b.WriteString(" group " + ev.Group)
	}
	b.WriteString(" " + ev.From + "->" + ev.To)
	if ev.Priority != 0 {
		fmt.Fprintf(b, " priority %d", ev.Priority)
	}
	if ev.Master != "" {
		b.WriteString(" master " + ev.Master)
	}
}
