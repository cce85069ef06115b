// Package fastpath is govs's per-packet path: C code that runs on the
// worker lcores (fp_*.c, fp_*.h) and the Go that builds what it reads and
// reads what it writes. The lcores run a C poll loop launched with
// rte_eal_remote_launch that never enters the Go runtime, so no garbage
// collection, preemption or scheduling of Go can stall it.
//
// fp_layout.h is the only definition of every layout shared with Go: the
// configuration snapshot, the counters, the connection record, and the
// names of drop reasons, punt reasons, states and methods.
package fastpath

/*
#cgo CFLAGS: -O3 -Wall -Wextra -Werror
#cgo pkg-config: libdpdk
#include "fp_control.h"
*/
import "C"

import "sync"

// Limits of the layout (fp_layout.h).
const (
	MaxPorts       = C.FP_MAX_PORTS
	MaxVirtualMACs = C.FP_MAX_VMACS // per port
	MaxServices    = C.FP_MAX_SERVICES
	MaxRealServers = C.FP_MAX_REAL_SERVERS
	MaxWorkers     = C.FP_MAX_WORKERS
	MaxBurst       = C.FP_MAX_BURST

	NumDrops         = C.FP_NUM_DROPS
	NumSyncRejects   = C.FP_NUM_SYNC_REJECTS
	NumPunts         = C.FP_NUM_PUNTS
	NumStates        = C.FP_NUM_STATES
	NumMethods       = C.FP_NUM_METHODS
	NumGapThresholds = C.FP_NUM_GAP_THRESHOLDS

	// MaxConnCapacity bounds a connection table (32-bit tags also pick
	// the home slot, and must still filter foreign slots).
	MaxConnCapacity = C.FP_CONN_MAX_CAPACITY
)

// Drop is why the fast path freed a packet (enum fp_drop).
type Drop uint8

// The drop reasons tests and the control plane refer to by name.
const (
	DropNone            Drop = C.FP_DROP_NONE
	DropTruncated       Drop = C.FP_DROP_TRUNCATED
	DropNotIPv4         Drop = C.FP_DROP_NOT_IPV4
	DropBadChecksum     Drop = C.FP_DROP_BAD_CHECKSUM
	DropFragment        Drop = C.FP_DROP_FRAGMENT
	DropVLAN            Drop = C.FP_DROP_VLAN
	DropNoService       Drop = C.FP_DROP_NO_SERVICE
	DropNoConn          Drop = C.FP_DROP_NO_CONN
	DropConnTableFull   Drop = C.FP_DROP_CONN_TABLE_FULL
	DropNoDest          Drop = C.FP_DROP_NO_DEST
	DropTTLExceeded     Drop = C.FP_DROP_TTL_EXCEEDED
	DropNoRoute         Drop = C.FP_DROP_NO_ROUTE
	DropNeighUnresolved Drop = C.FP_DROP_NEIGH_UNRESOLVED
	DropNotLocal        Drop = C.FP_DROP_NOT_LOCAL
	DropLocalProto      Drop = C.FP_DROP_LOCAL_PROTO
	DropICMPUnhandled   Drop = C.FP_DROP_ICMP_UNHANDLED
	DropRedirectFull    Drop = C.FP_DROP_REDIRECT_FULL
	DropTxFull          Drop = C.FP_DROP_TX_FULL
	DropMultiSeg        Drop = C.FP_DROP_MULTI_SEGMENT
	DropTooBig          Drop = C.FP_DROP_TOO_BIG
	DropTooBigNoDF      Drop = C.FP_DROP_TOO_BIG_NO_DF
	DropNoHeadroom      Drop = C.FP_DROP_NO_HEADROOM
	DropPuntFull        Drop = C.FP_DROP_PUNT_FULL
	DropBadDstMAC       Drop = C.FP_DROP_BAD_DST_MAC
	DropBadSrcMAC       Drop = C.FP_DROP_BAD_SRC_MAC
	DropMartianSrc      Drop = C.FP_DROP_MARTIAN_SRC
	DropMartianDst      Drop = C.FP_DROP_MARTIAN_DST
	DropSpoofedSrc      Drop = C.FP_DROP_SPOOFED_SRC
	DropRPFilter        Drop = C.FP_DROP_RP_FILTER
	DropPortZero        Drop = C.FP_DROP_PORT_ZERO
	DropBadTCPFlags     Drop = C.FP_DROP_BAD_TCP_FLAGS
	DropRSTOutOfWindow  Drop = C.FP_DROP_RST_OUT_OF_WINDOW
	DropBadICMPChecksum Drop = C.FP_DROP_BAD_ICMP_CHECKSUM
	DropICMPNotRelayed  Drop = C.FP_DROP_ICMP_NOT_RELAYED
	DropNewConnLimit    Drop = C.FP_DROP_NEW_CONN_LIMIT
	DropBadIPOptions    Drop = C.FP_DROP_BAD_IP_OPTIONS
	DropSourceRoute     Drop = C.FP_DROP_SOURCE_ROUTE
	DropKernelFull      Drop = C.FP_DROP_KERNEL_FULL
	DropDestUnavailable Drop = C.FP_DROP_DEST_UNAVAILABLE
	DropVIPStandby      Drop = C.FP_DROP_VIP_STANDBY // the VIP's VRRP instance is not MASTER
	// the server-side tuple is a live connection's: the client's port
	// through another service to the same server port
	DropReplyTupleTaken Drop = C.FP_DROP_REPLY_TUPLE_TAKEN
)

