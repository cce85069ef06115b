package netlab

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// NATSpec describes the LVS/NAT topology:
//
//	client ns (ClientCIDR) --- WAN tap --- [director] --- LAN tap ---+
//	                                                  switch ns: br0 +--- rsN ns (ServerCIDRs[N-1])
//
// Namespaces are Prefix+"c" (client), Prefix+"s" (switch) and
// Prefix+"r1".. (servers, idents "rs1"..).
type NATSpec struct {
	Prefix      string
	ClientCIDR  string   // e.g. "10.0.0.2/24"
	ClientGW    string   // the director's WAN address; "" for none
	ServerCIDRs []string // e.g. "10.1.0.11/24"
	ServerGW    string   // the director's LAN address; "" for none
	// Ports served by every real server; 0 serves nothing.
	HTTPPort int // ServeHTTP
	EchoPort int // ServeTCPEchoIdent
	UDPPort  int // ServeUDPEcho
}

// Server is one real server of a NATLab.
type Server struct {
	Ident string // "rs1" ..; what its servers answer with
	IP    netip.Addr
	NS    *NS
}

// NATLab is a built NATSpec topology with its servers running.
type NATLab struct {
	Spec    NATSpec
	Client  *NS
	Switch  *Switch
	Servers []*Server
	stops   []func()
}

// NewNATLab builds the namespaces, bridge and real servers. The director's
// ports are attached later by AttachPorts. On error, what was built is torn
// down.
func NewNATLab(spec NATSpec) (l *NATLab, err error) {
	l = &NATLab{Spec: spec}
	defer func() {
		if err != nil {
			l.Close()
			l = nil
		}
	}()
	if l.Client, err = NewNS(spec.Prefix + "c"); err != nil {
		return
	}
	if l.Switch, err = NewSwitch(spec.Prefix + "s"); err != nil {
		return
	}
	for i, cidr := range spec.ServerCIDRs {
		pfx, perr := netip.ParsePrefix(cidr)
		if perr != nil {
			return l, perr
		}
		s := &Server{Ident: fmt.Sprintf("rs%d", i+1), IP: pfx.Addr()}
		if s.NS, err = NewNS(fmt.Sprintf("%sr%d", spec.Prefix, i+1)); err != nil {
			return
		}
		l.Servers = append(l.Servers, s)
		if err = l.Switch.AttachHost(s.NS, "eth0", cidr, spec.ServerGW); err != nil {
			return
		}
		if err = l.serve(s); err != nil {
			return
		}
	}
	return l, nil
}

func (l *NATLab) serve(s *Server) error {
	type server func(*NS, string, string) (func(), error)
	for _, sv := range []struct {
		port int
		fn   server
	}{
		{l.Spec.HTTPPort, ServeHTTP},
		{l.Spec.EchoPort, ServeTCPEchoIdent},
		{l.Spec.UDPPort, ServeUDPEcho},
	} {
		if sv.port == 0 {
			continue
		}
		stop, err := sv.fn(s.NS, fmt.Sprintf(":%d", sv.port), s.Ident)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Ident, err)
		}
		l.stops = append(l.stops, stop)
	}
	return nil
}

// AttachPorts waits (up to timeout) for the director's tap interfaces to
// appear up in the root namespace, then moves wan into the client namespace
// (with the client's address and route) and lan onto the servers' bridge.
// Call it only once the director has started its ports: the tap PMD's
// ioctls name the interface in the director's namespace.
func (l *NATLab) AttachPorts(wan, lan string, timeout time.Duration) error {
	for _, name := range []string{wan, lan} {
		if err := WaitLink(name, true, timeout); err != nil {
			return err
		}
	}
	if err := MoveLink(wan, l.Client); err != nil {
		return err
	}
	if err := l.Client.ConfigureLink(wan, l.Spec.ClientCIDR, l.Spec.ClientGW); err != nil {
		return err
	}
	return l.Switch.AttachLinkToBridge(lan)
}

// Server returns the server whose ident is ident, or nil.
func (l *NATLab) Server(ident string) *Server {
	for _, s := range l.Servers {
		if s.Ident == ident {
			return s
		}
	}
	return nil
}

// Describe returns addresses, routes and neighbours of every namespace:
// what to print when a test fails.
func (l *NATLab) Describe() string {
	var b strings.Builder
	for _, ns := range l.namespaces() {
		fmt.Fprintf(&b, "--- netns %s\n", ns.Name)
		for _, args := range [][]string{{"-br", "link"}, {"-br", "addr"}, {"route"}, {"neigh"}} {
			out, _ := ns.IP(args...)
			b.WriteString(out)
		}
	}
	return b.String()
}

func (l *NATLab) namespaces() []*NS {
	var all []*NS
	if l.Client != nil {
		all = append(all, l.Client)
	}
	if l.Switch != nil {
		all = append(all, l.Switch.NS)
	}
	for _, s := range l.Servers {
		all = append(all, s.NS)
	}
	return all
}

// Close stops the servers and deletes every namespace of the lab.
func (l *NATLab) Close() error {
	for _, stop := range l.stops {
		stop()
	}
	l.stops = nil
	var errs []error
	for _, ns := range l.namespaces() {
		if err := ns.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
