// Package metrics exports govsd's counters to Prometheus.
//
// The collector reads the daemon's admin view at scrape time rather than
// keeping its own prometheus counters: the dataplane's per-lcore counters
// are the single source of truth and are only summed when someone asks.
package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/dataplane/slowpath"
)

// Source is the part of the daemon the collector reads; admin.Source
// satisfies it. Each scrape calls every method once.
type Source interface {
	Services() []admin.Service
	Stats() admin.Stats
	Status() admin.Status
}

// Register adds a collector over src to reg.
func Register(reg prometheus.Registerer, src Source) error {
	return reg.Register(NewCollector(src))
}

var (
	svcLabels = []string{"service", "vip", "protocol", "port"}
	rsLabels  = append(svcLabels[:len(svcLabels):len(svcLabels)], "realserver")
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("govs_"+name, help, labels, nil)
}

func withDir(labels []string) []string {
	return append(labels[:len(labels):len(labels)], "direction")
}

// Collector is a prometheus.Collector over a Source.
type Collector struct {
	src Source

	svcConns, svcPkts, svcBytes                      *prometheus.Desc
	rsConns, rsPkts, rsBytes, rsActive, rsInact, rsW *prometheus.Desc
	lcoreRx, lcoreTx, lcoreConns, lcoreCreated       *prometheus.Desc
	lcoreTemplates                                   *prometheus.Desc
	drops                                            *prometheus.Desc
	methodPkts, methodBytes, encap, fragNeeded, gap  *prometheus.Desc
	gapsOver, reused, punted, injected               *prometheus.Desc
	outcomes, icmpLimited, evicted, flood            *prometheus.Desc
	nodestExpired                                    *prometheus.Desc
	arp, refused, held, holding                      *prometheus.Desc
	portRx, portTx, portRxBytes, portTxBytes         *prometheus.Desc
	portMissed, portRxErr, portTxErr, portNoMbuf     *prometheus.Desc
	portUp, neighbors, generation, ready             *prometheus.Desc
	kernelPkts, kernelBytes, kernelDrops             *prometheus.Desc
	vrrp                                             vrrpDescs
	sync                                             syncDescs
}

