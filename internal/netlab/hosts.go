package netlab

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Services says which servers every real server of a lab runs. A zero
// port serves nothing.
type Services struct {
	HTTPPort int // ServeHTTP
	EchoPort int // ServeTCPEchoIdent
	UDPPort  int // ServeUDPEcho
	SinkPort int // ServeTCPSink
	// ListenIP is the address the servers bind to; "" binds all addresses.
	// A UDP server behind direct server return must bind the VIP: bound to
	// all addresses, its replies would leave from the host's own address.
	ListenIP string
}

// Server is one real server of a lab.
type Server struct {
	Ident string // "rs1" ..; what its servers answer with
	IP    netip.Addr
	NS    *NS
	// HTTP is its HTTP service (Services.HTTPPort), nil if it has none:
	// tests make it fail, stop and come back through it.
	HTTP *HTTPServer
}

// Hosts is what the labs share: the director's namespace, a client
// namespace, a switch namespace with the servers' bridge, and the real
// servers with their services.
type Hosts struct {
	// Director is the namespace the director runs in (StartProcIn): its
	// DPDK taps appear there and are moved into the lab from there, and
	// whatever kernel interfaces and routes it makes stay there.
	Director *NS
	Client   *NS
	Switch   *Switch
	Servers  []*Server

	stops   []func()
	cleanup func(*Server) error
	cleanOn []*Server // servers cleanup must run for, in setup order
}

// newHosts creates the director, client and switch namespaces
// (Prefix+"d", Prefix+"c", Prefix+"s").
func (h *Hosts) newHosts(prefix string) (err error) {
	if h.Director, err = NewNS(prefix + "d"); err != nil {
		return err
	}
	if h.Client, err = NewNS(prefix + "c"); err != nil {
		return err
	}
	h.Switch, err = NewSwitch(prefix + "s")
	return err
}

// addServers creates one namespace per cidr (Prefix+"r1"..), plugs it into
// the switch as eth0 with the address and a default route via gateway (if
// not empty), runs prepare on it (if not nil) and starts svc in it.
func (h *Hosts) addServers(prefix string, cidrs []string, gateway string, svc Services, prepare func(*Server) error) error {
	for i, cidr := range cidrs {
		pfx, err := netip.ParsePrefix(cidr)
		if err != nil {
			return err
		}
		s := &Server{Ident: fmt.Sprintf("rs%d", i+1), IP: pfx.Addr()}
		if s.NS, err = NewNS(fmt.Sprintf("%sr%d", prefix, i+1)); err != nil {
			return err
		}
		h.Servers = append(h.Servers, s)
		if err := h.Switch.AttachHost(s.NS, "eth0", cidr, gateway); err != nil {
			return err
		}
		if prepare != nil {
			h.cleanOn = append(h.cleanOn, s)
			if err := prepare(s); err != nil {
				return fmt.Errorf("%s: preparing the host: %w", s.Ident, err)
			}
		}
		if err := h.serve(s, svc); err != nil {
			return err
		}
	}
	return nil
}

func (h *Hosts) serve(s *Server, svc Services) error {
	if svc.HTTPPort != 0 {
		var err error
		if s.HTTP, err = StartHTTPServer(s.NS, svc.ListenIP+":"+strconv.Itoa(svc.HTTPPort), s.Ident); err != nil {
			return fmt.Errorf("%s: %w", s.Ident, err)
		}
		h.stops = append(h.stops, s.HTTP.Stop)
	}
	type server func(*NS, string, string) (func(), error)
	for _, sv := range []struct {
		port int
		fn   server
	}{
		{svc.EchoPort, ServeTCPEchoIdent},
		{svc.UDPPort, ServeUDPEcho},
		{svc.SinkPort, ServeTCPSink},
	} {
		if sv.port == 0 {
			continue
		}
		stop, err := sv.fn(s.NS, svc.ListenIP+":"+strconv.Itoa(sv.port), s.Ident)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Ident, err)
		}
		h.stops = append(h.stops, stop)
	}
	return nil
}

// Server returns the server whose ident is ident, or nil.
func (h *Hosts) Server(ident string) *Server {
	for _, s := range h.Servers {
		if s.Ident == ident {
			return s
		}
	}
	return nil
}

// Describe returns addresses, routes and neighbours of every namespace:
// what to print when a test fails.
func (h *Hosts) Describe() string {
	var b strings.Builder
	for _, ns := range h.Namespaces() {
		fmt.Fprintf(&b, "--- netns %s\n", ns.Name)
		for _, args := range [][]string{{"-br", "link"}, {"-br", "addr"}, {"route"}, {"neigh"}} {
			out, _ := ns.IP(args...)
			b.WriteString(out)
		}
	}
	return b.String()
}

// Namespaces lists the namespaces built so far: director, client, switch,
// servers.
func (h *Hosts) Namespaces() []*NS {
	var all []*NS
	if h.Director != nil {
		all = append(all, h.Director)
	}
	if h.Client != nil {
		all = append(all, h.Client)
	}
	if h.Switch != nil {
		all = append(all, h.Switch.NS)
	}
	for _, s := range h.Servers {
		all = append(all, s.NS)
	}
	return all
}

// Close stops the servers, runs the cleanup of every prepared server (in
// reverse order) and deletes every namespace, the director's included: stop
// the director first. Processes still inside a namespace then (such as a
// director left running or a helper that cleanup failed to stop) are
// killed and reported: a deleted namespace lives on as long as a process
// holds it, where no name-based cleanup can find it any more.
func (h *Hosts) Close() error {
	for _, stop := range h.stops {
		stop()
	}
	h.stops = nil
	var errs []error
	for i := len(h.cleanOn) - 1; i >= 0; i-- {
		if h.cleanup == nil {
			break
		}
		if err := h.cleanup(h.cleanOn[i]); err != nil {
			errs = append(errs, fmt.Errorf("%s: cleanup: %w", h.cleanOn[i].Ident, err))
		}
	}
	h.cleanOn = nil
	for _, ns := range h.Namespaces() {
		if pids := killNSProcs(ns.Name); len(pids) > 0 {
			errs = append(errs, fmt.Errorf("netns %s still had processes %v at close (killed)", ns.Name, pids))
		}
		if err := ns.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// killNSProcs sends SIGKILL to every process in the named namespace other
// than this one and returns their pids.
func killNSProcs(name string) []int {
	out, err := ip("netns", "pids", name)
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(out) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 1 || n == os.Getpid() {
			continue
		}
		unix.Kill(n, unix.SIGKILL)
		pids = append(pids, n)
	}
	return pids
}
