package config

import (
	"time"

	"github.com/govs-project/govs/dataplane/slowpath"
)

// Limits shared by decoding (which must range-check before narrowing an
// integer) and Validate (which checks configs built in code).
const (
	minConnTable = 1024
	maxConnTable = 1 << 26
	minNeighbors = 64
	maxNeighbors = 1 << 20
	minMbufs     = 1023
	maxMbufs     = 1 << 24
	minDataRoom  = 128 + 128 // headroom + a minimum frame with an outer header
	maxDataRoom  = 65535
	maxBurst     = 256
	minDesc      = 32
	maxDesc      = 32768
	minMTU       = 68
	maxMTU       = 9000
	maxWeight    = 65535
	maxMemoryMB  = 1 << 20
	// maxLcore is DPDK's RTE_MAX_LCORE as Debian builds it: ids are below it.
	maxLcore = 128

	maxIdleSleep = 10 * time.Millisecond
	minTimeout   = time.Second
	maxTimeout   = 24 * 24 * time.Hour
)

// DefaultSocket is where govsd listens for govsctl unless configured.
const DefaultSocket = "/run/govs/govsd.sock"

// defaults is the configuration before the file is applied on top of it.
// Defaults live here, not in Validate, because some zero values are
// meaningful (weight 0 quiesces, in_memory false keeps hugepage files).
func defaults() Config {
	return Config{
		EAL: EAL{InMemory: true},
		Dataplane: Dataplane{
			ConnTableSize:     1 << 20,
			NeighborTableSize: slowpath.DefaultMaxEntries,
			Mbufs:             16383,
			MbufDataRoom:      2048 + 128,
			Burst:             32,
			RxDesc:            1024,
			TxDesc:            1024,
			IdleSleepMax:      200 * time.Microsecond,
		},
		Timeouts: DefaultTimeouts(),
		Security: defaultSecurity(),
		Admin:    Admin{Socket: DefaultSocket},
	}
}

// NoneTimeout is how long a TCP connection may sit in IPVS's NONE state
// (created, before its first state step); as in IPVS it is not configurable.
const NoneTimeout = 2 * time.Second

// DefaultTimeouts are the IPVS defaults.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		TCPEstablished: 900 * time.Second,
		TCPSynSent:     120 * time.Second,
		TCPSynRecv:     60 * time.Second,
		TCPFinWait:     120 * time.Second,
		TCPTimeWait:    120 * time.Second,
		TCPClose:       10 * time.Second,
		TCPCloseWait:   60 * time.Second,
		TCPLastAck:     30 * time.Second,
		TCPListen:      120 * time.Second,
		TCPSynAck:      120 * time.Second,
		UDP:            300 * time.Second,
	}
}

func defaultPort() Port { return Port{MTU: 1500} }

func defaultService() Service { return Service{Scheduler: "wrr"} }

func defaultRealServer() RealServer { return RealServer{Weight: 1, Method: MethodNAT} }
