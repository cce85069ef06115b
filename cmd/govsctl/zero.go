package main

import (
	"fmt"

	"github.com/govs-project/govs/control/admin"
)

// zeroCmd is "govsctl zero [SVC]" (ipvsadm -Z [-t|-u SVC]): it zeroes the
// counters govsctl list, stats and rate show. The Prometheus counters on
// /metrics are not reset: they only grow, as Prometheus requires.
func zeroCmd(e *env, args []string) error {
	svc := ""
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		svc, args = args[0], args[1:]
	}
	if err := e.noArgs(args); err != nil {
		return err
	}
	body, err := admin.Dial(e.socket).ZeroRaw(svc)
	what := "all services"
	if svc != "" {
		what = svc
	}
	return e.reply(body, err, fmt.Sprintf("counters of %s zeroed (listing only; /metrics counters keep counting)", what))
}
