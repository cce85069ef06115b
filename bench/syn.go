package main

import (
	"errors"
	"fmt"
	"time"
)

// synRun is one measurement of the new-connection rate.
type synRun struct {
	ConnsPerSec float64 // during the first pass over the file
	TxPerSec    float64 // SYNs forwarded to real servers over the same span
	Samples     int     // counter samples inside the measured span
	Span        time.Duration
	Expired     uint64            // connections that timed out (tcp_syn_recv) within the span
	Drops       map[string]uint64 // over the first pass
}

// runSYN measures how fast one lcore opens connections: the file holds
// spec.Flows distinct SYNs, so every packet of the first pass creates one.
// The worker starts forwarding before govsd says it is ready, so the
// admin socket is polled from the moment it exists; the rate is the slope
// of conns_created between the samples where it first reaches 10 % and
// 90 % of the file (start-up and the end of the pass fall outside).
func (h *harness) runSYN(c benchCase, pcapPath string) (synRun, error) {
	var r synRun
	n := c.Pcap.Flows
	conf := govsdConf{Device: pcapDevice(pcapPath), ConnTable: tableFor(n),
		Mbufs: mbufsFor(c.Pcap) + mbufSlack, Method: "nat", SynRecv: "1s"}
	g, err := h.startGovsdNoWait(fmt.Sprintf("syn-%s", c.Pcap), conf, nil)
	if err != nil {
		return r, err
	}
	defer g.stop()
	var ts []float64
	var created, tx, live []uint64
	var first, last map[string]uint64
	t0 := time.Now()
	deadline := t0.Add(startTimeout)
	for {
		if err := h.interrupted(); err != nil {
			return r, err
		}
		st, now, err := g.lcore0()
		if err == nil {
			if first == nil {
				first = st.Drops
			}
			last = st.Drops
			ts = append(ts, now.Sub(t0).Seconds())
			created = append(created, st.ConnsCreated)
			tx = append(tx, st.TxPackets)
			live = append(live, st.Conns)
			if st.ConnsCreated >= uint64(n) {
				break
			}
			if len(created) == 1 && st.ConnsCreated >= uint64(n)*9/10 {
				return r, fmt.Errorf("syn: %d of %d connections were created before the admin socket answered; use more flows", st.ConnsCreated, n)
			}
		}
		if g.exited() {
			return r, fmt.Errorf("govsd exited; log %s ends:\n%s", g.logPath, g.logTail(15))
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("syn: %d of %d connections after %v", lastOr(created), n, startTimeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
	lo, hi := uint64(n)/10, uint64(n)*9/10
	if created[0] > lo {
		lo = created[0] + 1 // the first sample came late: start from it
	}
	rt, ok := crossRate(ts, created, lo, hi)
	if !ok {
		return r, errors.New("syn: too few samples during the first pass; use more flows")
	}
	r.ConnsPerSec = rt
	i, j := indexAtLeast(created, lo), indexAtLeast(created, hi)
	r.TxPerSec = rate(tx[i], tx[j], ts[j]-ts[i])
	r.Samples = j - i + 1
	expired := func(k int) uint64 { return created[k] - min(created[k], live[k]) }
	r.Expired = expired(j) - min(expired(i), expired(j))
	r.Span = time.Duration((ts[j] - ts[i]) * float64(time.Second))
	r.Drops = dropsBetween(first, last)
	return r, nil
}

func indexAtLeast(vs []uint64, v uint64) int {
	for i, x := range vs {
		if x >= v {
			return i
		}
	}
	return len(vs) - 1
}

func lastOr(vs []uint64) uint64 {
	if len(vs) == 0 {
		return 0
	}
	return vs[len(vs)-1]
}
