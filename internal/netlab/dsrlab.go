package netlab

import (
	"strconv"
	"time"
)

// DSRSpec describes the one-segment topology of LVS/DR and LVS/TUN, where
// replies return directly from the real servers to the client:
//
//	client ns (ClientCIDR) -----------------+
//	director ns's tap (AttachPort) ---------+ switch ns: br0
//	rsN ns (ServerCIDRs[N-1]) --------------+
//
// Namespaces are Prefix+"d" (director), Prefix+"c" (client), Prefix+"s"
// (switch) and Prefix+"r1".. (servers, idents "rs1"..); every host's link
// is eth0.
type DSRSpec struct {
	Prefix      string
	ClientCIDR  string   // e.g. "10.0.0.2/24"
	ServerCIDRs []string // on the same segment, e.g. "10.0.0.11/24"
	// Prepare, if set, runs for each server once it is on the segment and
	// before its services start: the place to configure the VIP (e.g.
	// govsctl realserver setup). Cleanup, if set, undoes it in Close, for
	// every server Prepare ran for (even if it failed).
	Prepare func(*Server) error
	Cleanup func(*Server) error
	Services
}

// SegmentMTU is the MTU of every link of a DSRLab segment (veth's default).
const SegmentMTU = 1500

// DSRLab is a built DSRSpec topology with its servers running.
type DSRLab struct {
	Spec DSRSpec
	Hosts
}

// NewDSRLab builds the namespaces, the segment and the real servers. The
// director is started in l.Director (StartProcIn) and its port is attached
// later by AttachPort. On error, what was built is torn down.
func NewDSRLab(spec DSRSpec) (l *DSRLab, err error) {
	l = &DSRLab{Spec: spec}
	l.cleanup = spec.Cleanup
	defer func() {
		if err != nil {
			l.Close()
			l = nil
		}
	}()
	if err = l.newHosts(spec.Prefix); err != nil {
		return
	}
	if err = l.Switch.AttachHost(l.Client, "eth0", spec.ClientCIDR, ""); err != nil {
		return
	}
	err = l.addServers(spec.Prefix, spec.ServerCIDRs, "", spec.Services, spec.Prepare)
	return
}

// AttachPort waits (up to timeout) for the director's tap to be up in the
// director's namespace and plugs it into the segment. Call it only once the
// director has started its ports.
//
// The tap's MTU is set to SegmentMTU: the tap PMD gives the kernel side the
// DPDK port's MTU, and a bridge drops frames bigger than a port's MTU, so a
// director port with a smaller MTU would never see a full-size frame. A
// NIC receives what fits its buffers; the MTU limits what it sends.
func (l *DSRLab) AttachPort(tap string, timeout time.Duration) error {
	if err := l.Director.WaitLink(tap, true, timeout); err != nil {
		return err
	}
	if err := l.Switch.AttachLinkToBridge(l.Director, tap); err != nil {
		return err
	}
	_, err := l.Switch.NS.IP("link", "set", "dev", tap, "mtu", strconv.Itoa(SegmentMTU))
	return err
}