// NewCollector returns a collector over src; see Register.
func NewCollector(src Source) *Collector {
	return &Collector{
		src:      src,
		svcConns: desc("service_connections_total", "Connections scheduled by the service.", svcLabels...),
		svcPkts:  desc("service_packets_total", "Packets of the service's connections, in (client to server) and out.", withDir(svcLabels)...),
		svcBytes: desc("service_bytes_total", "Bytes of the service's connections, in (client to server) and out.", withDir(svcLabels)...),

		rsConns:  desc("realserver_connections_total", "Connections scheduled to the real server.", rsLabels...),
		rsPkts:   desc("realserver_packets_total", "Packets of the real server's connections, by direction.", withDir(rsLabels)...),
		rsBytes:  desc("realserver_bytes_total", "Bytes of the real server's connections, by direction.", withDir(rsLabels)...),
		rsActive: desc("realserver_active_connections", "Established connections to the real server.", rsLabels...),
		rsInact:  desc("realserver_inactive_connections", "Connections to the real server in any other state.", rsLabels...),
		rsW:      desc("realserver_weight", "Scheduling weight of the real server (0: no new connections).", rsLabels...),

		lcoreRx:        desc("lcore_rx_packets_total", "Packets received by the worker lcore.", "lcore"),
		lcoreTx:        desc("lcore_tx_packets_total", "Packets transmitted by the worker lcore.", "lcore"),
		lcoreConns:     desc("lcore_connections", "Entries in the worker lcore's connection table.", "lcore"),
		lcoreTemplates: desc("lcore_persistence_templates", "Persistence templates in the worker lcore's connection table (not counted as connections).", "lcore"),
		lcoreCreated:   desc("lcore_connections_created_total", "Connections created by the worker lcore.", "lcore"),
		drops:          desc("drops_total", "Packets dropped, by lcore and reason.", "lcore", "reason"),
		methodPkts:     desc("method_packets_total", "Packets forwarded to real servers, by forwarding method (NAT also counts replies).", "lcore", "method"),
		methodBytes:    desc("method_bytes_total", "Bytes forwarded to real servers, by forwarding method.", "lcore", "method"),
		encap:          desc("tunnel_encapsulated_total", "Packets wrapped in IPIP for TUN real servers.", "lcore"),
		fragNeeded:     desc("icmp_frag_needed_sent_total", "ICMP fragmentation-needed sent to clients (TUN path MTU).", "lcore"),
		gap:            desc("lcore_max_poll_gap_seconds", "Longest time between two polls of the worker lcore since start.", "lcore"),
		gapsOver:       desc("lcore_poll_gaps_total", "Gaps between two polls of the worker lcore longer than a threshold.", "lcore", "over"),
		reused:         desc("lcore_connections_reused_total", "SYNs that replaced a TIME_WAIT/CLOSE connection of the same client port and were scheduled anew.", "lcore"),
		punted:         desc("lcore_punted_total", "Packets the worker lcore handed to the slow path, by reason.", "lcore", "reason"),
		injected:       desc("lcore_injected_total", "Frames the slow path gave the worker lcore to send.", "lcore"),
		outcomes:       desc("lcore_packets_total", "What became of the packets the worker lcore received, besides drops and punts: forwarded, answered (our ICMP reply in place), redirected (to the lcore owning the flow).", "lcore", "outcome"),
		icmpLimited:    desc("lcore_icmp_rate_limited_total", "ICMP errors the worker lcore did not send: over security.icmp_rate.", "lcore"),
		evicted:        desc("lcore_evicted_total", "Half-open or closed connections evicted to make room for new ones (flood defence).", "lcore"),
		nodestExpired:  desc("lcore_nodest_expired_total", "Connections removed at a client packet because their real server left the service (expire_nodest_conn).", "lcore"),
		flood:          desc("lcore_flood_active", "1 while the worker lcore's connection table is over security.flood_threshold.", "lcore"),

		arp:     desc("arp_total", "ARP handled by the slow path: received, invalid, not for us (requests for others), requests answered, replies received, requests sent, gratuitous sent.", "event"),
		refused: desc("neighbor_refused_total", "ARP bindings the slow path refused to learn, by reason.", "reason"),
		held:    desc("held_packets_total", "Packets held while their next hop was resolved, by outcome (held, sent, overflow, timeout).", "outcome"),
		holding: desc("held_packets", "Packets waiting for a neighbour's MAC now."),

		portRx:      desc("port_rx_packets_total", "Packets received on the port.", "port"),
		portTx:      desc("port_tx_packets_total", "Packets transmitted on the port.", "port"),
		portRxBytes: desc("port_rx_bytes_total", "Bytes received on the port.", "port"),
		portTxBytes: desc("port_tx_bytes_total", "Bytes transmitted on the port.", "port"),
		portMissed:  desc("port_rx_missed_total", "Packets the NIC dropped because rx queues were full.", "port"),
		portRxErr:   desc("port_rx_errors_total", "Erroneous packets received on the port.", "port"),
		portTxErr:   desc("port_tx_errors_total", "Failed transmissions on the port.", "port"),
		portNoMbuf:  desc("port_rx_nombuf_total", "Receive failures for lack of mbufs.", "port"),
		portUp:      desc("port_link_up", "1 if the port's link is up.", "port"),

		kernelPkts:  desc("kernel_packets_total", "Packets through the port's kernel interface: to_kernel (from the port to the kernel), from_kernel (sent by the kernel out of the port).", "port", "direction"),
		kernelBytes: desc("kernel_bytes_total", "Bytes through the port's kernel interface, by direction.", "port", "direction"),
		kernelDrops: desc("kernel_drops_total", "Packets lost on the way to or from the port's kernel interface, by direction and reason (to_kernel: kernel_full, tap_full, no_mbuf; from_kernel: inject_full, multi_segment, no_mbuf).", "port", "direction", "reason"),

		neighbors:  desc("neighbors", "Neighbour (ARP) entries by state.", "state"),
		generation: desc("config_generation", "Number of configuration snapshots applied."),
		ready:      desc("ready", "1 once the dataplane forwards packets."),
		vrrp:       newVRRPDescs(),
		sync:       newSyncDescs(),
	}
}

