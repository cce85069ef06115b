package daemon

import (
	"sync"

	"github.com/govs-project/govs/control/admin"
)

// The listing's counters are zeroed (govsctl zero, ipvsadm -Z) by
// remembering them and subtracting: the lcores alone write the real
// counters, and /metrics must keep reading them unchanged (Prometheus
// counters only grow).

var (
	_ admin.ZeroSource    = (*Daemon)(nil)
	_ admin.ListingSource = (*Daemon)(nil)
)

// listingView is what the listing adds to the raw counters.
type listingView struct {
	baseline counterBaseline
	rates    rateEstimator
}

// counterBaseline holds the counters as they were at the last zero, by
// service (serverKey with no address) and by real server.
type counterBaseline struct {
	mu   sync.Mutex
	base map[serverKey]admin.Counters
}

func serviceTotals(key string) serverKey { return serverKey{service: key} }

// set remembers svcs' counters: of every service, or only of the one
// keyed only.
func (b *counterBaseline) set(svcs []admin.Service, only string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.base == nil {
		b.base = map[serverKey]admin.Counters{}
	}
	for _, as := range svcs {
		key, ok := listedKey(as)
		if !ok || (only != "" && key != only) {
			continue
		}
		b.base[serviceTotals(key)] = as.Stats
		for _, ar := range as.RealServers {
			if k, ok := listedServer(key, ar); ok {
				b.base[k] = ar.Stats
			}
		}
	}
}

// subtract turns svcs' counters into counters since the last zero. A
// counter below its baseline was reset (the dataplane made its service
// anew): it counts from that reset.
func (b *counterBaseline) subtract(svcs []admin.Service) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.base) == 0 {
		return
	}
	for i := range svcs {
		as := &svcs[i]
		key, ok := listedKey(*as)
		if !ok {
			continue
		}
		as.Stats = since(as.Stats, b.base[serviceTotals(key)])
		for j := range as.RealServers {
			if k, ok := listedServer(key, as.RealServers[j]); ok {
				as.RealServers[j].Stats = since(as.RealServers[j].Stats, b.base[k])
			}
		}
	}
}

func since(now, base admin.Counters) admin.Counters {
	if now.Conns < base.Conns || now.InPkts < base.InPkts || now.OutPkts < base.OutPkts ||
		now.InBytes < base.InBytes || now.OutBytes < base.OutBytes {
		return now
	}
	return admin.Counters{Conns: now.Conns - base.Conns, InPkts: now.InPkts - base.InPkts, OutPkts: now.OutPkts - base.OutPkts,
		InBytes: now.InBytes - base.InBytes, OutBytes: now.OutBytes - base.OutBytes}
}

// Zero zeroes the listing's counters of service (as the override
// requests name it), or of every service when it is "".
func (d *Daemon) Zero(service string) error {
	only := ""
	if service != "" {
		sv, err := resolveService(d.cfg.Load(), service)
		if err != nil {
			return err
		}
		only = serviceKey(*sv)
	}
	d.listing.baseline.set(d.Services(), only)
	d.log.Info("listing counters zeroed", "service", service)
	return nil
}

// ServicesListing is /v1/services: counters since the last zero, with
// the estimated rates (which zeroing does not touch, as in IPVS).
func (d *Daemon) ServicesListing() []admin.Service {
	svcs := d.Services()
	d.listing.baseline.subtract(svcs)
	d.listing.rates.attach(svcs)
	return svcs
}
