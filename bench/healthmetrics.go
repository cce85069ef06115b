package main

import (
	"errors"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The health case reads govsd's Prometheus text (/metrics on the admin
// socket): its own series summed over the real servers.

// promSample is one line of the Prometheus text format.
type promSample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// parsePromLine parses `name{k="v",...} value [timestamp]`; ok is false
// for comments, blank lines and lines that do not parse.
func parsePromLine(line string) (s promSample, ok bool) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return s, false
	}
	end := strings.IndexAny(line, "{ \t")
	if end <= 0 {
		return s, false
	}
	s.Name, line = line[:end], line[end:]
	if line[0] == '{' {
		labels, rest, ok := parsePromLabels(line[1:])
		if !ok {
			return s, false
		}
		s.Labels, line = labels, rest
	}
	f := strings.Fields(line)
	if len(f) == 0 || len(f) > 2 {
		return s, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return s, false
	}
	s.Value = v
	return s, true
}

// parsePromLabels parses `k="v",k2="v2"}` (after the '{') and returns what
// follows the '}'. Values may hold \\, \" and \n escapes.
func parsePromLabels(s string) (labels map[string]string, rest string, ok bool) {
	labels = map[string]string{}
	for {
		s = strings.TrimLeft(s, " ,")
		if s == "" {
			return nil, "", false
		}
		if s[0] == '}' {
			return labels, s[1:], true
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			return nil, "", false
		}
		key := strings.TrimSpace(s[:eq])
		var v strings.Builder
		i := eq + 2
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				if s[i] == 'n' {
					v.WriteByte('\n')
					continue
				}
			}
			v.WriteByte(s[i])
		}
		if i >= len(s) {
			return nil, "", false // unterminated value
		}
		labels[key] = v.String()
		s = s[i+1:]
	}
}

// healthMetrics is what one scrape says of the checks, summed over the
// real servers.
type healthMetrics struct {
	Checks             map[string]float64  // govs_health_checks_total by outcome
	ToDown, ToUp       float64             // govs_health_transitions_total by to
	DurSum, DurCount   float64             // govs_health_check_duration_seconds of http checks
	KernelPkts         map[string]float64  // govs_kernel_packets_total of the checks' port, by direction
	KernelDrops        map[string]float64  // govs_kernel_drops_total of that port, by direction/reason
	PortRx, PortTx     float64             // govs_port_{rx,tx}_packets_total of that port
	Buckets            map[float64]float64 // http check durations: cumulative count by upper bound (s)
	HasKernel          bool
	checksSeen, upSeen bool
}

// parseHealthMetrics sums the health series of a /metrics body; port is
// the data port the checks leave by (its kernel interface's counters).
func parseHealthMetrics(body []byte, port string) (healthMetrics, error) {
	m := healthMetrics{Checks: map[string]float64{}, KernelPkts: map[string]float64{}, KernelDrops: map[string]float64{}, Buckets: map[float64]float64{}}
	for _, line := range strings.Split(string(body), "\n") {
		s, ok := parsePromLine(line)
		if !ok {
			continue
		}
		switch s.Name {
		case "govs_health_checks_total":
			m.Checks[s.Labels["outcome"]] += s.Value
			m.checksSeen = true
		case "govs_realserver_up":
			m.upSeen = true
		case "govs_health_transitions_total":
			switch s.Labels["to"] {
			case "down":
				m.ToDown += s.Value
			case "up":
				m.ToUp += s.Value
			}
		case "govs_health_check_duration_seconds_sum":
			if s.Labels["type"] == "http" {
				m.DurSum += s.Value
			}
		case "govs_health_check_duration_seconds_bucket":
			if le, err := strconv.ParseFloat(s.Labels["le"], 64); err == nil && s.Labels["type"] == "http" {
				m.Buckets[le] += s.Value
			}
		case "govs_health_check_duration_seconds_count":
			if s.Labels["type"] == "http" {
				m.DurCount += s.Value
			}
		case "govs_kernel_packets_total":
			if s.Labels["port"] == port {
				m.KernelPkts[s.Labels["direction"]] += s.Value
				m.HasKernel = true
			}
		case "govs_port_rx_packets_total", "govs_port_tx_packets_total":
			if s.Labels["port"] == port {
				if s.Name == "govs_port_rx_packets_total" {
					m.PortRx += s.Value
				} else {
					m.PortTx += s.Value
				}
			}
		case "govs_kernel_drops_total":
			if s.Labels["port"] == port {
				m.KernelDrops[s.Labels["direction"]+"/"+s.Labels["reason"]] += s.Value
			}
		}
	}
	if !m.checksSeen || !m.upSeen {
		return m, errors.New("metrics: no govs_health_checks_total or govs_realserver_up (does this govsd run health checks?)")
	}
	return m, nil
}

// bucketQuantile estimates quantile q (0..1) of the observations between
// two cumulative histograms (by upper bound): the upper bound of the
// first bucket whose count reaches q of the total. NaN without any;
// +Inf when it is beyond the last finite bound.
func bucketQuantile(before, after map[float64]float64, q float64) float64 {
	bounds := slices.Sorted(maps.Keys(after))
	if len(bounds) == 0 {
		return math.NaN()
	}
	total := after[bounds[len(bounds)-1]] - before[bounds[len(bounds)-1]]
	if total <= 0 {
		return math.NaN()
	}
	for _, le := range bounds {
		if after[le]-before[le] >= q*total {
			return le
		}
	}
	return math.Inf(1)
}
