package netlab

import "time"

// NATSpec describes the LVS/NAT topology:
//
//	client ns (ClientCIDR) --- WAN tap --- [director ns] --- LAN tap ---+
//	                                                     switch ns: br0 +--- rsN ns (ServerCIDRs[N-1])
//
// Namespaces are Prefix+"d" (director), Prefix+"c" (client), Prefix+"s"
// (switch) and Prefix+"r1".. (servers, idents "rs1"..).
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

// NATLab is a built NATSpec topology with its servers running.
type NATLab struct {
	Spec NATSpec
	Hosts
}

// NewNATLab builds the namespaces, bridge and real servers. The director is
// started in l.Director (StartProcIn) and its ports are attached later by
// AttachPorts. On error, what was built is torn down.
func NewNATLab(spec NATSpec) (l *NATLab, err error) {
	l = &NATLab{Spec: spec}
	defer func() {
		if err != nil {
			l.Close()
			l = nil
		}
	}()
	if err = l.newHosts(spec.Prefix); err != nil {
		return
	}
	svc := Services{HTTPPort: spec.HTTPPort, EchoPort: spec.EchoPort, UDPPort: spec.UDPPort}
	err = l.addServers(spec.Prefix, spec.ServerCIDRs, spec.ServerGW, svc, nil)
	return
}

// AttachPorts waits (up to timeout) for the director's tap interfaces to
// appear up in the director's namespace, then moves wan into the client
// namespace (with the client's address and route) and lan onto the
// servers' bridge. Call it only once the director has started its ports:
// the tap PMD's ioctls name the interface in the director's namespace.
func (l *NATLab) AttachPorts(wan, lan string, timeout time.Duration) error {
	for _, name := range []string{wan, lan} {
		if err := l.Director.WaitLink(name, true, timeout); err != nil {
			return err
		}
	}
	if err := MoveLink(wan, l.Director, l.Client); err != nil {
		return err
	}
	if err := l.Client.ConfigureLink(wan, l.Spec.ClientCIDR, l.Spec.ClientGW); err != nil {
		return err
	}
	return l.Switch.AttachLinkToBridge(l.Director, lan)
}
