package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/signal"
	"syscall"

	"github.com/govs-project/govs/control/admin"
)

func checksText(e *env, c *admin.Client) error {
	h, err := c.Health()
	if err != nil {
		return err
	}
	return admin.FormatChecks(e.stdout, h)
}

func vrrpText(e *env, c *admin.Client) error {
	v, err := c.VRRP()
	if err != nil {
		return err
	}
	return admin.FormatVRRP(e.stdout, v)
}

var errEnough = errors.New("enough events")

// events streams state changes until interrupted, -n events were printed or
// -for elapsed.
func events(e *env, args []string) error {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	count := fs.Int("n", 0, "stop after `N` events (0: until interrupted)")
	within := fs.Duration("for", 0, "stop after this `duration` (0: until interrupted)")
	fs.BoolVar(&e.json, "json", e.json, "print each event as a JSON line")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *within > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *within)
		defer cancel()
	}
	seen := 0
	err := admin.Dial(e.socket).Events(ctx, func(ev admin.Event) error {
		var err error
		if e.json {
			err = writeJSONLine(e, ev)
		} else {
			err = admin.FormatEvent(e.stdout, ev)
		}
		if err != nil {
			return err
		}
		if seen++; *count > 0 && seen >= *count {
			return errEnough
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		return nil
	}
	return err
}

func writeJSONLine(e *env, ev admin.Event) error {
	b, err := json.Marshal(ev)
	if err == nil {
		_, err = e.stdout.Write(append(b, '\n'))
	}
	return err
}
