package main

import "github.com/govs-project/govs/dataplane/fastpath"

// The connection table's memory is read in this one place: bytes per
// connection, the capacity search and the hugepage sizing all use it.

// maxTableEntries is the largest capacity the table accepts.
const maxTableEntries = fastpath.MaxConnCapacity

// footprintSource says, for the report, what a connection costs.
const footprintSource = "`fastpath.ConnFootprint(n)/n` (fp_conn.c): a 32-byte `struct fp_conn` + 4 index slots of 8 bytes; both directions share the index"

// tableFootprint is the bytes of hugepages a table of n entries takes.
func tableFootprint(n int) int64 { return int64(fastpath.ConnFootprint(n)) }

// bytesPerConn is what one tracked connection costs, measured on a table
// of 1M entries (the footprint is linear; the rounding to 64 bytes is lost
// in the division).
func bytesPerConn() float64 {
	const n = 1 << 20
	return float64(tableFootprint(n)) / n
}
