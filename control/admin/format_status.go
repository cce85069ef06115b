package admin

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FormatStatus writes the daemon state, ports and neighbours as tables.
func FormatStatus(w io.Writer, st Status) error {
	var b strings.Builder
	state := "starting"
	if st.Ready {
		state = "ready"
	}
	fmt.Fprintf(&b, "govsd %s, config generation %d", state, st.Generation)
	if st.ConfigFile != "" {
		fmt.Fprintf(&b, " (%s)", st.ConfigFile)
	}
	workers := make([]string, len(st.Workers))
	for i, l := range st.Workers {
		workers[i] = strconv.FormatUint(uint64(l), 10)
	}
	fmt.Fprintf(&b, "\nworker lcores: %s\n\n", orNone(strings.Join(workers, ", ")))

	t := table{header: []string{"Port", "Device", "Address", "MAC", "Link",
		"RxPkts", "TxPkts", "RxBytes", "TxBytes", "RxMissed", "RxErrors", "TxErrors", "RxNoMbuf"}, numFrom: 5}
	for _, p := range st.Ports {
		link := "down"
		if p.LinkUp {
			link = "up"
		}
		t.add(p.Name, p.Device, p.Address, p.MAC, link, num(p.RxPackets), num(p.TxPackets),
			num(p.RxBytes), num(p.TxBytes), num(p.RxMissed), num(p.RxErrors), num(p.TxErrors), num(p.RxNoMbuf))
	}
	if len(st.Ports) == 0 {
		b.WriteString("no ports\n")
	} else {
		t.write(&b)
	}
	b.WriteByte('\n')
	writeKernel(&b, st.Kernel)

	if len(st.Neighbors) == 0 {
		b.WriteString("no neighbours\n")
	} else {
		nb := slices.Clone(st.Neighbors)
		slices.SortStableFunc(nb, func(x, y Neighbor) int {
			return cmp.Or(strings.Compare(x.Port, y.Port), compareAddr(x.IP, y.IP))
		})
		t = table{header: []string{"Neighbour", "MAC", "State", "Port", "Held"}, numFrom: 4}
		for _, n := range nb {
			t.add(n.IP, orNone(n.MAC), n.State, n.Port, strconv.Itoa(n.Held))
		}
		t.write(&b)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeKernel prints the kernel interfaces: Rx is what the kernel got
// from the port, Tx what it sent out of it; then the drops that counted,
// by reason. Nothing when no port has one.
func writeKernel(b *strings.Builder, ks []KernelInterface) {
	if len(ks) == 0 {
		return
	}
	b.WriteString("kernel interfaces (Rx: from the port to the kernel, Tx: from the kernel out of the port)\n")
	t := table{header: []string{"Interface", "Port", "RxPkts", "RxBytes", "RxDrops", "TxPkts", "TxBytes", "TxDrops"}, numFrom: 2}
	var drops []string
	for _, k := range ks {
		t.add(k.Name, k.Port, num(k.ToKernel.Packets), num(k.ToKernel.Bytes), num(total(k.ToKernel.Drops)),
			num(k.FromKernel.Packets), num(k.FromKernel.Bytes), num(total(k.FromKernel.Drops)))
		for _, d := range []struct {
			dir string
			m   map[string]uint64
		}{{"rx", k.ToKernel.Drops}, {"tx", k.FromKernel.Drops}} {
			for _, r := range slices.Sorted(maps.Keys(d.m)) {
				if d.m[r] > 0 {
					drops = append(drops, fmt.Sprintf("%s %s %s: %d", k.Name, d.dir, r, d.m[r]))
				}
			}
		}
	}
	t.write(b)
	if len(drops) > 0 {
		b.WriteString("kernel interface drops: " + strings.Join(drops, ", ") + "\n")
	}
	b.WriteByte('\n')
}

// FormatLcores writes per-lcore counters — what each received and what
// became of it, so that Rx + Inbox = Forwarded + Answered + Punted +
// Redirected + Dropped reads off one row — then the drop reasons that have
// counted anything, by name, per lcore and in total.
func FormatLcores(w io.Writer, st Stats) error {
	var b strings.Builder
	t := table{header: []string{"Lcore", "Rx", "Inbox", "Forwarded", "Answered", "Punted", "Redirected", "Dropped",
		"Tx", "Conns", "Created"}, numFrom: 1}
	var sum [10]uint64
	for _, l := range st.Lcores {
		row := [10]uint64{l.RxPackets, l.InboxPackets, l.Forwarded, l.Answered, total(l.Punted), l.Redirected,
			total(l.Drops), l.TxPackets, l.Conns, l.ConnsCreated}
		cells := []string{strconv.FormatUint(uint64(l.Lcore), 10)}
		for i, n := range row {
			cells = append(cells, num(n))
			sum[i] += n
		}
		t.add(cells...)
	}
	switch {
	case len(st.Lcores) == 0:
		b.WriteString("no worker lcores\n")
	case len(st.Lcores) > 1:
		cells := []string{"total"}
		for _, n := range sum {
			cells = append(cells, num(n))
		}
		t.add(cells...)
		fallthrough
	default:
		t.write(&b)
	}
	writeDefences(&b, st)
	b.WriteByte('\n')
	writeMethods(&b, st)

	totals := dropTotals(st)
	var reasons []string
	for _, r := range slices.Sorted(maps.Keys(totals)) {
		if totals[r] > 0 {
			reasons = append(reasons, r)
		}
	}
	if len(reasons) == 0 {
		b.WriteString("no drops\n")
	} else {
		header := []string{"Drop reason"}
		for _, l := range st.Lcores {
			header = append(header, "lcore "+strconv.FormatUint(uint64(l.Lcore), 10))
		}
		t = table{header: append(header, "total"), numFrom: 1}
		for _, r := range reasons {
			row := []string{r}
			for _, l := range st.Lcores {
				row = append(row, num(l.Drops[r]))
			}
			t.add(append(row, num(totals[r]))...)
		}
		t.write(&b)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMethods prints what each forwarding method carried and the tunnel
// and poll-loop figures, summed over lcores (the longest gap is the max).
func writeMethods(b *strings.Builder, st Stats) {
	sum := map[string]MethodStats{}
	var encap, frag, gap uint64
	gaps := map[string]uint64{}
	for _, l := range st.Lcores {
		for k, n := range l.PollGapsOver {
			gaps[k] += n
		}
		for m, ms := range l.Methods {
			t := sum[m]
			t.Packets += ms.Packets
			t.Bytes += ms.Bytes
			sum[m] = t
		}
		encap, frag, gap = encap+l.Encapsulated, frag+l.FragNeededSent, max(gap, l.MaxPollGapUs)
	}
	t := table{header: []string{"Method", "Packets", "Bytes"}, numFrom: 1}
	for _, m := range slices.Sorted(maps.Keys(sum)) {
		t.add(m, num(sum[m].Packets), num(sum[m].Bytes))
	}
	if len(sum) > 0 {
		t.write(b)
	}
	fmt.Fprintf(b, "IPIP encapsulated: %d  ICMP frag-needed sent: %d  longest poll gap: %d us\n", encap, frag, gap)
	if len(gaps) > 0 {
		b.WriteString("poll gaps over")
		keys := slices.SortedFunc(maps.Keys(gaps), func(a, b string) int {
			da, _ := time.ParseDuration(a)
			db, _ := time.ParseDuration(b)
			return cmp.Compare(da, db)
		})
		for _, k := range keys {
			fmt.Fprintf(b, "  %s: %d", k, gaps[k])
		}
		b.WriteByte('\n')
	}
	writeSlowPath(b, st)
	b.WriteByte('\n')
}

// writeSlowPath prints what went between the lcores and the slow path:
// punts and injections, reused ports, ARP and the packets held for a MAC.
func writeSlowPath(b *strings.Builder, st Stats) {
	var reused, injected uint64
	punted := map[string]uint64{}
	for _, l := range st.Lcores {
		reused, injected = reused+l.Reused, injected+l.Injected
		for r, n := range l.Punted {
			punted[r] += n
		}
	}
	b.WriteString("punted to the slow path:")
	if len(punted) == 0 {
		b.WriteString(" none")
	}
	for _, r := range slices.Sorted(maps.Keys(punted)) {
		fmt.Fprintf(b, "  %s: %d", r, punted[r])
	}
	s := st.SlowPath
	fmt.Fprintf(b, "  injected: %d  ports reused: %d\n", injected, reused)
	fmt.Fprintf(b, "ARP received: %d (invalid %d, not for us %d)  answered: %d  requests sent: %d  gratuitous sent: %d\n",
		s.ARPReceived, s.ARPInvalid, s.NotForUs, s.RequestsAnswered, s.RequestsSent, s.GARPSent)
	r := s.Refused
	fmt.Fprintf(b, "neighbours: %d (learned %d, updated %d, deleted %d)  refused: not in subnet %d, own address %d, bad MAC %d, bad address %d, unsolicited %d, table full %d\n",
		s.Entries, s.Learned, s.Updated, s.EntriesDeleted, r.NotInSubnet, r.OwnAddress, r.BadMAC, r.BadAddress, r.Unsolicited, r.TableFull)
	fmt.Fprintf(b, "held for a MAC: %d now, %d held, %d sent, %d overflow, %d timed out\n",
		s.Holding, s.Held, s.HoldSent, s.HoldOverflow, s.HoldTimeout)
}

// writeDefences prints the hardening counters that are not drop reasons:
// the ICMP errors sent and held back, the flood defence, failed injections.
func writeDefences(b *strings.Builder, st Stats) {
	var te, limited, evicted, failed, nodest uint64
	var flooded []string
	for _, l := range st.Lcores {
		te, limited, evicted, failed = te+l.TimeExceededSent, limited+l.ICMPRateLimited, evicted+l.Evicted, failed+l.InjectFailed
		nodest += l.NodestExpired
		if l.FloodActive {
			flooded = append(flooded, strconv.FormatUint(uint64(l.Lcore), 10))
		}
	}
	flood := "off"
	if len(flooded) > 0 {
		flood = "on (lcore " + strings.Join(flooded, ", ") + ")"
	}
	fmt.Fprintf(b, "ICMP time exceeded sent: %d  ICMP errors rate-limited: %d  half-open evicted: %d  flood defence: %s  injections failed: %d  expired (server gone): %d\n",
		te, limited, evicted, flood, failed, nodest)
}

// total sums a map of counters.
func total(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

// dropTotals prefers the daemon's sums and fills in reasons it left out.
func dropTotals(st Stats) map[string]uint64 {
	totals := maps.Clone(st.Drops)
	if totals == nil {
		totals = map[string]uint64{}
	}
	for _, l := range st.Lcores {
		for r, n := range l.Drops {
			if _, ok := st.Drops[r]; !ok {
				totals[r] += n
			}
		}
	}
	return totals
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func num(n uint64) string { return strconv.FormatUint(n, 10) }

// table aligns columns; columns from numFrom on are numbers and are
// right-aligned (numFrom < 0: none are).
type table struct {
	header  []string
	numFrom int
	rows    [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(b *strings.Builder) {
	width := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, c := range row {
			width[i] = max(width[i], len(c))
		}
	}
	for _, row := range append([][]string{t.header}, t.rows...) {
		var sb strings.Builder
		for i, c := range row {
			if i > 0 {
				sb.WriteString("  ")
			}
			if t.numFrom >= 0 && i >= t.numFrom {
				fmt.Fprintf(&sb, "%*s", width[i], c)
			} else {
				fmt.Fprintf(&sb, "%-*s", width[i], c)
			}
		}
		b.WriteString(strings.TrimRight(sb.String(), " "))
		b.WriteByte('\n')
	}
}
