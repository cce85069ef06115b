package config

import (
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/govs-project/govs/dataplane/sched"
)

// Validate checks a configuration, including one built in code, and
// reports every problem found, one per line.
func (c *Config) Validate() error { return c.validate().err("") }

func (c *Config) validate() problems {
	var p problems
	c.validateEAL(&p)
	c.validateDataplane(&p)
	c.validateTimeouts(&p)
	c.validateSecurity(&p)
	c.validatePorts(&p)
	c.validateServices(&p)
	c.validateVRRP(&p)
	c.validateSync(&p)
	c.validateAdmin(&p)
	return p
}

// PortForAddr returns the index of the port whose connected subnet holds a:
// the port that answers ARP for a VIP and reaches a neighbour directly.
func (c *Config) PortForAddr(a netip.Addr) (int, bool) {
	for i, port := range c.Ports {
		if port.Address.IsValid() && port.Address.Masked().Contains(a) {
			return i, true
		}
	}
	return -1, false
}

func (c *Config) validateEAL(p *problems) {
	e := c.EAL
	if e.Lcores == "" {
		p.add("eal.lcores", "required: an EAL -l list like \"0-1\" (main lcore plus at least one worker)")
	} else if ids, err := ParseLcores(e.Lcores); err != nil {
		p.add("eal.lcores", "%v", err)
	} else if len(ids) < 2 {
		p.add("eal.lcores", "must contain at least 2 lcores (the first is the main lcore, the rest forward packets), got %q", e.Lcores)
	}
	checkInt(p, "eal.memory_mb", e.MemoryMB, 0, maxMemoryMB)
}

func (c *Config) validateDataplane(p *problems) {
	d := c.Dataplane
	checkInt(p, "dataplane.conn_table_size", d.ConnTableSize, minConnTable, maxConnTable)
	checkInt(p, "dataplane.neighbor_table_size", d.NeighborTableSize, minNeighbors, maxNeighbors)
	checkInt(p, "dataplane.mbufs", d.Mbufs, minMbufs, maxMbufs)
	checkInt(p, "dataplane.mbuf_data_room", d.MbufDataRoom, minDataRoom, maxDataRoom)
	checkInt(p, "dataplane.burst", d.Burst, 1, maxBurst)
	checkInt(p, "dataplane.rx_desc", d.RxDesc, minDesc, maxDesc)
	checkInt(p, "dataplane.tx_desc", d.TxDesc, minDesc, maxDesc)
	if d.IdleSleepMax < time.Microsecond || d.IdleSleepMax > maxIdleSleep {
		p.add("dataplane.idle_sleep_max", "must be between 1us and %v, got %v", maxIdleSleep, d.IdleSleepMax)
	}
	c.validateFlowAffinity(p)
}

func (c *Config) validateTimeouts(p *problems) {
	for _, f := range c.Timeouts.fields() {
		if *f.d < minTimeout || *f.d > maxTimeout {
			p.add("timeouts."+f.key, "must be between 1s and 24 days (576h), got %v", *f.d)
		}
	}
}

var portName = regexp.MustCompile(`^[a-z0-9_-]{1,15}$`)

func (c *Config) validatePorts(p *problems) {
	if len(c.Ports) == 0 {
		p.add("ports", "at least one port is required")
	}
	for i, port := range c.Ports {
		path := idx("ports", i)
		switch {
		case port.Name == "":
			p.add(path+".name", "required")
		case !portName.MatchString(port.Name):
			p.add(path+".name", "%q must be 1 to 15 characters of a-z, 0-9, _ and -", port.Name)
		}
		c.validateDevice(p, path+".device", port)
		c.validatePortAddress(p, path, port)
		checkInt(p, path+".mtu", port.MTU, minMTU, maxMTU)
		validateStaticNeighbors(p, path, port)
		c.validateKernelInterface(p, path+".kernel_interface.name", i)

		for j, prev := range c.Ports[:i] {
			if port.Name != "" && port.Name == prev.Name {
				p.add(path+".name", "%q is already the name of ports[%d]", port.Name, j)
			}
			if port.Device != "" && port.DeviceName() == prev.DeviceName() {
				p.add(path+".device", "device %s is already used by ports[%d]", port.DeviceName(), j)
			}
			if port.Address.IsValid() && prev.Address.IsValid() &&
				port.Address.Masked().Overlaps(prev.Address.Masked()) {
				p.add(path+".address", "subnet %v overlaps subnet %v of ports[%d]",
					port.Address.Masked(), prev.Address.Masked(), j)
			}
		}
	}
}

