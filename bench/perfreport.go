package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// perfReport is `perf report --stdio` of one sort order, parsed.
type perfReport struct {
	Event      string // "cpu-clock"
	Samples    string // as perf prints it: "9K"
	EventCount uint64 // for cpu-clock: nanoseconds on CPU
	Lost       uint64
	Key        string // the sort column's title: "Symbol", "Shared Object"
	Rows       []perfRow
}

// perfRow is one entry: its share of the samples and what it is.
type perfRow struct {
	Pct  float64
	Name string // "[.] rte_eth_rx_burst", "librte_net_pcap.so.23.0"
}

// parsePerfReport reads perf report's stdio output (run with -g none, so
// there are no call chains between the entries). Columns are cut where
// the dotted rule under the header puts them; only the overhead and the
// first sort key are kept (perf may add IPC columns it cannot fill here).
func parsePerfReport(text string) (perfReport, error) {
	var r perfReport
	var header string
	var cols [][2]int // [start, end) of each column
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "#"); ok {
			rest = strings.TrimSpace(rest)
			switch {
			case strings.HasPrefix(rest, "Samples:"):
				// "Samples: 9K of event 'cpu-clock'"
				f := strings.Fields(rest)
				if len(f) >= 5 {
					r.Samples, r.Event = f[1], strings.Trim(strings.Join(f[4:], " "), "'")
				}
			case strings.HasPrefix(rest, "Event count (approx.):"):
				r.EventCount, _ = strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(rest, "Event count (approx.):")), 10, 64)
			case strings.HasPrefix(rest, "Total Lost Samples:"):
				r.Lost, _ = strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(rest, "Total Lost Samples:")), 10, 64)
			case strings.HasPrefix(rest, "."):
				cols = dottedColumns(line)
				if len(cols) >= 2 {
					r.Key = cell(header, cols[1])
				}
			case rest != "":
				header = line
			}
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if len(cols) < 2 {
			return r, fmt.Errorf("perf report: entry %q before the column header", line)
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(cell(line, [2]int{0, cols[0][1]}), "%"), 64)
		if err != nil {
			return r, fmt.Errorf("perf report: entry %q: %w", line, err)
		}
		r.Rows = append(r.Rows, perfRow{Pct: pct, Name: cell(line, cols[1])})
	}
	if len(cols) < 2 {
		return r, fmt.Errorf("perf report: no column header (no samples?)")
	}
	return r, sc.Err()
}

// dottedColumns finds the runs of dots of perf's rule line.
func dottedColumns(line string) [][2]int {
	var cols [][2]int
	start := -1
	for i := 0; i <= len(line); i++ {
		dot := i < len(line) && line[i] == '.'
		switch {
		case dot && start < 0:
			start = i
		case !dot && start >= 0:
			cols = append(cols, [2]int{start, i})
			start = -1
		}
	}
	return cols
}

// cell is line's text in column c, trimmed.
func cell(line string, c [2]int) string {
	if c[0] >= len(line) {
		return ""
	}
	return strings.TrimSpace(line[c[0]:min(c[1], len(line))])
}

// top is the first n rows (perf sorts them by share).
func (r perfReport) top(n int) []perfRow { return r.Rows[:min(n, len(r.Rows))] }

// unresolved is the share of rows perf could only name by address
// (functions without symbols, such as a PMD's static functions when no
// debug symbols are installed).
func (r perfReport) unresolved() float64 {
	var sum float64
	for _, row := range r.Rows {
		if strings.HasPrefix(row.symbol(), "0x") {
			sum += row.Pct
		}
	}
	return sum
}

// symbol is the row's name without perf's "[.] " or "[k] " marker.
func (row perfRow) symbol() string {
	name := strings.TrimPrefix(strings.TrimPrefix(row.Name, "[.]"), "[k]")
	return strings.TrimSpace(name)
}
