package main

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/govs-project/govs/control/realserver"
)

// realserverCmd is "govsctl realserver setup|teardown|status": it prepares
// the host it runs on (not govsd) as a DR or TUN real server. The hidden
// verb "decap" is the userspace IPIP decapsulator that "setup --mode tun"
// starts in the background.
func realserverCmd(e *env, args []string) error {
	if len(args) == 0 {
		return usageError{"realserver needs a verb: setup, teardown or status"}
	}
	verb, args := args[0], args[1:]
	var o realserver.Options
	var mode, decap string
	var vips vipFlag
	var jsonOut bool
	fs := flag.NewFlagSet("govsctl realserver "+verb, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Var(&vips, "vip", "virtual `address` (repeat, or comma-separate, for several)")
	fs.StringVar(&o.StateDir, "state-dir", "", "`dir`ectory of the state files (default "+realserver.DefaultStateBase+", plus /netns-NAME inside a named network namespace)")
	switch verb {
	case "setup":
		fs.StringVar(&mode, "mode", "", "forwarding method this host serves: dr or tun")
		fs.StringVar(&decap, "decap", string(realserver.DecapAuto), "tun: IPIP decapsulation by kernel ipip (tunl0), user (userspace decapsulator), or auto")
		fs.StringVar(&o.Tun, "tun", realserver.DefaultTun, "tun: TUN device of the userspace decapsulator")
	case "teardown", "status":
		fs.StringVar(&mode, "mode", "", "dr or tun (default both)")
		if verb == "status" {
			fs.BoolVar(&jsonOut, "json", e.json, "print JSON")
		}
	case "decap":
		return decapCmd(e, fs, &vips, args)
	default:
		return usageError{fmt.Sprintf("unknown realserver verb %q: want setup, teardown or status", verb)}
	}
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	o.VIPs = vips
	var err error
	if mode != "" {
		if o.Mode, err = realserver.ParseMode(mode); err != nil {
			return usageError{err.Error()}
		}
	}
	if decap != "" {
		if o.Decap, err = realserver.ParseDecap(decap); err != nil {
			return usageError{err.Error()}
		}
	}
	switch verb {
	case "setup":
		if o.Mode == "" {
			return usageError{"setup needs --mode dr or --mode tun"}
		}
		if len(o.VIPs) == 0 {
			return usageError{"setup needs at least one --vip"}
		}
		return realserver.Setup(o, e.stdout)
	case "teardown":
		return realserver.Teardown(o, e.stdout)
	default:
		return realserver.Status(o, e.stdout, jsonOut)
	}
}

// decapCmd runs the decapsulator in the foreground until SIGTERM.
func decapCmd(e *env, fs *flag.FlagSet, vips *vipFlag, args []string) error {
	var cfg realserver.DecapConfig
	var readyFD int
	fs.StringVar(&cfg.Tun, "tun", realserver.DefaultTun, "TUN device to create")
	fs.StringVar(&cfg.StatsFile, "stats-file", "", "write counters as JSON to `file` every second")
	fs.IntVar(&readyFD, "ready-fd", -1, "write \"ready\" (or the error) to this inherited `fd` once running")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	cfg.VIPs = *vips
	if readyFD >= 0 {
		cfg.Ready = os.NewFile(uintptr(readyFD), "ready")
	}
	return realserver.RunDecap(cfg, e.stderr)
}

// vipFlag collects --vip values.
type vipFlag []netip.Addr

func (v *vipFlag) String() string { return fmt.Sprint([]netip.Addr(*v)) }

func (v *vipFlag) Set(s string) error {
	for _, f := range strings.Split(s, ",") {
		a, err := realserver.ParseVIP(strings.TrimSpace(f))
		if err != nil {
			return err
		}
		*v = append(*v, a)
	}
	return nil
}
