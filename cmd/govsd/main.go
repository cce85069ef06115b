// Command govsd is the govs director: a DPDK Layer-4 load balancer.
//
//	govsd -config FILE     run
//	govsd -t -config FILE  check FILE as a start would, print every error, exit 1 if any
//	govsd -version         print the version and exit
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/govs-project/govs/control/daemon"
)

func main() {
	configPath := flag.String("config", "/etc/govs/govsd.yaml", "configuration file (YAML)")
	test := flag.Bool("t", false, "check the configuration (as a start or reload would) and exit: 0 valid, 1 not")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	switch {
	case *showVersion:
		fmt.Println(version())
	case *test:
		os.Exit(checkConfig(os.Stdout, os.Stderr, *configPath))
	default:
		log := slog.New(slog.NewTextHandler(os.Stderr, nil))
		if err := daemon.Run(context.Background(), *configPath, log); err != nil {
			fmt.Fprintf(os.Stderr, "govsd: %v\n", err)
			os.Exit(1)
		}
	}
}

// checkConfig is govsd -t: like keepalived -t and nginx -t, the verdict on
// one line, each error (with its field path) on a line of its own.
func checkConfig(out, errOut io.Writer, path string) int {
	cfg, err := daemon.Check(path)
	if err != nil {
		fmt.Fprintf(errOut, "govsd: %s: configuration invalid:\n%v\n", path, err)
		return 1
	}
	fmt.Fprintf(out, "govsd: %s: configuration valid (%d ports, %d services, %d VRRP instances)\n",
		path, len(cfg.Ports), len(cfg.Services), len(cfg.VRRP.Instances))
	return 0
}
