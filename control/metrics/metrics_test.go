package metrics

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/dataplane/slowpath"
)

type fakeSource struct {
	services []admin.Service
	stats    admin.Stats
	status   admin.Status
}

func (f fakeSource) Services() []admin.Service { return f.services }
func (f fakeSource) Stats() admin.Stats        { return f.stats }
func (f fakeSource) Status() admin.Status      { return f.status }

func sample() fakeSource {
	return fakeSource{
		services: []admin.Service{{
			Name: "web", VIP: "10.0.0.100", Protocol: "tcp", Port: 80, Scheduler: "wrr",
			Stats: admin.Counters{Conns: 3, InPkts: 30, OutPkts: 20, InBytes: 3000, OutBytes: 9000},
			RealServers: []admin.RealServer{
				{Address: "10.1.0.11", Port: 8080, Method: "nat", Weight: 2, ActiveConns: 1, InactiveConns: 2,
					Stats: admin.Counters{Conns: 3, InPkts: 30, OutPkts: 20, InBytes: 3000, OutBytes: 9000}},
				{Address: "10.1.0.12", Port: 8080, Method: "nat", Weight: 0},
			},
		}},
		stats: admin.Stats{
			Lcores: []admin.LcoreStats{
				{Lcore: 1, RxPackets: 100, TxPackets: 90, Conns: 4, Templates: 2, ConnsCreated: 10,
					Drops:   map[string]uint64{"no_service": 7, "no_conn": 3},
					Methods: map[string]admin.MethodStats{"tun": {Packets: 60, Bytes: 6000}},
					Reused:  5, Punted: map[string]uint64{"arp": 4}, Forwarded: 80, Evicted: 6, NodestExpired: 2,
					Encapsulated: 60, FragNeededSent: 2, MaxPollGapUs: 250},
				{Lcore: 2, RxPackets: 50, TxPackets: 50, Drops: map[string]uint64{"no_service": 1}},
			},
			Drops:    map[string]uint64{"no_service": 8, "no_conn": 3},
			SlowPath: slowpath.Stats{ARPReceived: 9, NotForUs: 4, HoldSent: 3, Holding: 1, Refused: slowpath.Refused{TableFull: 2, Unsolicited: 5}},
		},
		status: admin.Status{
			Ready: true, Generation: 4, Workers: []uint{1, 2},
			Ports: []admin.PortStatus{{Name: "wan", LinkUp: true, RxPackets: 120, TxPackets: 80, RxMissed: 2}},
			Neighbors: []admin.Neighbor{
				{IP: "10.1.0.11", State: admin.NeighReachable, Port: "lan"},
				{IP: "10.1.0.12", State: admin.NeighReachable, Port: "lan"},
				{IP: "10.1.0.13", State: admin.NeighIncomplete, Port: "lan"},
			},
		},
	}
}

// gather scrapes reg into `name{k="v",...}` -> value, with each family's type.
// (prometheus/testutil would do this, but it needs a module go.sum lacks.)
func gather(t *testing.T, reg *prometheus.Registry) ([]*dto.MetricFamily, map[string]float64, map[string]dto.MetricType) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := map[string]float64{}
	types := map[string]dto.MetricType{}
	for _, mf := range mfs {
		types[mf.GetName()] = mf.GetType()
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, lp := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
			}
			sort.Strings(labels)
			key := mf.GetName()
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			series[key] = v
		}
	}
	return mfs, series, types
}

