package admin

import (
	"io"
	"strings"
)

// FormatRate writes services like `ipvsadm -Ln --rate`: connections,
// packets and bytes per second, in and out. A service or server not yet
// estimated (within 2 s of start or of its creation) shows zeros.
func FormatRate(w io.Writer, svcs []Service) error {
	return formatColumns(w, svcs, "                 CPS    InPPS   OutPPS    InBPS   OutBPS",
		func(s Service) Counters { return rateCounters(s.Rate) }, func(rs RealServer) Counters { return rateCounters(rs.Rate) })
}

// rateCounters lays rates out in the columns of the totals.
func rateCounters(r *Rates) Counters {
	if r == nil {
		return Counters{}
	}
	return Counters{Conns: r.CPS, InPkts: r.InPPS, OutPkts: r.OutPPS, InBytes: r.InBPS, OutBytes: r.OutBPS}
}

// formatColumns is the layout ipvsadm's --stats and --rate share: five
// numbers per service and per real server, after heading.
func formatColumns(w io.Writer, svcs []Service, heading string, service func(Service) Counters, server func(RealServer) Counters) error {
	var b strings.Builder
	b.WriteString(ipvsTitle)
	b.WriteString("Prot LocalAddress:Port" + heading + "\n")
	b.WriteString("  -> RemoteAddress:Port\n")
	for _, s := range sortedServices(svcs) {
		line(&b, "%-33s%s", serviceName(s), counters(service(s)))
		for _, rs := range sortedRealServers(s.RealServers) {
			line(&b, "  -> %-28s%s", hostPort(rs.Address, rs.Port), counters(server(rs)))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
