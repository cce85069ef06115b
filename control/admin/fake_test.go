package admin

import (
	"errors"
	"sync"

	"github.com/govs-project/govs/dataplane/slowpath"
)

// fakeSource is a canned daemon: fixed replies, a configurable reload error.
type fakeSource struct {
	mu        sync.Mutex
	status    Status
	services  []Service
	stats     Stats
	reloadErr error
	reloads   int

	// With inStats set, Stats signals it and blocks until release is closed.
	inStats, release chan struct{}

	health Health
	events chan Event // what Subscribe hands out; nil: a channel that never delivers
}

func (f *fakeSource) Health() Health { return f.health }

func (f *fakeSource) Subscribe(int) (<-chan Event, func()) {
	if f.events == nil {
		return make(chan Event), func() {}
	}
	return f.events, func() {}
}

func (f *fakeSource) Status() Status      { return f.status }
func (f *fakeSource) Services() []Service { return f.services }

func (f *fakeSource) Stats() Stats {
	if f.inStats != nil {
		f.inStats <- struct{}{}
		<-f.release
	}
	return f.stats
}

func (f *fakeSource) Reload() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reloads++
	return f.reloadErr
}

var errBoom = errors.New("apply failed: dataplane busy")

func sampleServices() []Service {
	return []Service{
		{
			Name: "dns", VIP: "10.0.0.100", Protocol: "udp", Port: 53, Scheduler: "rr",
			Stats: Counters{Conns: 12, InPkts: 40, OutPkts: 40, InBytes: 2600, OutBytes: 5200},
			RealServers: []RealServer{
				{Address: "10.1.0.12", Port: 5353, Method: "nat", Weight: 1, InactiveConns: 3,
					Stats: Counters{Conns: 6, InPkts: 20, OutPkts: 20, InBytes: 1300, OutBytes: 2600}},
				{Address: "10.1.0.11", Port: 5353, Method: "nat", Weight: 1, InactiveConns: 2,
					Stats: Counters{Conns: 6, InPkts: 20, OutPkts: 20, InBytes: 1300, OutBytes: 2600}},
			},
		},
		{
			Name: "web", VIP: "10.0.0.100", Protocol: "tcp", Port: 80, Scheduler: "wrr",
			Stats: Counters{Conns: 1000, InPkts: 6000, OutPkts: 5000, InBytes: 400000, OutBytes: 700000},
			RealServers: []RealServer{
				{Address: "10.1.0.11", Port: 8080, Method: "nat", Weight: 1, ActiveConns: 2, InactiveConns: 1,
					Stats: Counters{Conns: 167, InPkts: 1000, OutPkts: 833, InBytes: 66667, OutBytes: 116667}},
				{Address: "10.1.0.12", Port: 8080, Method: "dr", Weight: 2, ActiveConns: 5,
					Stats: Counters{Conns: 333, InPkts: 2000, OutPkts: 1667, InBytes: 133333, OutBytes: 233333}},
				{Address: "10.1.0.13", Port: 8080, Method: "tun", Weight: 3, ActiveConns: 10, InactiveConns: 4,
					Stats: Counters{Conns: 500, InPkts: 3000, OutPkts: 2500, InBytes: 200000, OutBytes: 12345678901}},
			},
		},
	}
}

func sampleStatus() Status {
	return Status{
		Ready: true, Generation: 3, ConfigFile: "configs/demo.yaml", Workers: []uint{1},
		Ports: []PortStatus{
			{Name: "wan", Device: "net_tap0,iface=govsdemo-wan", Address: "10.0.0.1/24", MAC: "02:00:00:00:00:01",
				LinkUp: true, RxPackets: 6040, TxPackets: 5040, RxBytes: 402600, TxBytes: 705200},
			{Name: "lan", Device: "net_tap1,iface=govsdemo-lan", Address: "10.1.0.1/24", MAC: "02:00:00:00:00:02",
				RxPackets: 5040, TxPackets: 6040, RxBytes: 705200, TxBytes: 402600, RxMissed: 7, RxNoMbuf: 1},
		},
		Neighbors: []Neighbor{
			{IP: "10.1.0.13", State: NeighIncomplete, Port: "lan"},
			{IP: "10.1.0.11", MAC: "02:00:00:00:01:11", State: NeighReachable, Port: "lan"},
			{IP: "10.0.0.2", MAC: "02:00:00:00:00:02", State: NeighReachable, Port: "wan"},
		},
	}
}

func sampleStats() Stats {
	return Stats{
		Lcores: []LcoreStats{
			{Lcore: 1, RxPackets: 6000, TxPackets: 5900, Conns: 17, ConnsCreated: 600,
				Drops:        map[string]uint64{"no_service": 3, "no_conn": 0, "neigh_unresolved": 97},
				Methods:      map[string]MethodStats{"nat": {Packets: 5000, Bytes: 400000}, "tun": {Packets: 800, Bytes: 90000}},
				Encapsulated: 800, FragNeededSent: 3, MaxPollGapUs: 41,
				PollGapsOver: map[string]uint64{"50µs": 7, "200µs": 2, "1ms": 0, "10ms": 0},
				Reused:       4, Punted: map[string]uint64{"arp": 30, "neigh_unresolved": 2}, Injected: 31,
				// rx + inbox = forwarded + answered + punted + redirected + drops
				InboxPackets: 40, Forwarded: 5850, Answered: 18, Redirected: 40,
				TimeExceededSent: 5, ICMPRateLimited: 2, Evicted: 7, FloodActive: true},
			{Lcore: 2, RxPackets: 5080, TxPackets: 5000, Conns: 9, ConnsCreated: 412,
				Drops:   map[string]uint64{"no_service": 1, "bad_ip_checksum": 2},
				Methods: map[string]MethodStats{"nat": {Packets: 4900, Bytes: 390000}}, MaxPollGapUs: 120,
				Forwarded: 4997, Redirected: 80, InjectFailed: 1},
		},
		Drops: map[string]uint64{"no_service": 4, "no_conn": 0, "neigh_unresolved": 97, "bad_ip_checksum": 2},
		SlowPath: slowpath.Stats{ARPReceived: 30, ARPInvalid: 1, RequestsAnswered: 12, RequestsSent: 9, GARPSent: 4,
			NotForUs: 15, Learned: 6, Entries: 6, Refused: slowpath.Refused{NotInSubnet: 3, OwnAddress: 1, Unsolicited: 2}, Held: 2, HoldSent: 2},
	}
}

func newFake() *fakeSource {
	return &fakeSource{status: sampleStatus(), services: sampleServices(), stats: sampleStats()}
}
