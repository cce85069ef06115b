package config

import (
	"bytes"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/viper"
)

// Load reads, decodes and validates the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := parse(data, path)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Parse decodes and validates a YAML document. Decoding and validation
// problems are reported together as an *Error.
func Parse(yaml []byte) (*Config, error) { return parse(yaml, "") }

func parse(yaml []byte, file string) (*Config, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(yaml)); err != nil {
		if file != "" {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		return nil, err
	}
	c, decodeErrs := decode(v.AllSettings())
	all := decodeErrs
	for _, fe := range c.validate() {
		if !shadowed(fe, decodeErrs) {
			all = append(all, fe)
		}
	}
	if err := all.err(file); err != nil {
		return nil, err
	}
	return c, nil
}

// shadowed drops validation errors caused by a field that already failed to
// decode (it was left at its default, so validating it repeats the problem).
func shadowed(fe *FieldError, decodeErrs problems) bool {
	for _, d := range decodeErrs {
		if d.Path == fe.Path {
			return true
		}
		if fe.needsPorts && strings.HasPrefix(d.Path, "ports[") && strings.HasSuffix(d.Path, "].address") {
			return true
		}
	}
	return false
}

// decode copies the settings onto the defaults, recording type and range
// problems and unknown keys.
func decode(settings map[string]any) (*Config, problems) {
	var p problems
	c := defaults()
	root := newObject(&p, "", settings)
	decodeEAL(newObjectAt(root, "eal"), &c.EAL)
	decodeDataplane(newObjectAt(root, "dataplane"), &c.Dataplane)
	decodeTimeouts(newObjectAt(root, "timeouts"), &c.Timeouts)
	decodeSecurity(newObjectAt(root, "security"), &c.Security, c.Timeouts.TCPSynRecv)

	path, list := root.list("ports")
	for i, e := range list {
		port := defaultPort()
		decodePort(newObject(&p, idx(path, i), e), &port)
		c.Ports = append(c.Ports, port)
	}
	path, list = root.list("services")
	for i, e := range list {
		svc := defaultService()
		decodeService(newObject(&p, idx(path, i), e), &svc)
		c.Services = append(c.Services, svc)
	}

	decodeVRRP(newObjectAt(root, "vrrp"), &c.VRRP)
	decodeSync(newObjectAt(root, "sync"), &c.Sync)

	adm := newObjectAt(root, "admin")
	adm.str("socket", &c.Admin.Socket)
	adm.str("state_file", &c.Admin.StateFile)
	adm.close()
	met := newObjectAt(root, "metrics")
	met.str("listen", &c.Metrics.Listen)
	met.close()

	root.close()
	return &c, p
}

// newObjectAt opens the mapping under key of parent.
func newObjectAt(parent *object, key string) *object {
	path, v, _ := parent.get(key)
	return newObject(parent.p, path, v)
}

func decodeEAL(o *object, e *EAL) {
	// An unquoted single id ("lcores: 1") arrives as an integer.
	if path, v, ok := o.get("lcores"); ok {
		if n, isInt := toInt64(v); isInt {
			e.Lcores = strconv.FormatInt(n, 10)
		} else if s, isStr := v.(string); isStr {
			e.Lcores = s
		} else {
			o.p.add(path, "must be an lcore list like \"0-1\", got %s", describe(v))
		}
	}
	o.int("memory_mb", &e.MemoryMB, 0, maxMemoryMB)
	o.boolean("in_memory", &e.InMemory)
	o.str("file_prefix", &e.FilePrefix)
	o.str("huge_dir", &e.HugeDir)
	o.boolean("no_pci", &e.NoPCI)
	o.strings("extra_args", &e.ExtraArgs)
	o.close()
}

func decodeDataplane(o *object, d *Dataplane) {
	o.int("conn_table_size", &d.ConnTableSize, minConnTable, maxConnTable)
	o.int("mbufs", &d.Mbufs, minMbufs, maxMbufs)
	o.int("neighbor_table_size", &d.NeighborTableSize, minNeighbors, maxNeighbors)
	o.int("mbuf_data_room", &d.MbufDataRoom, minDataRoom, maxDataRoom)
	o.int("burst", &d.Burst, 1, maxBurst)
	o.int("rx_desc", &d.RxDesc, minDesc, maxDesc)
	o.int("tx_desc", &d.TxDesc, minDesc, maxDesc)
	o.boolean("idle_backoff", &d.IdleBackoff)
	o.duration("idle_sleep_max", &d.IdleSleepMax)
	decodeFlowAffinity(o, d)
	o.close()
}

func decodeTimeouts(o *object, t *Timeouts) {
	for _, f := range t.fields() {
		o.duration(f.key, f.d)
	}
	o.close()
}

