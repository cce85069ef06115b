package main

import (
	"flag"

	"github.com/govs-project/govs/control/admin"
)

// save prints the running services as ipvsadm -Sn rules (the weights the
// dataplane schedules by now, health checks' verdicts included).
func save(e *env, args []string) error {
	fs := flag.NewFlagSet("save", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	format := fs.String("format", "ipvsadm", "`ipvsadm`: ipvsadm -Sn rules")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	if *format != "ipvsadm" {
		return usageError{"save -format: only ipvsadm is supported"}
	}
	svcs, err := admin.Dial(e.socket).Services()
	if err != nil {
		return err
	}
	return admin.FormatRules(e.stdout, svcs)
}
