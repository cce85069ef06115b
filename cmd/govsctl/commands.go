package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"

	"github.com/govs-project/govs/control/admin"
)

// command is one verb. A command gets the arguments after its name, so a
// verb with sub-verbs or flags of its own (realserver setup ...) fits too.
type command struct {
	name    string
	summary string
	run     func(e *env, args []string) error
}

var commands = []command{
	{"list", "list services and real servers (ipvsadm -Ln); the default", show("/v1/services", listText)},
	{"stats", "traffic counters per service and real server (ipvsadm -Ln --stats)", show("/v1/services", statsText)},
	{"status", "daemon state, ports and neighbours", show("/v1/status", statusText)},
	{"lcores", "per-lcore counters and drop reasons", show("/v1/stats", lcoresText)},
	{"checks", "health checkers, their last results and each service's quorum", show("/v1/health", checksText)},
	{"events", "stream health and VRRP state changes (-n N, -for DURATION)", events},
	{"save", "print the running services as ipvsadm -Sn rules (-format yaml: as configuration)", save},
	{"conns", "list connections (ipvsadm -Lnc): -proto, -vip, -server, -client, -state filters", conns},
	{"vrrp", "VRRP instances: state, priority, master, group, tracking, adverts, rejects", show("/v1/vrrp", vrrpText)},
	{"sync", "connection sync: role, peers, records sent and received, drops and rejects by reason, lag", show("/v1/sync", syncText)},
	{"reload", "re-read and apply the configuration file", reload},
	{"server", "runtime override of a real server: set-weight, drain, maint, ready, clear", serverCmd},
	{"overrides", "list the runtime overrides; overrides clear drops them all", overridesCmd},
	{"zero", "zero the listed counters of every service, or of SVC (ipvsadm -Z); /metrics keeps counting", zeroCmd},
	{"rate", "connections, packets and bytes per second per service and real server (ipvsadm -Ln --rate)", show("/v1/services", rateText)},
	{"realserver", "set up this host as a DR/TUN real server: setup, teardown, status", realserverCmd},
	{"import", "convert ipvsadm -Sn output or keepalived.conf to a govs configuration", importCmd},
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// parseOnlyFlags parses a verb's flags and refuses positional arguments;
// a bad flag is a usage error, -h is not.
func parseOnlyFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// noArgs accepts the global flags after the command too (govsctl stats -json)
// and rejects anything else.
func (e *env) noArgs(args []string) error { return parseOnlyFlags(e.flags, args) }

// show builds a read-only command: GET path, then print raw JSON or text.
func show(path string, text func(*env, *admin.Client) error) func(*env, []string) error {
	return func(e *env, args []string) error {
		if err := e.noArgs(args); err != nil {
			return err
		}
		c := admin.Dial(e.socket)
		if e.json {
			body, err := c.Do(http.MethodGet, path)
			if err != nil {
				return err
			}
			_, err = e.stdout.Write(body)
			return err
		}
		return text(e, c)
	}
}

func listText(e *env, c *admin.Client) error {
	svcs, err := c.Services()
	if err != nil {
		return err
	}
	return admin.FormatList(e.stdout, svcs)
}

func statsText(e *env, c *admin.Client) error {
	svcs, err := c.Services()
	if err != nil {
		return err
	}
	return admin.FormatStats(e.stdout, svcs)
}

func statusText(e *env, c *admin.Client) error {
	st, err := c.Status()
	if err != nil {
		return err
	}
	return admin.FormatStatus(e.stdout, st)
}

func lcoresText(e *env, c *admin.Client) error {
	st, err := c.Stats()
	if err != nil {
		return err
	}
	return admin.FormatLcores(e.stdout, st)
}

func reload(e *env, args []string) error {
	if err := e.noArgs(args); err != nil {
		return err
	}
	body, err := admin.Dial(e.socket).Do(http.MethodPost, "/v1/reload")
	if err != nil {
		return err
	}
	if e.json {
		_, err = e.stdout.Write(body)
		return err
	}
	_, err = fmt.Fprintln(e.stdout, "configuration reloaded")
	return err
}
