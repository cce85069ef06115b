package admin

import (
	"cmp"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/govs-project/govs/control/config"
)

// The ipvsadm -Ln layouts are reproduced column for column so that scripts
// and eyes used to ipvsadm read govsctl the same way. Trailing blanks that
// ipvsadm's printf padding leaves are trimmed.

const ipvsTitle = "IP Virtual Server (govs)\n"

// FormatList writes services like `ipvsadm -Ln`. Checked servers get their
// health, overridden ones their override, after ipvsadm's columns, so
// scripts reading those still work.
func FormatList(w io.Writer, svcs []Service) error {
	return formatList(w, svcs, time.Now())
}

func formatList(w io.Writer, svcs []Service, now time.Time) error {
	var b strings.Builder
	b.WriteString(ipvsTitle)
	b.WriteString("Prot LocalAddress:Port Scheduler Flags\n")
	b.WriteString("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	for _, s := range sortedServices(svcs) {
		line(&b, "%s %s%s", serviceName(s), s.Scheduler, serviceFlags(s))
		for _, rs := range sortedRealServers(s.RealServers) {
			line(&b, "  -> %-28s %-7s %-6d %-10d %-10d %s", hostPort(rs.Address, rs.Port),
				forward(rs.Method), rs.Weight, rs.ActiveConns, rs.InactiveConns, strings.TrimSpace(healthColumn(rs, now)+" "+overrideMark(rs.Override)))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// FormatStats writes services like `ipvsadm -Ln --stats --exact`.
func FormatStats(w io.Writer, svcs []Service) error {
	return formatColumns(w, svcs, "               Conns   InPkts  OutPkts  InBytes OutBytes",
		func(s Service) Counters { return s.Stats }, func(rs RealServer) Counters { return rs.Stats })
}

func line(b *strings.Builder, format string, args ...any) {
	b.WriteString(strings.TrimRight(fmt.Sprintf(format, args...), " "))
	b.WriteByte('\n')
}

// counters prints exact numbers right-aligned in 9 columns, widening as
// ipvsadm does for numbers that do not fit.
func counters(c Counters) string {
	var b strings.Builder
	for _, n := range []uint64{c.Conns, c.InPkts, c.OutPkts, c.InBytes, c.OutBytes} {
		s := strconv.FormatUint(n, 10)
		fmt.Fprintf(&b, "%*s", max(9, len(s)+1), s)
	}
	return b.String()
}

// serviceName is ipvsadm's "TCP  10.0.0.100:80" (two blanks after the protocol).
func serviceName(s Service) string {
	return strings.ToUpper(s.Protocol) + "  " + hostPort(s.VIP, s.Port)
}

func hostPort(addr string, port uint16) string {
	if strings.Contains(addr, ":") { // IPv6 needs brackets
		return "[" + addr + "]:" + strconv.Itoa(int(port))
	}
	return addr + ":" + strconv.Itoa(int(port))
}

func forward(method string) string {
	if m, ok := config.ParseMethod(method); ok {
		return m.Forward()
	}
	return method
}

// sortedServices orders as ipvsadm does: protocol number, address, port.
func sortedServices(svcs []Service) []Service {
	out := slices.Clone(svcs)
	slices.SortStableFunc(out, func(a, b Service) int {
		pa, _ := config.ParseProtocol(a.Protocol)
		pb, _ := config.ParseProtocol(b.Protocol)
		return cmp.Or(cmp.Compare(pa, pb), compareAddr(a.VIP, b.VIP), cmp.Compare(a.Port, b.Port))
	})
	return out
}

func sortedRealServers(rss []RealServer) []RealServer {
	out := slices.Clone(rss)
	slices.SortStableFunc(out, func(a, b RealServer) int {
		return cmp.Or(compareAddr(a.Address, b.Address), cmp.Compare(a.Port, b.Port))
	})
	return out
}

// compareAddr orders numerically when both parse, else as strings.
func compareAddr(a, b string) int {
	pa, errA := netip.ParseAddr(a)
	pb, errB := netip.ParseAddr(b)
	if errA == nil && errB == nil {
		return pa.Compare(pb)
	}
	return strings.Compare(a, b)
}
