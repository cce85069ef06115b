package fastpath

/*
#include "fp_dump.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// DumpedConn is one connection copied out of a worker's table.
type DumpedConn struct {
	ClientIP, VIP, RSIP       uint32
	ClientPort, VPort, RSPort uint16
	Proto, State, Method      uint8
	SvcID, RSID               uint16
	// ExpiresInMs is what is left of its timeout, by the worker's clock;
	// negative when it is overdue (the sweep has not reached it yet).
	ExpiresInMs int32
	// Template: a persistence template (client network, port 0, state
	// NONE), not a connection.
	Template bool
	// Synced: it came from the sync master and no packet of it has passed here.
	Synced bool
}

// DumpPage is what one DumpConns call read.
type DumpPage struct {
	Conns    []DumpedConn
	Next     uint32 // the cursor of the next page
	Done     bool   // the whole table (as far as it was filled) was read
	Unstable int    // entries skipped because the lcore rewrote them while read
}

// MaxDumpPage bounds the connections one DumpConns call returns.
const MaxDumpPage = 1 << 16

// DumpConns copies up to limit connections of the worker's table, starting
// at index cursor and scanning at most scan entries, while its lcore runs:
// the lcore does no work for it (fp_dump.c).
func (w *Worker) DumpConns(cursor uint32, limit, scan int) DumpPage {
	limit, scan = min(max(limit, 1), MaxDumpPage), min(max(scan, 1), 1<<24)
	buf := make([]C.struct_fp_conn, limit)
	var res C.struct_fp_dump_result
	C.fp_conn_dump(w.ptr, C.uint32_t(cursor), (*C.struct_fp_conn)(unsafe.Pointer(&buf[0])), C.uint32_t(limit), C.uint32_t(scan), &res)
	runtime.KeepAlive(buf)
	p := DumpPage{Next: uint32(res.next), Done: res.next >= res.end, Unstable: int(res.unstable), Conns: make([]DumpedConn, res.copied)}
	for i := range p.Conns {
		c := &buf[i]
		p.Conns[i] = DumpedConn{ClientIP: uint32(c.client_ip), VIP: uint32(c.vip), RSIP: uint32(c.rs_ip),
			ClientPort: uint16(c.client_port), VPort: uint16(c.vport), RSPort: uint16(c.rs_port),
			Proto: uint8(c.proto), State: uint8(c.state), Method: uint8(c.flags >> C.FP_CONN_METHOD_SHIFT), SvcID: uint16(c.svc_id), RSID: uint16(c.rs_id),
			ExpiresInMs: int32(uint32(c.expire) - uint32(res.now)), Template: c.flags&C.FP_CONN_F_TEMPLATE != 0,
			Synced: c.flags&C.FP_CONN_F_SYNCED != 0}
	}
	return p
}

// DumpConns reads the harness worker's table as DumpConns does a running
// worker's.
func (hs *Harness) DumpConns(cursor uint32, limit, scan int) DumpPage {
	return hs.w.DumpConns(cursor, limit, scan)
}
