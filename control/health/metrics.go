package health

import "github.com/prometheus/client_golang/prometheus"

// metrics are the package's Prometheus series, declared once here.
type metrics struct {
	up            *prometheus.GaugeVec     // service, server
	duration      *prometheus.HistogramVec // type
	checks        *prometheus.CounterVec   // service, server, outcome
	quorum        *prometheus.GaugeVec     // service
	transitions   *prometheus.CounterVec   // service, server, to
	notifications *prometheus.CounterVec   // result
	eventsDropped prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "govs_realserver_up", Help: "1 if the real server is healthy (or not checked), 0 if its checks failed."},
			[]string{"service", "server"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "govs_health_check_duration_seconds", Help: "Time one health check took, by check type.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 15)},
			[]string{"type"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "govs_health_checks_total", Help: "Health checks run, by outcome (success, failure, timeout)."},
			[]string{"service", "server", "outcome"}),
		quorum: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "govs_service_quorum_up", Help: "1 if the service has its quorum of healthy weight."},
			[]string{"service"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "govs_health_transitions_total", Help: "Real server state changes, by the state changed to (up, down)."},
			[]string{"service", "server", "to"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "govs_health_notify_commands_total", Help: "Notify commands, by result (ok, failed, timeout, dropped)."},
			[]string{"result"}),
		eventsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "govs_health_events_dropped_total", Help: "State-change events a slow subscriber did not take."}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.up, m.duration, m.checks, m.quorum, m.transitions, m.notifications, m.eventsDropped} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// serverMetrics are one server's series, looked up once.
type serverMetrics struct {
	up                       prometheus.Gauge
	success, failure, timout prometheus.Counter
	toUp, toDown             prometheus.Counter
}

func (m *metrics) forServer(service, server string) serverMetrics {
	return serverMetrics{
		up:      m.up.WithLabelValues(service, server),
		success: m.checks.WithLabelValues(service, server, OutcomeSuccess),
		failure: m.checks.WithLabelValues(service, server, OutcomeFailure),
		timout:  m.checks.WithLabelValues(service, server, OutcomeTimeout),
		toUp:    m.transitions.WithLabelValues(service, server, "up"),
		toDown:  m.transitions.WithLabelValues(service, server, "down"),
	}
}

func (sm serverMetrics) count(outcome string) {
	switch outcome {
	case OutcomeSuccess:
		sm.success.Inc()
	case OutcomeTimeout:
		sm.timout.Inc()
	default:
		sm.failure.Inc()
	}
}

// deleteServer removes a removed server's series.
func (m *metrics) deleteServer(service, server string) {
	m.up.DeleteLabelValues(service, server)
	l := prometheus.Labels{"service": service, "server": server}
	m.checks.DeletePartialMatch(l)
	m.transitions.DeletePartialMatch(l)
}
