package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/vrrp"
)

// masterDown is the longest master-down interval (3 x advert + skew) of
// cfg's instances: how long after the master's last advert they take over.
func masterDown(cfg *config.Config) time.Duration {
	var d time.Duration
	for _, in := range cfg.VRRP.Instances {
		d = max(d, vrrp.MasterDownInterval(uint8(in.Version), uint8(in.Priority), in.AdvertInterval))
	}
	return d
}

// preemptDelay is the longest preempt_delay of cfg's instances.
func preemptDelay(cfg *config.Config) time.Duration {
	var d time.Duration
	for _, in := range cfg.VRRP.Instances {
		d = max(d, in.PreemptDelay)
	}
	return d
}

// haMetrics are the VRRP series the demo prints: the current state (the
// series valued 1), the advertised priority and the counters.
var haMetrics = []string{
	"govs_vrrp_effective_priority", "govs_vrrp_transitions_total",
	"govs_vrrp_adverts_sent_total", "govs_vrrp_adverts_received_total",
}

// showVRRP prints govsctl vrrp of both directors and their VRRP metrics,
// scraped from inside each one's namespace, and checks the states they
// report: director 1 MASTER, director 2 BACKUP.
func (d *haDemo) showVRRP() error {
	if err := d.govsctlVRRP(); err != nil {
		return err
	}
	for i, want := range []string{"MASTER", "BACKUP"} {
		h := d.dirs[i]
		if h.topo.metrics == "" {
			continue
		}
		url := "http://" + h.topo.metrics + "/metrics"
		body, err := netlab.HTTPGetNewConn(h.ns, url, 5*time.Second)
		if err != nil {
			return fmt.Errorf("scraping %s in netns %s: %w", url, h.ns.Name, err)
		}
		step("%s's VRRP metrics (%s inside netns %s)", h.name, url, h.ns.Name)
		for _, line := range vrrpMetricLines(body) {
			fmt.Println("    " + line)
		}
		for _, in := range h.cfg.VRRP.Instances {
			series := fmt.Sprintf(`govs_vrrp_state{instance=%q,state=%q} 1`, in.Name, want)
			if !strings.Contains(body, series+"\n") {
				return fmt.Errorf("%s's metrics have no %s", h.name, series)
			}
		}
	}
	return nil
}

// vrrpMetricLines are the lines of a /metrics body the demo shows: the
// govs_vrrp_state series valued 1 and those of haMetrics.
func vrrpMetricLines(body string) []string {
	var out []string
	for _, line := range strings.Split(body, "\n") {
		name, _, _ := strings.Cut(line, "{")
		switch {
		case name == "govs_vrrp_state" && strings.HasSuffix(line, "} 1"):
			out = append(out, line)
		case slices.Contains(haMetrics, name):
			out = append(out, line)
		}
	}
	return out
}
