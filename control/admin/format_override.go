package admin

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// overrideMark is what FormatList appends to an overridden server's line:
// "[maint]", "[drain]", "[override: weight 5]", "[override: weight 5 drain]".
func overrideMark(o *Override) string {
	switch {
	case o == nil:
		return ""
	case o.Weight == nil:
		return "[" + o.State + "]"
	}
	return strings.TrimRight("[override: weight "+strconv.FormatUint(uint64(*o.Weight), 10)+" "+o.State, " ") + "]"
}

// FormatOverrides writes every runtime override, the stale ones marked.
func FormatOverrides(w io.Writer, list []Override) error {
	return formatOverrides(w, list, time.Now())
}

func formatOverrides(w io.Writer, list []Override, now time.Time) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "no runtime overrides")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tSERVER\tWEIGHT\tSTATE\tSINCE\tNOTE")
	for _, o := range list {
		weight, state, since, note := "-", o.State, "-", ""
		if o.Weight != nil {
			weight = strconv.FormatUint(uint64(*o.Weight), 10)
		}
		if state == OverrideReady {
			state = "ready"
		}
		if !o.Since.IsZero() {
			since = age(now.Sub(o.Since))
		}
		if o.Stale {
			note = "stale: not in the configuration"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.Service, o.Server, weight, state, since, note)
	}
	return tw.Flush()
}