// Describe sends every descriptor, so the registry checks names up front.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.svcConns, c.svcPkts, c.svcBytes,
		c.rsConns, c.rsPkts, c.rsBytes, c.rsActive, c.rsInact, c.rsW,
		c.lcoreRx, c.lcoreTx, c.lcoreConns, c.lcoreCreated, c.lcoreTemplates, c.drops,
		c.methodPkts, c.methodBytes, c.encap, c.fragNeeded, c.gap, c.gapsOver,
		c.reused, c.punted, c.injected, c.arp, c.refused, c.held, c.holding,
		c.outcomes, c.icmpLimited, c.evicted, c.flood, c.nodestExpired,
		c.portRx, c.portTx, c.portRxBytes, c.portTxBytes,
		c.portMissed, c.portRxErr, c.portTxErr, c.portNoMbuf, c.portUp,
		c.kernelPkts, c.kernelBytes, c.kernelDrops,
		c.neighbors, c.generation, c.ready,
	} {
		ch <- d
	}
	for _, d := range c.vrrp.all() {
		ch <- d
	}
	for _, d := range c.sync.all() {
		ch <- d
	}
}

// Collect reads the source once per method and emits constant metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.collectServices(ch, c.src.Services())
	c.collectStats(ch, c.src.Stats())
	c.collectStatus(ch, c.src.Status())
	c.vrrp.collect(ch, c.src)
	c.sync.collect(ch, c.src)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

// traffic emits the connection, packet and byte counters shared by
// services and real servers.
func traffic(ch chan<- prometheus.Metric, conns, pkts, bytes *prometheus.Desc, s admin.Counters, labels []string) {
	in := append(labels[:len(labels):len(labels)], "in")
	out := append(labels[:len(labels):len(labels)], "out")
	counter(ch, conns, s.Conns, labels...)
	counter(ch, pkts, s.InPkts, in...)
	counter(ch, pkts, s.OutPkts, out...)
	counter(ch, bytes, s.InBytes, in...)
	counter(ch, bytes, s.OutBytes, out...)
}

func (c *Collector) collectServices(ch chan<- prometheus.Metric, svcs []admin.Service) {
	for _, s := range svcs {
		sl := []string{s.Name, s.VIP, s.Protocol, strconv.Itoa(int(s.Port))}
		traffic(ch, c.svcConns, c.svcPkts, c.svcBytes, s.Stats, sl)
		for _, rs := range s.RealServers {
			rl := append(sl[:len(sl):len(sl)], rs.Address+":"+strconv.Itoa(int(rs.Port)))
			traffic(ch, c.rsConns, c.rsPkts, c.rsBytes, rs.Stats, rl)
			gauge(ch, c.rsActive, float64(rs.ActiveConns), rl...)
			gauge(ch, c.rsInact, float64(rs.InactiveConns), rl...)
			gauge(ch, c.rsW, float64(rs.Weight), rl...)
		}
	}
}