// Punt is why a packet went to the Go slow path (enum fp_punt).
type Punt uint8

const (
	PuntARP    Punt = C.FP_PUNT_ARP
	PuntNeigh  Punt = C.FP_PUNT_NEIGH
	PuntKernel Punt = C.FP_PUNT_KERNEL // for the kernel interface of the port it came in on
)

// Connection states (enum fp_state), IPVS's.
const (
	StateNone        = C.FP_STATE_NONE
	StateEstablished = C.FP_STATE_ESTABLISHED
	StateSynSent     = C.FP_STATE_SYN_SENT
	StateSynRecv     = C.FP_STATE_SYN_RECV
	StateFinWait     = C.FP_STATE_FIN_WAIT
	StateTimeWait    = C.FP_STATE_TIME_WAIT
	StateClose       = C.FP_STATE_CLOSE
	StateCloseWait   = C.FP_STATE_CLOSE_WAIT
	StateLastAck     = C.FP_STATE_LAST_ACK
	StateListen      = C.FP_STATE_LISTEN
	StateSynAck      = C.FP_STATE_SYNACK
	StateUDP         = C.FP_STATE_UDP
)

// Timeouts are the idle timeouts in milliseconds, indexed by state.
type Timeouts [NumStates]uint32

// names are read once from the C tables.
var names = sync.OnceValue(func() (n struct {
	drops   [NumDrops]string
	punts   [NumPunts]string
	states  [NumStates]string
	methods [NumMethods]string
	gaps    [NumGapThresholds]uint64
}) {
	for i := range n.drops {
		n.drops[i] = C.GoString(C.fp_drop_name(C.uint(i)))
	}
	for i := range n.punts {
		n.punts[i] = C.GoString(C.fp_punt_name(C.uint(i)))
	}
	for i := range n.states {
		n.states[i] = C.GoString(C.fp_state_name(C.uint(i)))
	}
	for i := range n.methods {
		n.methods[i] = C.GoString(C.fp_method_name(C.uint(i)))
	}
	for i := range n.gaps {
		n.gaps[i] = uint64(C.fp_gap_threshold_ns(C.uint(i)))
	}
	return n
})

// String is the drop reason's metric label.
func (d Drop) String() string {
	if int(d) < NumDrops {
		return names().drops[d]
	}
	return "unknown"
}

// String is the punt reason's label.
func (p Punt) String() string {
	if int(p) < NumPunts {
		return names().punts[p]
	}
	return "unknown"
}

// StateName is IPVS's name of a connection state, as ipvsadm -lnc prints it.
func StateName(s uint8) string {
	if int(s) < NumStates {
		return names().states[s]
	}
	return "ERR!"
}

// MethodName is the fast path's name of a forwarding method.
func MethodName(m uint8) string {
	if int(m) < NumMethods {
		return names().methods[m]
	}
	return "unknown"
}

// GapThresholdsNs are the poll-gap lengths (ns) whose exceedances are
// counted per lcore.
func GapThresholdsNs() [NumGapThresholds]uint64 { return names().gaps }

// ConnFootprint is the bytes of hugepage memory a connection table of
// capacity entries takes (0 for a capacity out of range).
func ConnFootprint(capacity int) uintptr {
	if capacity < 1 || capacity > MaxConnCapacity {
		return 0
	}
	return uintptr(C.fp_conn_footprint(C.uint32_t(capacity)))
}
