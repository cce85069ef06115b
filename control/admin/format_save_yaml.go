package admin

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// FormatServicesYAML writes the running services in the shape of the
// configuration's services: section, with the weights the dataplane
// schedules by now (health checks' and overrides' verdicts included) and
// each service's IPVS options: what `govsctl save -format yaml` prints,
// to paste into a configuration. Checks, quorum and sorry servers are not
// part of the listing: they are in the configuration file itself.
func FormatServicesYAML(w io.Writer, svcs []Service) error {
	var b strings.Builder
	b.WriteString("# govsd's running services (weights as scheduled now)\nservices:\n")
	for _, s := range sortedServices(svcs) {
		if s.Name != "" {
			fmt.Fprintf(&b, "  - name: %s\n    vip: %s\n", strconv.Quote(s.Name), s.VIP)
		} else {
			fmt.Fprintf(&b, "  - vip: %s\n", s.VIP)
		}
		fmt.Fprintf(&b, "    protocol: %s\n    port: %d\n    scheduler: %s\n", s.Protocol, s.Port, s.Scheduler)
		if len(s.SchedulerFlags) > 0 {
			fmt.Fprintf(&b, "    scheduler_flags: [%s]\n", strings.Join(s.SchedulerFlags, ", "))
		}
		if s.PersistenceTimeout > 0 {
			fmt.Fprintf(&b, "    persistence_timeout: %ds\n", int64(s.PersistenceTimeout))
			if s.PersistenceMask != "" {
				fmt.Fprintf(&b, "    persistence_granularity: %s\n", s.PersistenceMask)
			}
		}
		if s.PersistenceGroup != "" {
			fmt.Fprintf(&b, "    persistence_group: %s\n", strconv.Quote(s.PersistenceGroup))
		}
		if s.OnePacket {
			b.WriteString("    one_packet: true\n")
		}
		b.WriteString("    real_servers:\n")
		for _, rs := range sortedRealServers(s.RealServers) {
			if rs.Sorry {
				continue // the sorry server is configured apart
			}
			fmt.Fprintf(&b, "      - {address: %s, port: %d, weight: %d, method: %s", rs.Address, rs.Port, rs.Weight, rs.Method)
			if rs.UpperThreshold > 0 {
				fmt.Fprintf(&b, ", upper_threshold: %d", rs.UpperThreshold)
			}
			if rs.LowerThreshold > 0 {
				fmt.Fprintf(&b, ", lower_threshold: %d", rs.LowerThreshold)
			}
			b.WriteString("}\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