func decodePort(o *object, p *Port) {
	o.str("name", &p.Name)
	o.str("device", &p.Device)
	o.prefix("address", &p.Address)
	o.addr("gateway", &p.Gateway)
	o.int("mtu", &p.MTU, minMTU, maxMTU)
	path, list := o.list("static_neighbors")
	for i, e := range list {
		var n StaticNeighbor
		no := newObject(o.p, idx(path, i), e)
		no.addr("address", &n.Address)
		var mac string
		if no.str("mac", &mac) {
			hw, err := net.ParseMAC(mac)
			if err != nil || len(hw) != 6 {
				o.p.add(join(idx(path, i), "mac"), "%q is not a MAC address like 02:00:00:00:00:01", mac)
			} else {
				n.MAC = hw
			}
		}
		no.close()
		p.StaticNeighbors = append(p.StaticNeighbors, n)
	}
	ko := newObjectAt(o, "kernel_interface")
	ko.boolean("enabled", &p.Kernel.Enabled)
	if !ko.str("name", &p.Kernel.Name) {
		p.Kernel.Name = defaultKernelName(p.Name)
	}
	ko.close()
	o.close()
}

func decodeService(o *object, s *Service) {
	o.str("name", &s.Name)
	o.addr("vip", &s.VIP)
	if path, v, ok := o.get("protocol"); ok {
		str, _ := v.(string)
		if proto, known := ParseProtocol(str); known {
			s.Protocol = proto
		} else {
			o.p.add(path, "must be tcp or udp, got %s", quoteValue(v))
		}
	}
	o.uint16("port", &s.Port, 0, 65535) // 0: every port (persistent services)
	o.str("scheduler", &s.Scheduler)
	o.strings("scheduler_flags", &s.SchedulerFlags)
	o.uint32("mh_table_size", &s.MHTableSize, 1, math.MaxUint32)
	o.boolean("expire_nodest_conn", &s.ExpireNodestConn)
	o.duration("persistence_timeout", &s.PersistenceTimeout)
	decodeGranularity(o, &s.PersistenceGranularity)
	o.boolean("expire_quiescent_template", &s.ExpireQuiescentTemplate)
	o.boolean("one_packet", &s.OnePacket)
	o.str("persistence_group", &s.PersistenceGroup)
	o.uint32("quorum", &s.Quorum, 1, math.MaxUint32)
	o.uint32("hysteresis", &s.Hysteresis, 0, math.MaxUint32)
	o.boolean("alpha", &s.Alpha)
	o.boolean("inhibit_on_failure", &s.InhibitOnFailure)
	o.str("quorum_up", &s.QuorumUp)
	o.str("quorum_down", &s.QuorumDown)
	if path, v, ok := o.get("sorry_server"); ok {
		rs := defaultSorryServer()
		decodeServerAddress(newObject(o.p, path, v), s, &rs).close()
		s.SorryServer = &rs
	}
	svcCheckPath := join(o.path, "check")
	svcRaw, svcCheck, svcProblems := decodeServiceCheck(o)
	s.Check = svcCheck

	path, list := o.list("real_servers")
	for i, e := range list {
		rs := defaultRealServer()
		rs.InhibitOnFailure = s.InhibitOnFailure
		ro := decodeServerAddress(newObject(o.p, idx(path, i), e), s, &rs)
		ro.uint32("weight", &rs.Weight, 0, maxWeight)
		ro.uint32("upper_threshold", &rs.UpperThreshold, 0, maxThreshold)
		ro.uint32("lower_threshold", &rs.LowerThreshold, 0, maxThreshold)
		ro.boolean("inhibit_on_failure", &rs.InhibitOnFailure)
		ro.str("notify_up", &rs.NotifyUp)
		ro.str("notify_down", &rs.NotifyDown)
		rs.Check = decodeServerCheck(ro, svcCheckPath, svcRaw, svcCheck, svcProblems)
		ro.close()
		s.RealServers = append(s.RealServers, rs)
	}
	o.close()
}

// decodeServerAddress reads what a real server and the sorry server share:
// address, port (the service port by default, as in ipvsadm) and method.
// The caller closes the returned object.
func decodeServerAddress(ro *object, s *Service, rs *RealServer) *object {
	ro.addr("address", &rs.Address)
	if !ro.uint16("port", &rs.Port, 1, 65535) {
		rs.Port = s.Port
	}
	if mpath, v, ok := ro.get("method"); ok {
		str, _ := v.(string)
		if m, known := ParseMethod(str); known {
			rs.Method = m
		} else {
			ro.p.add(mpath, "must be nat, dr or tun, got %s", quoteValue(v))
		}
	}
	return ro
}