func registry(t *testing.T, src Source) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := Register(reg, src); err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestCollect(t *testing.T) {
	_, series, types := gather(t, registry(t, sample()))
	const svc = `port="80",protocol="tcp",service="web",vip="10.0.0.100"`
	const rs1 = `port="80",protocol="tcp",realserver="10.1.0.11:8080",service="web",vip="10.0.0.100"`
	const rs2 = `port="80",protocol="tcp",realserver="10.1.0.12:8080",service="web",vip="10.0.0.100"`
	want := map[string]float64{
		`govs_service_connections_total{` + svc + `}`:               3,
		`govs_service_packets_total{direction="in",` + svc + `}`:    30,
		`govs_service_packets_total{direction="out",` + svc + `}`:   20,
		`govs_service_bytes_total{direction="in",` + svc + `}`:      3000,
		`govs_service_bytes_total{direction="out",` + svc + `}`:     9000,
		`govs_realserver_connections_total{` + rs1 + `}`:            3,
		`govs_realserver_packets_total{direction="in",` + rs1 + `}`: 30,
		`govs_realserver_bytes_total{direction="out",` + rs1 + `}`:  9000,
		`govs_realserver_packets_total{direction="in",` + rs2 + `}`: 0,
		`govs_realserver_active_connections{` + rs1 + `}`:           1,
		`govs_realserver_inactive_connections{` + rs1 + `}`:         2,
		`govs_realserver_weight{` + rs1 + `}`:                       2,
		`govs_realserver_weight{` + rs2 + `}`:                       0,
		`govs_lcore_rx_packets_total{lcore="1"}`:                    100,
		`govs_lcore_rx_packets_total{lcore="2"}`:                    50,
		`govs_lcore_tx_packets_total{lcore="1"}`:                    90,
		`govs_lcore_connections{lcore="1"}`:                         4,
		`govs_lcore_persistence_templates{lcore="1"}`:               2,
		`govs_lcore_connections_created_total{lcore="1"}`:           10,
		`govs_drops_total{lcore="1",reason="no_service"}`:           7,
		`govs_drops_total{lcore="1",reason="no_conn"}`:              3,
		`govs_drops_total{lcore="2",reason="no_service"}`:           1,
		`govs_port_rx_packets_total{port="wan"}`:                    120,
		`govs_port_tx_packets_total{port="wan"}`:                    80,
		`govs_port_rx_missed_total{port="wan"}`:                     2,
		`govs_port_link_up{port="wan"}`:                             1,
		`govs_neighbors{state="reachable"}`:                         2,
		`govs_neighbors{state="incomplete"}`:                        1,
		`govs_config_generation`:                                    4,
		`govs_ready`:                                                1,
		`govs_method_packets_total{lcore="1",method="tun"}`:         60,
		`govs_method_bytes_total{lcore="1",method="tun"}`:           6000,
		`govs_tunnel_encapsulated_total{lcore="1"}`:                 60,
		`govs_icmp_frag_needed_sent_total{lcore="1"}`:               2,
		`govs_lcore_connections_reused_total{lcore="1"}`:            5,
		`govs_lcore_packets_total{lcore="1",outcome="forwarded"}`:   80,
		`govs_lcore_evicted_total{lcore="1"}`:                       6,
		`govs_lcore_nodest_expired_total{lcore="1"}`:                2,
		`govs_lcore_punted_total{lcore="1",reason="arp"}`:           4,
		`govs_arp_total{event="received"}`:                          9,
		`govs_held_packets_total{outcome="sent"}`:                   3,
		`govs_held_packets`:                                         1,
		`govs_neighbor_refused_total{reason="table_full"}`:          2,
		`govs_neighbor_refused_total{reason="unsolicited"}`:         5,
		`govs_arp_total{event="not_for_us"}`:                        4,
		`govs_lcore_max_poll_gap_seconds{lcore="1"}`:                0.00025,
	}
	for k, v := range want {
		got, ok := series[k]
		if !ok {
			t.Errorf("missing %s", k)
		} else if got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	if n := len(series); n != 94 {
		t.Errorf("%d series, want 94", n)
	}
	for name, typ := range types {
		wantCounter := strings.HasSuffix(name, "_total")
		if (typ == dto.MetricType_COUNTER) != wantCounter {
			t.Errorf("%s has type %v", name, typ)
		}
	}
}

func TestLint(t *testing.T) {
	mfs, _, _ := gather(t, registry(t, sample()))
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

func TestEmptySource(t *testing.T) {
	// A daemon that has not started yet still exposes its state.
	_, series, _ := gather(t, registry(t, fakeSource{}))
	// 4 neighbour states, generation, ready, and the slow path's 18 (7 ARP
	// events, 6 refusals, 4 hold outcomes, the hold gauge): they always
	// appear, zero included.
	if len(series) != 24 {
		t.Errorf("empty source: %v, want 24 series", series)
	}
}