func (c *Collector) collectStats(ch chan<- prometheus.Metric, st admin.Stats) {
	for _, l := range st.Lcores {
		id := strconv.FormatUint(uint64(l.Lcore), 10)
		counter(ch, c.lcoreRx, l.RxPackets, id)
		counter(ch, c.lcoreTx, l.TxPackets, id)
		gauge(ch, c.lcoreConns, float64(l.Conns), id)
		gauge(ch, c.lcoreTemplates, float64(l.Templates), id)
		counter(ch, c.lcoreCreated, l.ConnsCreated, id)
		for reason, n := range l.Drops {
			counter(ch, c.drops, n, id, reason)
		}
		for m, ms := range l.Methods {
			counter(ch, c.methodPkts, ms.Packets, id, m)
			counter(ch, c.methodBytes, ms.Bytes, id, m)
		}
		counter(ch, c.encap, l.Encapsulated, id)
		counter(ch, c.fragNeeded, l.FragNeededSent, id)
		gauge(ch, c.gap, float64(l.MaxPollGapUs)/1e6, id)
		for over, n := range l.PollGapsOver {
			counter(ch, c.gapsOver, n, id, over)
		}
		counter(ch, c.reused, l.Reused, id)
		for reason, n := range l.Punted {
			counter(ch, c.punted, n, id, reason)
		}
		counter(ch, c.injected, l.Injected, id)
		counter(ch, c.outcomes, l.Forwarded, id, "forwarded")
		counter(ch, c.outcomes, l.Answered, id, "answered")
		counter(ch, c.outcomes, l.Redirected, id, "redirected")
		counter(ch, c.icmpLimited, l.ICMPRateLimited, id)
		counter(ch, c.evicted, l.Evicted, id)
		counter(ch, c.nodestExpired, l.NodestExpired, id)
		gauge(ch, c.flood, boolValue(l.FloodActive), id)
	}
	c.collectSlowPath(ch, st.SlowPath)
}

func (c *Collector) collectSlowPath(ch chan<- prometheus.Metric, s slowpath.Stats) {
	for event, n := range map[string]uint64{
		"received": s.ARPReceived, "invalid": s.ARPInvalid, "requests_answered": s.RequestsAnswered,
		"replies_received": s.RepliesReceived, "requests_sent": s.RequestsSent, "gratuitous_sent": s.GARPSent,
		"not_for_us": s.NotForUs,
	} {
		counter(ch, c.arp, n, event)
	}
	r := s.Refused
	for reason, n := range map[string]uint64{
		"not_in_subnet": r.NotInSubnet, "own_address": r.OwnAddress, "bad_mac": r.BadMAC, "bad_address": r.BadAddress, "table_full": r.TableFull,
		"unsolicited": r.Unsolicited,
	} {
		counter(ch, c.refused, n, reason)
	}
	for outcome, n := range map[string]uint64{"held": s.Held, "sent": s.HoldSent, "overflow": s.HoldOverflow, "timeout": s.HoldTimeout} {
		counter(ch, c.held, n, outcome)
	}
	gauge(ch, c.holding, float64(s.Holding))
}

func (c *Collector) collectStatus(ch chan<- prometheus.Metric, st admin.Status) {
	for _, p := range st.Ports {
		counter(ch, c.portRx, p.RxPackets, p.Name)
		counter(ch, c.portTx, p.TxPackets, p.Name)
		counter(ch, c.portRxBytes, p.RxBytes, p.Name)
		counter(ch, c.portTxBytes, p.TxBytes, p.Name)
		counter(ch, c.portMissed, p.RxMissed, p.Name)
		counter(ch, c.portRxErr, p.RxErrors, p.Name)
		counter(ch, c.portTxErr, p.TxErrors, p.Name)
		counter(ch, c.portNoMbuf, p.RxNoMbuf, p.Name)
		gauge(ch, c.portUp, boolValue(p.LinkUp), p.Name)
	}
	for _, k := range st.Kernel {
		for dir, t := range map[string]admin.KernelTraffic{"to_kernel": k.ToKernel, "from_kernel": k.FromKernel} {
			counter(ch, c.kernelPkts, t.Packets, k.Port, dir)
			counter(ch, c.kernelBytes, t.Bytes, k.Port, dir)
			for reason, n := range t.Drops {
				counter(ch, c.kernelDrops, n, k.Port, dir, reason)
			}
		}
	}
	// Every state always appears so a dashboard sees 0 rather than nothing.
	states := map[string]int{admin.NeighReachable: 0, admin.NeighStale: 0, admin.NeighIncomplete: 0, admin.NeighPermanent: 0}
	for _, n := range st.Neighbors {
		states[n.State]++
	}
	for state, n := range states {
		gauge(ch, c.neighbors, float64(n), state)
	}
	gauge(ch, c.generation, float64(st.Generation))
	gauge(ch, c.ready, boolValue(st.Ready))
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
