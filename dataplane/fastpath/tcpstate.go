package fastpath

/*
#include "fp_conn.h"
#include "fp_pkt.h"
*/
import "C"

// TCPTable picks one of IPVS's TCP state tables (enum fp_tcp_table).
type TCPTable uint8

const (
	TCPInput     TCPTable = C.FP_TCP_INPUT      // client -> server, replies cross us too (NAT)
	TCPOutput    TCPTable = C.FP_TCP_OUTPUT     // server -> client (NAT replies)
	TCPInputOnly TCPTable = C.FP_TCP_INPUT_ONLY // client -> server, replies bypass us (DR, TUN)
)

// The TCP flags that move a connection's state.
const (
	FlagFIN = C.FP_TCP_FIN
	FlagSYN = C.FP_TCP_SYN
	FlagRST = C.FP_TCP_RST
	FlagACK = C.FP_TCP_ACK
)

// NextTCPState is the state after a packet with flags, as the lcores step
// it (fp_tcp_next); non-TCP states and packets without those flags stay.
func NextTCPState(cur uint8, table TCPTable, flags uint8) uint8 {
	return uint8(C.fp_tcp_next(C.uint8_t(cur), C.enum_fp_tcp_table(table), C.uint8_t(flags)))
}

// StateActive reports whether s counts as an active connection (ipvsadm's
// ActiveConn), as the lcores' gauges count it.
func StateActive(s uint8) bool { return C.fp_state_active(C.uint8_t(s)) != 0 }
