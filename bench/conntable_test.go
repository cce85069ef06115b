package main

import (
	"os"
	"strings"
	"testing"
)

func readConntableTestdata(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/conntable.txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseConntable(t *testing.T) {
	out, err := parseConntable(readConntableTestdata(t))
	if err != nil {
		t.Fatal(err)
	}
	if !out.Done || len(out.Runs) != 4 || out.complete(conntableFlows) != nil {
		t.Fatalf("done %v, %d runs, complete: %v", out.Done, len(out.Runs), out.complete(conntableFlows))
	}
	want := conntableRun{Impl: implRteHash, Flows: 65536, Capacity: 72704, NsPerLookup: 77.81, BytesPerConn: 171.8,
		Bytes: 12487360, Lookups: 25722880, Secs: 2.002}
	if got, _ := out.run(implRteHash, 65536); got != want {
		t.Errorf("rte_hash at 64k = %+v, want %+v", got, want)
	}
	ps := out.pairs()
	if len(ps) != 2 || ps[1].Govs.Flows != 1<<20 || ps[1].RteHash.Capacity != 1154048 {
		t.Fatalf("pairs %+v", ps)
	}
	if r := ps[0].MemRatio; r < 2.68 || r > 2.69 {
		t.Errorf("memory ratio at 64k %.3f, want 171.8/64", r)
	}
	if r := ps[1].TimeRatio; r < 1.64 || r > 1.65 {
		t.Errorf("time ratio at 1M %.3f, want 102.89/62.48", r)
	}
}

func TestParseConntableIncomplete(t *testing.T) {
	var kept []string
	for _, l := range strings.Split(readConntableTestdata(t), "\n") {
		if !strings.Contains(l, "impl=rte_hash flows=1048576") && !strings.Contains(l, "CONNTABLE done") {
			kept = append(kept, l)
		}
	}
	out, err := parseConntable(strings.Join(kept, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Done || out.complete(conntableFlows) == nil || len(out.pairs()) != 1 {
		t.Errorf("a run cut short: done %v, complete %v, %d pairs", out.Done, out.complete(conntableFlows), len(out.pairs()))
	}
}

func TestParseConntableBroken(t *testing.T) {
	const ok = "impl=govs flows=65536 capacity=72704 ns_per_lookup=34.66 bytes_per_conn=64.0 bytes=4653056 lookups=57737216 secs=2.001"
	if _, err := parseConntable("CONNTABLE " + ok + "\n"); err != nil {
		t.Fatalf("the good line: %v", err)
	}
	for _, line := range []string{
		strings.Replace(ok, "impl=govs", "impl=btree", 1),
		strings.Replace(ok, "ns_per_lookup=34.66", "ns_per_lookup=fast", 1),
		strings.Replace(ok, "ns_per_lookup=34.66", "ns_per_lookup=0", 1),
		strings.Replace(ok, "capacity=72704", "capacity=1024", 1), // below flows
		strings.Replace(ok, " secs=2.001", "", 1),
		strings.Replace(ok, "bytes=4653056", "bytes", 1),
		"done now",
	} {
		if _, err := parseConntable("CONNTABLE " + line + "\n"); err == nil {
			t.Errorf("%q: no error", line)
		}
	}
}

func TestConntableArgs(t *testing.T) {
	a := strings.Join(conntableArgs("/cache/conntable", "pfx", conntableFlows, 2), " ")
	for _, want := range []string{
		"/cache/conntable -l 1 ", "--in-memory", "--no-pci", "--file-prefix pfx",
		" -- --case 65536:72704 --case 1048576:1154048 --secs 2",
	} {
		if !strings.Contains(a, want) {
			t.Errorf("conntable args %q lack %q", a, want)
		}
	}
}

func TestWriteConntable(t *testing.T) {
	out, err := parseConntable(readConntableTestdata(t))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	writeConntable(&b, &out.conntableResult)
	s := b.String()
	for _, want := range []string{
		"## Connection table: govs vs rte_hash\n",
		"| 65536 | 72704 | 34.7 | 77.8 | 2.24 | 64.0 | 171.8 | 2.68 |\n",
		"| 1048576 | 1154048 | 62.5 | 102.9 | 1.65 | 64.0 | 172.3 | 2.69 |\n",
		"Verdict: govs's table is faster and smaller at every size: keep it.",
		"INFO conntable flows=1048576 capacity=1154048 govs_ns_per_lookup=62.48 rte_hash_ns_per_lookup=102.89 time_ratio=1.65",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("section lacks %q:\n%s", want, s)
		}
	}
	b.Reset()
	if writeConntable(&b, nil); b.Len() != 0 {
		t.Error("a section without a measurement")
	}
}

func TestConntableVerdict(t *testing.T) {
	pair := func(time, mem float64) conntablePair { return conntablePair{TimeRatio: time, MemRatio: mem} }
	for _, tc := range []struct {
		ps   []conntablePair
		want string
	}{
		{nil, "no size"},
		{[]conntablePair{pair(2, 2.7), pair(1.6, 2.7)}, "keep it"},
		{[]conntablePair{pair(0.5, 0.9), pair(0.8, 0.7)}, "switch to it"},
		{[]conntablePair{pair(2, 2.7), pair(0.9, 2.7)}, "neither"},
	} {
		if got := conntableVerdict(tc.ps); !strings.Contains(got, tc.want) {
			t.Errorf("%+v: %q, want it to say %q", tc.ps, got, tc.want)
		}
	}
}
