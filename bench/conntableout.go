package main

import (
	"fmt"
	"strings"
)

// Implementations bench/conntable/conntable.c measures.
const (
	implGovs    = "govs"
	implRteHash = "rte_hash"
)

// conntableRun is one "CONNTABLE impl=..." line: one table at one size.
type conntableRun struct {
	Impl            string
	Flows, Capacity int
	NsPerLookup     float64
	BytesPerConn    float64 // per conn of capacity
	Bytes, Lookups  uint64
	Secs            float64
}

// conntableResult is the comparison's measurements.
type conntableResult struct {
	Runs []conntableRun
}

// run is impl's measurement at flows.
func (r *conntableResult) run(impl string, flows int) (conntableRun, bool) {
	for _, x := range r.Runs {
		if x.Impl == impl && x.Flows == flows {
			return x, true
		}
	}
	return conntableRun{}, false
}

// conntableOutput is the program's output: its runs, and whether it said
// it was done.
type conntableOutput struct {
	conntableResult
	Done bool
}

// complete reports a size the program measured for only one table, or not.
func (o conntableOutput) complete(flows []int) error {
	for _, n := range flows {
		for _, impl := range []string{implGovs, implRteHash} {
			if _, ok := o.run(impl, n); !ok {
				return fmt.Errorf("no %s measurement at %d flows", impl, n)
			}
		}
	}
	return nil
}

// parseConntable reads the CONNTABLE lines of the program's output (EAL's
// lines around them are skipped).
func parseConntable(text string) (conntableOutput, error) {
	var out conntableOutput
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "CONNTABLE" {
			continue
		}
		if f[1] == "done" && len(f) == 2 {
			out.Done = true
			continue
		}
		r, err := parseConntableRun(f[1:])
		if err != nil {
			return out, fmt.Errorf("conntable line %q: %w", line, err)
		}
		out.Runs = append(out.Runs, r)
	}
	return out, nil
}

func parseConntableRun(fields []string) (conntableRun, error) {
	kv, err := keyValues(fields)
	if err != nil {
		return conntableRun{}, err
	}
	p := numParser{kv: kv}
	r := conntableRun{Impl: kv["impl"], Flows: p.int("flows"), Capacity: p.int("capacity"),
		NsPerLookup: p.float("ns_per_lookup"), BytesPerConn: p.float("bytes_per_conn"),
		Bytes: p.uint("bytes"), Lookups: p.uint("lookups"), Secs: p.float("secs")}
	if p.err == nil && r.Impl != implGovs && r.Impl != implRteHash {
		p.err = fmt.Errorf("unknown impl %q", r.Impl)
	}
	if p.err == nil && (r.NsPerLookup <= 0 || r.BytesPerConn <= 0 || r.Flows <= 0 || r.Capacity < r.Flows) {
		p.err = fmt.Errorf("implausible numbers")
	}
	return r, p.err
}
