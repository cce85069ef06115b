package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// refloopReady is refloop's "REFLOOP ready" line: where its worker runs.
type refloopReady struct {
	Lcore, CPU, TID int
	TSCHz           uint64
	Burst           int
}

// refloopPhase is one "REFLOOP phase=..." line: the gaps between polls of
// one phase, measured as govsd measures them.
type refloopPhase struct {
	Name     string
	Secs     float64
	MaxGapUs uint64
	GapsOver map[string]uint64 // keyed as govsd's poll_gaps_over ("50µs", "1ms")
	Rx, Tx   uint64
	Mpps     float64
}

// refloopOutput is what refloop has printed so far.
type refloopOutput struct {
	Ready  *refloopReady
	Begun  []string // phases started, in order
	Phases []refloopPhase
	Done   bool
}

// phase is the result of the phase called name, if it has ended.
func (o refloopOutput) phase(name string) (refloopPhase, bool) {
	for _, p := range o.Phases {
		if p.Name == name {
			return p, true
		}
	}
	return refloopPhase{}, false
}

// begun reports whether the phase called name has started.
func (o refloopOutput) begun(name string) bool {
	for _, b := range o.Begun {
		if b == name {
			return true
		}
	}
	return false
}

// parseRefloop reads the REFLOOP lines of refloop's output (EAL's log
// lines around them are skipped). A last line without its newline is
// still being written and is left for the next read.
func parseRefloop(text string) (refloopOutput, error) {
	var out refloopOutput
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	} else {
		text = ""
	}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "REFLOOP" {
			continue
		}
		var err error
		switch {
		case f[1] == "done":
			out.Done = true
		case f[1] == "ready":
			var r refloopReady
			r, err = parseRefloopReady(f[2:])
			out.Ready = &r
		case f[1] == "begin" && len(f) == 3 && strings.HasPrefix(f[2], "phase="):
			out.Begun = append(out.Begun, strings.TrimPrefix(f[2], "phase="))
		case strings.HasPrefix(f[1], "phase="):
			var p refloopPhase
			p, err = parseRefloopPhase(f[1:])
			out.Phases = append(out.Phases, p)
		default:
			err = fmt.Errorf("unknown kind %q", f[1])
		}
		if err != nil {
			return out, fmt.Errorf("refloop line %q: %w", line, err)
		}
	}
	return out, nil
}

func parseRefloopReady(fields []string) (refloopReady, error) {
	var r refloopReady
	kv, err := keyValues(fields)
	if err != nil {
		return r, err
	}
	p := numParser{kv: kv}
	r.Lcore, r.CPU, r.TID = p.int("lcore"), p.int("cpu"), p.int("tid")
	r.TSCHz, r.Burst = p.uint("tsc_hz"), p.int("burst")
	return r, p.err
}

func parseRefloopPhase(fields []string) (refloopPhase, error) {
	ph := refloopPhase{GapsOver: map[string]uint64{}}
	kv, err := keyValues(fields)
	if err != nil {
		return ph, err
	}
	p := numParser{kv: kv}
	ph.Name = kv["phase"]
	ph.Secs, ph.Mpps = p.float("secs"), p.float("mpps")
	ph.MaxGapUs, ph.Rx, ph.Tx = p.uint("max_gap_us"), p.uint("rx"), p.uint("tx")
	for k := range kv {
		if name, ok := strings.CutPrefix(k, "over_"); ok {
			d, err := time.ParseDuration(name)
			if err != nil {
				return ph, fmt.Errorf("threshold %q: %w", name, err)
			}
			ph.GapsOver[d.String()] = p.uint(k)
		}
	}
	if ph.Name == "" || len(ph.GapsOver) == 0 {
		return ph, fmt.Errorf("no phase name or no over_ counts")
	}
	return ph, p.err
}

// keyValues splits key=value fields.
func keyValues(fields []string) (map[string]string, error) {
	kv := map[string]string{}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("field %q is not key=value", f)
		}
		kv[k] = v
	}
	return kv, nil
}

// numParser reads numbers out of key=value fields, keeping the first
// error (a missing key is one).
type numParser struct {
	kv  map[string]string
	err error
}

func (p *numParser) get(key string) string {
	v, ok := p.kv[key]
	if !ok && p.err == nil {
		p.err = fmt.Errorf("no %s", key)
	}
	return v
}

func (p *numParser) keep(key string, err error) {
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("%s: %w", key, err)
	}
}

func (p *numParser) uint(key string) uint64 {
	v, err := strconv.ParseUint(p.get(key), 10, 64)
	p.keep(key, err)
	return v
}

func (p *numParser) int(key string) int {
	v, err := strconv.Atoi(p.get(key))
	p.keep(key, err)
	return v
}

func (p *numParser) float(key string) float64 {
	v, err := strconv.ParseFloat(p.get(key), 64)
	p.keep(key, err)
	return v
}
