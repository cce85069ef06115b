/*
 * fp_dump.h - reading a worker's connection table from the control plane
 * (the connection listing, ipvsadm -Lnc) while its lcore keeps running.
 * The lcore does nothing for it: the reader copies entries out of the
 * table's memory, which it only ever reads.
 */
#ifndef FP_DUMP_H
#define FP_DUMP_H

#include <stdint.h>

#include "fp_layout.h"
#include "fp_worker.h"

/* What one fp_conn_dump call did. */
struct fp_dump_result {
	uint32_t copied;   /* entries written to out */
	uint32_t next;     /* the cursor to pass next; == end when done */
	uint32_t end;      /* the table's high-water mark when the call began */
	uint32_t unstable; /* entries skipped: written while being read, twice */
	uint32_t now;      /* the worker's clock (ms) its expire fields count on */
};

/*
 * Copies the connections at indexes [cursor, end) of w's table into out,
 * at most max of them, scanning at most scan entries. An entry is copied
 * only when two reads of it agree and it is in use, so out never holds a
 * half-written connection; one the lcore rewrote meanwhile is either its
 * old or its new self, as any listing of a live table is.
 */
void fp_conn_dump(const struct fp_worker *w, uint32_t cursor, struct fp_conn *out,
	uint32_t max, uint32_t scan, struct fp_dump_result *res);

#endif
