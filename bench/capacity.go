package main

import (
	"fmt"
	"strings"
	"time"
)

// capacityResult is the memory side of the report.
type capacityResult struct {
	BytesPerConn  float64 // bytesPerConn()
	OverheadBytes int64   // hugepages govsd uses besides its table (free pages before/after start)
	LimitMiB      int     // EAL --socket-limit of the search
	Scaled        bool    // the search ran with less than 4 GiB
	Largest       int     // largest table govsd started with under LimitMiB (searched)
	Step          int     // resolution of the search, entries
	Starts        int     // govsd starts the search took
	Projected4GiB int     // largest table for 4 GiB (= Largest when not scaled)
	Over          int     // a table whose index and conns alone fill the limit
	OverRefused   bool    // govsd refused Over, naming the table
	Err           string
}

const gib = 1 << 30

// largestTable is the most conns whose table fits in limit bytes next to
// overhead bytes of everything else, rounded down to a multiple of 1024.
func largestTable(limit, overhead int64) int {
	n := (limit - overhead) / int64(bytesPerConn())
	n &^= 1023
	for n > 0 && tableFootprint(int(min(n, maxTableEntries))) > limit-overhead {
		n -= 1024
	}
	return int(max(0, min(n, maxTableEntries)))
}

// searchLargest finds the largest n in [lo, hi) for which fits(n) holds,
// to within step, given fits(lo) and !fits(hi). fits is monotonic.
func searchLargest(lo, hi, step int, fits func(int) bool) int {
	for hi-lo > step {
		mid := lo + (hi-lo)/2
		mid -= mid % step
		if mid <= lo {
			mid = lo + step
		}
		if fits(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// runCapacity answers "how many connections fit in 4 GiB of hugepages":
// it measures govsd's hugepage use apart from its table, then searches the
// largest conn_table_size with which govsd starts under EAL's
// --socket-limit (4 GiB when enough hugepages are free, else a scaled-down
// limit from which 4 GiB is projected with the same overhead), and checks
// that a table filling the limit on its own is refused.
func (h *harness) runCapacity(tinyPcap string, tiny pcapSpec) capacityResult {
	res := capacityResult{BytesPerConn: bytesPerConn()}
	base := govsdConf{Device: pcapDevice(tinyPcap), ConnTable: 1024, Mbufs: mbufsFor(tiny) + mbufSlack, Method: "nat"}

	before := freePages()
	g, err := h.startGovsd("capacity-base", base, nil)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	time.Sleep(300 * time.Millisecond)
	used := int64(before-freePages()) * hugepageSize
	g.stop()
	res.OverheadBytes = used - tableFootprint(1024)

	res.LimitMiB = 4096
	if freePages()-h.reservePages < 4096/2+32 || h.quick {
		res.LimitMiB, res.Scaled = 512, true
	}
	limit := int64(res.LimitMiB) << 20
	try := func(table int) (bool, string) {
		conf := base
		conf.ConnTable, conf.SocketMiB = table, res.LimitMiB
		res.Starts++
		g, err := h.startGovsd(fmt.Sprintf("capacity-%d", table), conf, nil)
		if err != nil {
			return false, err.Error()
		}
		g.stop()
		return true, ""
	}
	res.Over = int(min(limit/int64(res.BytesPerConn), maxTableEntries))
	ok, msg := try(res.Over)
	res.OverRefused = !ok && strings.Contains(msg, "connection table")
	if ok {
		res.Err = fmt.Sprintf("govsd started with %d conns under a %d MiB limit: is --socket-limit honoured?", res.Over, res.LimitMiB)
		return res
	}
	lo := largestTable(limit, 64<<20) // 64 MiB for the rest: known to be plenty
	if ok, msg := try(lo); !ok {
		res.Err = fmt.Sprintf("govsd did not start with %d conns under %d MiB: %s", lo, res.LimitMiB, firstLine(msg))
		return res
	}
	res.Step = 16384 // 1 MiB of table
	res.Largest = searchLargest(lo, res.Over, res.Step, func(n int) bool { ok, _ := try(n); return ok })
	res.Projected4GiB = res.Largest
	if res.Scaled {
		rest := limit - tableFootprint(res.Largest) // what else took hugepages
		res.Projected4GiB = largestTable(4*gib, rest)
	}
	return res
}
func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
