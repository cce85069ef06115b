package main

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestParseRefloop(t *testing.T) {
	b, err := os.ReadFile("testdata/refloop.txt")
	if err != nil {
		t.Fatal(err)
	}
	out, err := parseRefloop(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if out.Ready == nil || *out.Ready != (refloopReady{Lcore: 1, CPU: 1, TID: 21196, TSCHz: 2250000000, Burst: 32}) {
		t.Errorf("ready = %+v", out.Ready)
	}
	if !slices.Equal(out.Begun, []string{"quiet", "busy"}) || !out.Done || len(out.Phases) != 2 {
		t.Fatalf("begun %v, done %v, %d phases", out.Begun, out.Done, len(out.Phases))
	}
	q, ok := out.phase("quiet")
	if !ok || q.Secs != 2 || q.MaxGapUs != 12061 || q.Rx != 52402560 || q.Tx != 52402560 || q.Mpps != 26.201 {
		t.Errorf("quiet = %+v", q)
	}
	// keyed as govsd's poll_gaps_over, so both sides share thresholds
	if want := map[string]uint64{"50µs": 416, "200µs": 26, "1ms": 14, "10ms": 1}; !maps.Equal(q.GapsOver, want) {
		t.Errorf("quiet gaps %v, want %v", q.GapsOver, want)
	}
	if b, _ := out.phase("busy"); b.MaxGapUs != 979 || b.Tx != 57600000 || b.GapsOver["200µs"] != 10 {
		t.Errorf("busy = %+v", b)
	}
}

func TestParseRefloopWhileRunning(t *testing.T) {
	b, err := os.ReadFile("testdata/refloop.txt")
	if err != nil {
		t.Fatal(err)
	}
	// cut inside the busy phase's line: it is still being written
	text := string(b)
	text = text[:strings.Index(text, "REFLOOP phase=busy")+30]
	out, err := parseRefloop(text)
	if err != nil {
		t.Fatal(err)
	}
	if _, ended := out.phase("busy"); ended || !out.begun("busy") || out.Done || len(out.Phases) != 1 {
		t.Errorf("got %+v", out)
	}
	if out, err := parseRefloop("REFLOOP ready lcore=1"); err != nil || out.Ready != nil {
		t.Errorf("a first line without newline: %+v, %v", out, err)
	}
}

func TestParseRefloopBroken(t *testing.T) {
	for _, line := range []string{
		"REFLOOP phase=quiet secs=x max_gap_us=1 over_50us=0 rx=1 tx=1 mpps=1",
		"REFLOOP phase=quiet secs=1 max_gap_us=1 rx=1 tx=1 mpps=1",
		"REFLOOP phase=quiet secs=1 max_gap_us=1 over_5parsecs=0 rx=1 tx=1 mpps=1",
		"REFLOOP ready lcore=1 cpu=1",
		"REFLOOP ready lcore=1 cpu=1 tid tsc_hz=1 burst=32",
		"REFLOOP bogus",
	} {
		if _, err := parseRefloop(line + "\n"); err == nil {
			t.Errorf("%q: no error", line)
		}
	}
}

func TestRefloopArgs(t *testing.T) {
	conf := govsdConf{Prefix: "pfx", Socket: "/tmp/x.sock", Device: pcapDevice("/tmp/x.pcap"), ConnTable: 1024, Mbufs: 5000, Method: "nat"}
	args, err := refloopArgs("/cache/refloop", conf, 2, 8, 9)
	if err != nil {
		t.Fatal(err)
	}
	a := strings.Join(args, " ")
	for _, want := range []string{
		"/cache/refloop -l 0-1 ", "--in-memory", "--file-prefix pfx", "--no-pci", "--vdev=net_pcap0,rx_pcap=/tmp/x.pcap,infinite_rx=1",
		" --no-telemetry -- --warmup 2 --phase quiet:8 --phase busy:9 ", "--mbufs 5000", "--data-room 256", "--burst 32",
	} {
		if !strings.Contains(a, want) {
			t.Errorf("refloop args %q lack %q", a, want)
		}
	}
}
