package admin

import (
	"fmt"
	"strings"
)

// optionWords spells a service's IPVS options one way: as ipvsadm -Ln
// prints them after the scheduler, or as ipvsadm -Sn options.
type optionWords struct {
	flags      string // scheduler flags, joined by ","
	persistent string // the persistence timeout in seconds
	mask       string // the persistence netmask
	ops        string // one-packet scheduling
}

var (
	listWords = optionWords{flags: " (%s)", persistent: " persistent %d", mask: " mask %s", ops: " ops"}
	ruleWords = optionWords{flags: " -b %s", persistent: " -p %d", mask: " -M %s", ops: " -o"}
)

// options spells s's scheduler flags, persistence (the mask only when it
// is not /32) and one-packet scheduling with words.
func (words optionWords) options(s Service) string {
	var b strings.Builder
	if len(s.SchedulerFlags) > 0 {
		fmt.Fprintf(&b, words.flags, strings.Join(s.SchedulerFlags, ","))
	}
	if s.PersistenceTimeout > 0 {
		fmt.Fprintf(&b, words.persistent, int64(s.PersistenceTimeout))
		if s.PersistenceMask != "" {
			fmt.Fprintf(&b, words.mask, s.PersistenceMask)
		}
	}
	if s.OnePacket {
		b.WriteString(words.ops)
	}
	return b.String()
}

// serviceFlags is what ipvsadm -Ln prints after a service's scheduler. A
// persistence group, which IPVS spells as a firewall mark, is named last.
func serviceFlags(s Service) string {
	out := listWords.options(s)
	if s.PersistenceGroup != "" {
		out += " group " + s.PersistenceGroup
	}
	return out
}

// ruleFlags is the same as ipvsadm -Sn options: -b, -p, -M, -o.
func ruleFlags(s Service) string { return ruleWords.options(s) }

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
