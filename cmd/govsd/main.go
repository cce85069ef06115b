// Command govsd is the govs director: a DPDK Layer-4 load balancer.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/govs-project/govs/control/daemon"
)

func main() {
	configPath := flag.String("config", "/etc/govs/govsd.yaml", "configuration file (YAML)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := daemon.Run(context.Background(), *configPath, log); err != nil {
		fmt.Fprintf(os.Stderr, "govsd: %v\n", err)
		os.Exit(1)
	}
}
