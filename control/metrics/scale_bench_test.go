package metrics

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/govs-project/govs/control/admin"
)

// scaleSource is a daemon with one service of 2000 real servers.
type scaleSource struct{ svcs []admin.Service }

func (s scaleSource) Services() []admin.Service { return s.svcs }
func (s scaleSource) Stats() admin.Stats        { return admin.Stats{} }
func (s scaleSource) Status() admin.Status      { return admin.Status{} }

// BenchmarkGather2000Servers is one scrape's work for the service series
// of 2000 real servers.
func BenchmarkGather2000Servers(b *testing.B) {
	svc := admin.Service{VIP: "10.0.0.100", Protocol: "tcp", Port: 80, Scheduler: "rr"}
	for i := range 2000 {
		svc.RealServers = append(svc.RealServers, admin.RealServer{Address: fmt.Sprintf("10.1.%d.%d", i/250, i%250+1), Port: 8000, Weight: 1})
	}
	reg := prometheus.NewRegistry()
	if err := Register(reg, scaleSource{[]admin.Service{svc}}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
