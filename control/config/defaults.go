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
	// maxPersistence keeps a template's deadline on the lcores' wrapping
	// millisecond clock (as the dataplane's own limit).
	maxPersistence = 10 * 24 * time.Hour
	maxThreshold   = 1 << 30
)

// DefaultSocket is where govsd listens for govsctl unless configured.
const DefaultSocket = "/run/govs/govsd.sock"

// DefaultStateFile is where govsd keeps runtime overrides unless configured.
const DefaultStateFile = "/var/lib/govs/state.json"

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
			FlowAffinity:      AffinityAddressPort,
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

func defaultPort() Port { return Port{MTU: 1500, Kernel: KernelInterface{Enabled: true}} }

// defaultKernelName is a port's kernel-side interface name unless set.
func defaultKernelName(port string) string { return "govs-" + port }

// Quorum 1 is keepalived's: one healthy server of weight >= 1 is enough.
// defaultService: wlc is ipvsadm's default scheduler.
func defaultService() Service {
	return Service{Scheduler: "wlc", Quorum: 1, PersistenceGranularity: 32}
}

// defaultSorryServer is weight 1 as keepalived's; its port defaults to the
// service port like a real server's.
func defaultSorryServer() RealServer { return RealServer{Weight: 1, Method: MethodNAT} }

// Check defaults. keepalived's are delay_loop 60s, connect_timeout 5s,
// one retry (fall 2) and delay_before_retry 1s (3s for HTTP_GET); govs
// checks more often (5s) so a dead server is out in seconds, with a
// timeout (3s) that ends one check before the next is due.
const (
	defaultCheckInterval   = 5 * time.Second
	defaultCheckTimeout    = 3 * time.Second
	defaultCheckRetryDelay = time.Second
	defaultCheckRise       = 1 // keepalived: one success brings a server up
	defaultCheckFall       = 2 // keepalived: retry 1, one check plus one retry
)

// defaultCheck is a check of type t before the file's keys are applied.
func defaultCheck(t CheckType) Check {
	c := Check{
		Type: t, Interval: defaultCheckInterval, Timeout: defaultCheckTimeout,
		Rise: defaultCheckRise, Fall: defaultCheckFall,
	}
	switch t {
	case CheckHTTP, CheckHTTPS:
		c.HTTP = HTTPCheck{Method: "GET", Path: "/", Status: []StatusRange{{200, 299}}}
	case CheckDNS:
		// keepalived's DNS_CHECK asks for the SOA of the root.
		c.DNS = DNSCheck{Name: ".", Type: "SOA", RequireAnswer: true}
	}
	return c
}

// resolveCheckDefaults fills the defaults that follow other keys, for the
// keys the file did not set (isSet reports which it did).
func resolveCheckDefaults(c *Check, isSet func(key string) bool) {
	if !isSet("warmup") {
		c.Warmup = c.Interval // keepalived: warmup up to delay_loop
	}
	if !isSet("retry_delay") {
		c.RetryDelay = min(defaultCheckRetryDelay, c.Interval)
	}
	if !isSet("tls_sni") && c.Type == CheckHTTPS {
		c.HTTP.TLSSNI = c.HTTP.Host // keepalived's enable_sni sends the virtualhost
	}
}

func defaultRealServer() RealServer { return RealServer{Weight: 1, Method: MethodNAT} }