// kernelName is what Linux accepts as an interface name (IFNAMSIZ less
// the NUL), restricted to characters that need no quoting anywhere.
var kernelName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,15}$`)

func (c *Config) validateKernelInterface(p *problems, path string, i int) {
	k := c.Ports[i].Kernel
	if !k.Enabled {
		return
	}
	switch {
	case k.Name == "":
		p.add(path, "required while the kernel interface is enabled")
		return
	case len(k.Name) > 15:
		p.add(path, "%q is longer than the 15 characters of a Linux interface name (the default is govs-<port name>); set a shorter one", k.Name)
		return
	case !kernelName.MatchString(k.Name):
		p.add(path, "%q may only have A-Z, a-z, 0-9, _, . and -", k.Name)
		return
	}
	for j, other := range c.Ports {
		if j < i && other.Kernel.Enabled && other.Kernel.Name == k.Name {
			p.add(path, "%q is already the kernel interface of ports[%d]", k.Name, j)
		}
		if tapIface(other.Device) == k.Name {
			p.add(path, "%q is already the interface of ports[%d].device", k.Name, j)
		}
	}
}

// tapIface is the kernel interface a vdev's iface= devarg names (net_tap,
// net_af_packet), or "".
func tapIface(device string) string {
	for kv := range strings.SplitSeq(device, ",") {
		if v, ok := strings.CutPrefix(kv, "iface="); ok {
			return v
		}
	}
	return ""
}

func validateStaticNeighbors(p *problems, path string, port Port) {
	seen := map[netip.Addr]int{}
	for i, n := range port.StaticNeighbors {
		npath := idx(path+".static_neighbors", i)
		switch {
		case !n.Address.IsValid():
			p.add(npath+".address", "required")
		case port.Address.IsValid() && !port.Address.Contains(n.Address):
			p.add(npath+".address", "%v is not inside the port's subnet %v", n.Address, port.Address.Masked())
		case n.Address == port.Address.Addr():
			p.add(npath+".address", "%v is the port's own address", n.Address)
		}
		if j, dup := seen[n.Address]; dup && n.Address.IsValid() {
			p.add(npath+".address", "%v is already static_neighbors[%d]", n.Address, j)
		}
		seen[n.Address] = i
		if n.MAC == nil {
			p.add(npath+".mac", "required")
		}
	}
}

func (c *Config) validateDevice(p *problems, path string, port Port) {
	switch {
	case port.Device == "":
		p.add(path, "required: a DPDK vdev like \"net_tap0,iface=govs0\" or a PCI address like 0000:03:00.0")
	case port.IsPCI():
		if c.EAL.NoPCI {
			p.add(path, "PCI device %s cannot be used with eal.no_pci: true", port.DeviceName())
		}
	case !strings.HasPrefix(port.Device, "net_"):
		p.add(path, "%q is neither a DPDK vdev (net_...) nor a PCI address like 0000:03:00.0", port.Device)
	}
}

func (c *Config) validatePortAddress(p *problems, path string, port Port) {
	a := port.Address
	switch {
	case !a.IsValid():
		p.add(path+".address", "required: the director's IPv4 address/prefix on this port, like 10.0.0.1/24")
		return
	case !a.Addr().Is4():
		p.add(path+".address", "%v is not IPv4", a)
		return
	case a.Bits() <= 30 && a.Addr() == a.Masked().Addr():
		p.add(path+".address", "%v is the subnet's network address, not a host address", a)
	case a.Bits() <= 30 && a.Addr() == broadcast(a):
		p.add(path+".address", "%v is the subnet's broadcast address, not a host address", a)
	}
	g := port.Gateway
	switch {
	case !g.IsValid():
	case !a.Masked().Contains(g):
		p.add(path+".gateway", "%v is not inside this port's subnet %v", g, a.Masked())
	case g == a.Addr():
		p.add(path+".gateway", "%v is the port's own address", g)
	}
}

func broadcast(pfx netip.Prefix) netip.Addr {
	b := pfx.Masked().Addr().As4()
	host := uint32(1)<<(32-pfx.Bits()) - 1
	for i := range 4 {
		b[3-i] |= byte(host >> (8 * i))
	}
	return netip.AddrFrom4(b)
}

func (c *Config) validateServices(p *problems) {
	for i, svc := range c.Services {
		path := idx("services", i)
		c.validateVIP(p, path+".vip", svc.VIP)
		if svc.Protocol != ProtoTCP && svc.Protocol != ProtoUDP {
			p.add(path+".protocol", "required: tcp or udp")
		}
		if svc.Port == 0 && svc.PersistenceTimeout == 0 {
			p.add(path+".port", "required: 1..65535 (0, every port of the VIP, only for a service with persistence_timeout, as IPVS)")
		}
		// The scheduler package's own list: a name accepted here is one the
		// dataplane implements, so Apply never refuses it.
		if known := sched.Names(); !slices.Contains(known, svc.Scheduler) {
			p.add(path+".scheduler", "unknown scheduler %q; known: %s", svc.Scheduler, strings.Join(known, ", "))
		} else {
			validateSchedulerOptions(p, path, svc)
		}
		for j, prev := range c.Services[:i] {
			if svc.VIP == prev.VIP && svc.Protocol == prev.Protocol && svc.Port == prev.Port {
				p.add(path, "%s %s is already defined by services[%d]",
					svc.Protocol, netip.AddrPortFrom(svc.VIP, svc.Port), j)
			}
		}
		if len(svc.RealServers) == 0 {
			p.add(path+".real_servers", "at least one real server is required")
		}
		for j := range svc.RealServers {
			c.validateRealServer(p, idx(path+".real_servers", j), svc, j)
		}
		c.validateServiceHealth(p, path, svc)
		c.validatePersistence(p, path, svc)
	}
}

// validateServiceHealth checks the health-check settings of a service: its
// quorum, sorry server and checks. A problem of the service's check that a
// server's merged check inherited is reported once, at the service.
func (c *Config) validateServiceHealth(p *problems, path string, svc Service) {
	if svc.Quorum < 1 {
		p.add(path+".quorum", "must be at least 1, got 0")
	} else if svc.Hysteresis >= svc.Quorum {
		p.add(path+".hysteresis", "must be less than quorum (%d), got %d: the quorum is lost below quorum - hysteresis", svc.Quorum, svc.Hysteresis)
	}
	if svc.SorryServer != nil {
		c.validateDest(p, path+".sorry_server", svc, *svc.SorryServer)
	}
	var svcCheck problems
	if svc.Check != nil {
		validateCheck(&svcCheck, path+".check", svc.Check)
		*p = append(*p, svcCheck...)
	}
	for j, rs := range svc.RealServers {
		if rs.Check == nil {
			continue
		}
		rpath := idx(path+".real_servers", j) + ".check"
		var own problems
		validateCheck(&own, rpath, rs.Check)
		addUninherited(p, own, rpath, svcCheck, path+".check")
	}
}

func (c *Config) validateVIP(p *problems, path string, vip netip.Addr) {
	if !vip.IsValid() {
		p.add(path, "required: an IPv4 address like 10.0.0.100")
		return
	}
	if !vip.Is4() {
		p.add(path, "%v is not IPv4", vip)
		return
	}
	if i, ok := c.portWithAddress(vip); ok {
		p.add(path, "%v is the address of ports[%d] (%s); a VIP must be an address of its own", vip, i, c.Ports[i].Name)
		return
	}
	if _, ok := c.PortForAddr(vip); !ok {
		p.add(path, "%v is not inside any port's subnet (the port holding it answers ARP for the VIP)", vip).needsPorts = true
	}
}

func (c *Config) validateRealServer(p *problems, path string, svc Service, j int) {
	rs := svc.RealServers[j]
	for k, prev := range svc.RealServers[:j] {
		if rs.Address.IsValid() && rs.Address == prev.Address && rs.Port == prev.Port {
			p.add(path, "%v is already real_servers[%d] of this service", netip.AddrPortFrom(rs.Address, rs.Port), k)
		}
	}
	c.validateDest(p, path, svc, rs)
	validateThresholds(p, path, rs)
}

// validateDest checks what a real server and the sorry server share: port,
// weight, method and an address the director can reach with that method.
func (c *Config) validateDest(p *problems, path string, svc Service, rs RealServer) {
	if rs.Port == 0 && svc.Port != 0 {
		p.add(path+".port", "must be between 1 and 65535, got 0")
	}
	if rs.Weight > maxWeight {
		p.add(path+".weight", "must be between 0 and %d, got %d", maxWeight, rs.Weight)
	}
	if rs.Method > MethodTUN {
		p.add(path+".method", "must be nat, dr or tun, got %v", rs.Method)
	}
	// DR and TUN deliver the packet unchanged, so the port cannot differ.
	if rs.Method != MethodNAT && rs.Port != 0 && rs.Port != svc.Port {
		p.add(path+".port", "%s forwarding cannot change the port: must equal the service port %d, got %d",
			rs.Method, svc.Port, rs.Port)
	}

	a := rs.Address
	apath := path + ".address"
	if !a.IsValid() {
		p.add(apath, "required: an IPv4 address like 10.1.0.11")
		return
	}
	if !a.Is4() {
		p.add(apath, "%v is not IPv4", a)
		return
	}
	if i, ok := c.portWithAddress(a); ok {
		p.add(apath, "%v is the address of ports[%d] (%s)", a, i, c.Ports[i].Name)
		return
	}
	for k, other := range c.Services {
		if other.VIP == a {
			p.add(apath, "%v is the VIP of services[%d]", a, k)
			return
		}
	}
	_, connected := c.PortForAddr(a)
	switch {
	case rs.Method == MethodDR && !connected:
		p.add(apath, "%v is not inside any port's subnet; dr forwarding needs the real server on a directly connected segment", a).needsPorts = true
	case !connected && !c.hasGateway():
		p.add(apath, "%v is unreachable: not inside any port's subnet and no port has a gateway", a).needsPorts = true
	}
}

func (c *Config) portWithAddress(a netip.Addr) (int, bool) {
	for i, port := range c.Ports {
		if port.Address.IsValid() && port.Address.Addr() == a {
			return i, true
		}
	}
	return -1, false
}

func (c *Config) hasGateway() bool {
	for _, port := range c.Ports {
		if port.Gateway.IsValid() {
			return true
		}
	}
	return false
}

// maxSocketPath is sun_path's size less the terminating NUL.
const maxSocketPath = 107

func (c *Config) validateAdmin(p *problems) {
	s := c.Admin.Socket
	switch {
	case s == "":
		p.add("admin.socket", "required: a unix socket path like %s", DefaultSocket)
	case !filepath.IsAbs(s):
		p.add("admin.socket", "%q must be an absolute path", s)
	case len(s) > maxSocketPath:
		p.add("admin.socket", "path is %d bytes, longer than the %d a unix socket allows", len(s), maxSocketPath)
	}
	if f := c.Admin.StateFile; f != "" && (!filepath.IsAbs(f) || strings.HasSuffix(f, "/")) {
		p.add("admin.state_file", "%q must be an absolute file path like %s", f, DefaultStateFile)
	}
	if l := c.Metrics.Listen; l != "" {
		_, port, err := net.SplitHostPort(l)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 1 || n > 65535 {
			p.add("metrics.listen", "%q is not host:port like 127.0.0.1:9180", l)
		}
	}
}

func checkInt(p *problems, path string, v, min, max int) {
	if v < min || v > max {
		p.add(path, "must be between %d and %d, got %d", min, max, v)
	}
}

// validateSchedulerOptions reports each flag and a table size the
// service's scheduler does not take, by the dataplane's own rules.
func validateSchedulerOptions(p *problems, path string, svc Service) {
	for i, f := range svc.SchedulerFlags {
		if err := sched.CheckOptions(svc.Scheduler, sched.Options{Flags: []string{f}}); err != nil {
			p.add(idx(path+".scheduler_flags", i), "%v", err)
		}
	}
	if svc.MHTableSize != 0 {
		if err := sched.CheckOptions(svc.Scheduler, sched.Options{MHTableSize: svc.MHTableSize}); err != nil {
			p.add(path+".mh_table_size", "%v", err)
		}
	}
}
