package main

import (
	"flag"

	"github.com/govs-project/govs/control/admin"
)

// save prints the running services as ipvsadm -Sn rules or as the YAML of
// a configuration's services: section (the weights the dataplane schedules
// by now, health checks' and overrides' verdicts included).
func save(e *env, args []string) error {
	fs := flag.NewFlagSet("save", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	format := fs.String("format", "ipvsadm", "`ipvsadm`: ipvsadm -Sn rules; yaml: a configuration's services: section")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	if *format != "ipvsadm" && *format != "yaml" {
		return usageError{"save -format: ipvsadm or yaml"}
	}
	svcs, err := admin.Dial(e.socket).Services()
	if err != nil {
		return err
	}
	if *format == "yaml" {
		return admin.FormatServicesYAML(e.stdout, svcs)
	}
	return admin.FormatRules(e.stdout, svcs)
}
