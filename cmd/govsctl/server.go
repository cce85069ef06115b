package main

import (
	"fmt"
	"strconv"

	"github.com/govs-project/govs/control/admin"
)

// serverVerbs maps "govsctl server VERB" to the API's action; clear is
// not an action (it deletes the override).
var serverVerbs = map[string]string{
	"set-weight": admin.ActionWeight,
	"drain":      admin.ActionDrain,
	"maint":      admin.ActionMaint,
	"ready":      admin.ActionReady,
	"clear":      "",
}

const serverUsage = "server set-weight SVC SERVER WEIGHT | drain|maint|ready|clear SVC SERVER " +
	"(SVC: the service's name, tcp/VIP:port or VIP:port; SERVER: ip:port)"

// serverCmd is "govsctl server VERB SVC SERVER [WEIGHT]": the runtime
// overrides of HAProxy's "set server", kept by govsd across reloads and
// restarts until cleared.
func serverCmd(e *env, args []string) error {
	if len(args) == 0 {
		return usageError{serverUsage}
	}
	verb, args := args[0], args[1:]
	action, ok := serverVerbs[verb]
	if !ok {
		return usageError{fmt.Sprintf("unknown server verb %q; %s", verb, serverUsage)}
	}
	want := 2
	if action == admin.ActionWeight {
		want = 3
	}
	if len(args) < want {
		return usageError{serverUsage}
	}
	if err := e.noArgs(args[want:]); err != nil {
		return err
	}
	c := admin.Dial(e.socket)
	svc, server := args[0], args[1]
	if verb == "clear" {
		body, err := c.ClearOverrideRaw(svc, server)
		return e.reply(body, err, fmt.Sprintf("override of %s in %s cleared", server, svc))
	}
	req := admin.OverrideRequest{Service: svc, Server: server, Action: action}
	if action == admin.ActionWeight {
		w, err := strconv.ParseUint(args[2], 10, 32)
		if err != nil || w > admin.MaxWeight {
			return usageError{fmt.Sprintf("weight %q is not a number in 0..%d", args[2], admin.MaxWeight)}
		}
		w32 := uint32(w)
		req.Weight = &w32
	}
	body, err := c.SetOverrideRaw(req)
	if err != nil {
		return err
	}
	return e.reply(body, nil, fmt.Sprintf("%s %s: %s", svc, server, verb))
}

// overridesCmd is "govsctl overrides [clear]".
func overridesCmd(e *env, args []string) error {
	c := admin.Dial(e.socket)
	if len(args) > 0 && args[0] == "clear" {
		if err := e.noArgs(args[1:]); err != nil {
			return err
		}
		body, err := c.ClearOverridesRaw()
		if err != nil {
			return err
		}
		n, err := admin.Cleared(body)
		return e.reply(body, err, fmt.Sprintf("%d runtime overrides cleared", n))
	}
	return show("/v1/overrides", func(e *env, c *admin.Client) error {
		list, err := c.Overrides()
		if err != nil {
			return err
		}
		return admin.FormatOverrides(e.stdout, list)
	})(e, args)
}

// reply prints body with -json, else text.
func (e *env) reply(body []byte, err error, text string) error {
	if err != nil {
		return err
	}
	if e.json {
		_, err = e.stdout.Write(body)
		return err
	}
	_, err = fmt.Fprintln(e.stdout, text)
	return err
}
