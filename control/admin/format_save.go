package admin

import (
	"io"
	"strings"
)

// FormatRules writes the running services as `ipvsadm -Sn` does: one -A
// line per virtual service and one -a line per real server, with the
// weights the dataplane schedules by now (a server a health check took
// out is saved with weight 0, as the kernel's table would show it), so
// `ipvsadm -R` on an IPVS director rebuilds the same table.
func FormatRules(w io.Writer, svcs []Service) error {
	var b strings.Builder
	for _, s := range sortedServices(svcs) {
		vs := ruleProto(s.Protocol) + " " + hostPort(s.VIP, s.Port)
		line(&b, "-A %s -s %s%s", vs, s.Scheduler, ruleFlags(s))
		for _, rs := range sortedRealServers(s.RealServers) {
			line(&b, "-a %s -r %s %s -w %d%s", vs, hostPort(rs.Address, rs.Port), ruleMethod(rs.Method), rs.Weight, ruleThresholds(rs))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func ruleProto(p string) string {
	if p == "udp" {
		return "-u"
	}
	return "-t"
}

// ruleMethod is ipvsadm's option for a forwarding method: -m masquerading
// (NAT), -g gatewaying (DR), -i ipip (TUN).
func ruleMethod(m string) string {
	switch m {
	case "dr":
		return "-g"
	case "tun":
		return "-i"
	}
	return "-m"
}
