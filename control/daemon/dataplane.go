package daemon

import (
	"net/netip"

	"github.com/govs-project/govs/dataplane"
	"github.com/govs-project/govs/dataplane/slowpath"
)

// runningDataplane is what the daemon uses of a started dataplane: an
// interface so that the daemon's life (reloads, shutdown order, the admin
// view) is tested without EAL.
type runningDataplane interface {
	Apply(*dataplane.Spec) error
	Generation() uint64
	Ports() []dataplane.PortStatus
	Neighbors() []dataplane.NeighborStatus
	KernelInterfaces() []dataplane.KernelStatus
	// AnnounceTimes sends times gratuitous ARPs for each address (a new
	// VRRP master's).
	AnnounceTimes(addrs []netip.Addr, times int) error
	Services() []dataplane.ServiceStatus
	Lcores() []dataplane.LcoreStatus
	SlowPath() slowpath.Stats
	// Conns lists one page of the connection tables.
	Conns(dataplane.ConnQuery) (dataplane.ConnPage, error)
	// Failed delivers the error of a worker that died.
	Failed() <-chan error
	// Stop frees EAL memory: nothing may read the dataplane afterwards.
	Stop() error
	ControlCPUs() int
}

var _ runningDataplane = (*dataplane.Dataplane)(nil)
