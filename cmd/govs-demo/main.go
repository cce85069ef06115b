// Command govs-demo shows govs at work on one machine: it builds the NAT
// topology of a configuration (client and real servers in network
// namespaces, govsd in one of its own whose net_tap ports are moved in
// between), starts govsd, sends HTTP and UDP requests through the VIP
// printing which real server answered, forges frames govsd must drop,
// scrapes the metrics from govsd's namespace, then stops a real server's
// HTTP under a client loop (a request every 20 ms) and shows govsd's
// health checks taking it out and bringing it back, counting the requests
// that failed meanwhile, pings the director's port addresses (answered by
// its kernel through the kernel-side interfaces), prints govsctl's view,
// and tears everything down (also on Ctrl-C). Every step checks what it
// shows: the demo exits non-zero naming the step that failed. It needs
// root and hugepages: run it with "make demo". With -ha ("make demo-ha")
// it shows VRRP failover instead: two directors (-config, -peer-config),
// the master SIGKILLed and restarted under a client loop, with the
// takeover times and the requests lost.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type options struct {
	config, govsd, govsctl string
	nHTTP, nUDP            int
	ha                     bool
	peerConfig             string // -ha: director 2's configuration
}

func main() {
	var o options
	flag.StringVar(&o.config, "config", "configs/demo.yaml", "govsd configuration to demonstrate")
	flag.StringVar(&o.govsd, "govsd", "bin/govsd", "govsd binary")
	flag.StringVar(&o.govsctl, "govsctl", "bin/govsctl", "govsctl binary")
	flag.IntVar(&o.nHTTP, "http", 60, "HTTP requests to send")
	flag.IntVar(&o.nUDP, "udp", 10, "UDP requests to send")
	flag.BoolVar(&o.ha, "ha", false, "show VRRP failover between two directors: -config is director 1's, -peer-config director 2's")
	flag.StringVar(&o.peerConfig, "peer-config", "configs/demo-ha-2.yaml", "with -ha: director 2's configuration")
	flag.Parse()
	demo := run
	if o.ha {
		demo = runHA
		if o.config == "configs/demo.yaml" { // the default: it has no vrrp
			o.config = "configs/demo-ha-1.yaml"
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	err := demo(ctx, o)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "govs-demo: interrupted, everything torn down")
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "govs-demo:", err)
		stop()
		os.Exit(1)
	}
	fmt.Printf("govs-demo: done in %v, everything torn down\n", time.Since(start).Round(time.Millisecond))
}
