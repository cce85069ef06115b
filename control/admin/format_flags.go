package admin

import (
	"fmt"
	"strings"
)

// serviceFlags is what ipvsadm -Ln prints after a service's scheduler:
// its scheduler flags in parentheses, "persistent T" with "mask M" when
// the granularity is not /32, and "ops" for one-packet scheduling. A
// persistence group, which IPVS spells as a firewall mark, is named last.
func serviceFlags(s Service) string {
	var b strings.Builder
	if len(s.SchedulerFlags) > 0 {
		b.WriteString(" (" + strings.Join(s.SchedulerFlags, ",") + ")")
	}
	if s.PersistenceTimeout > 0 {
		fmt.Fprintf(&b, " persistent %d", int64(s.PersistenceTimeout))
		if s.PersistenceMask != "" {
			b.WriteString(" mask " + s.PersistenceMask)
		}
	}
	if s.OnePacket {
		b.WriteString(" ops")
	}
	if s.PersistenceGroup != "" {
		b.WriteString(" group " + s.PersistenceGroup)
	}
	return b.String()
}

// ruleFlags is the same as ipvsadm -Sn options: -b, -p, -M, -o.
func ruleFlags(s Service) string {
	var b strings.Builder
	if len(s.SchedulerFlags) > 0 {
		b.WriteString(" -b " + strings.Join(s.SchedulerFlags, ","))
	}
	if s.PersistenceTimeout > 0 {
		fmt.Fprintf(&b, " -p %d", int64(s.PersistenceTimeout))
		if s.PersistenceMask != "" {
			b.WriteString(" -M " + s.PersistenceMask)
		}
	}
	if s.OnePacket {
		b.WriteString(" -o")
	}
	return b.String()
}

// ruleThresholds is a real server's -x/-y options.
func ruleThresholds(rs RealServer) string {
	var b strings.Builder
	if rs.UpperThreshold > 0 {
		fmt.Fprintf(&b, " -x %d", rs.UpperThreshold)
	}
	if rs.LowerThreshold > 0 {
		fmt.Fprintf(&b, " -y %d", rs.LowerThreshold)
	}
	return b.String()
}
