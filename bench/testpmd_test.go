package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestParseTestpmdStats(t *testing.T) {
	b, err := os.ReadFile("testdata/testpmd-5tswap.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := parseTestpmdStats(string(b))
	// Three complete blocks; the file then jumps into the middle of a
	// later block (no header: ignored) and the final forward statistics.
	want := []pmdSample{
		{RxPackets: 268416, TxPackets: 640, RxPPS: 0, TxPPS: 0},
		{RxPackets: 25524096, TxPackets: 25256416, RxPPS: 25245808, TxPPS: 25245904},
		{RxPackets: 50586496, TxPackets: 50318784, RxPPS: 25052779, TxPPS: 25052747},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestParseTestpmdStatsCutShort(t *testing.T) {
	text := `
  ######################## NIC statistics for port 0  ########################
  RX-packets: 100     RX-missed: 0          RX-bytes:  6400
  TX-packets: 90      TX-errors: 0          TX-bytes:  5760
  Throughput (since last show)
  Rx-pps:     1000          Rx-bps:  512000
  Tx-pps:      900          Tx-bps:  460800
  ######################## NIC statistics for port 1  ########################
  RX-packets: 7     RX-missed: 0          RX-bytes:  6400
  Rx-pps:     7          Rx-bps:  512000
  Tx-pps:     7          Tx-bps:  460800
  ######################## NIC statistics for port 0  ########################
  RX-packets: 200     RX-missed: 0          RX-bytes:  6400
  Throughput (since last show)
  Rx-pps:     1100          Rx-bps:  512000
`
	got := parseTestpmdStats(text)
	if len(got) != 1 || got[0] != (pmdSample{RxPackets: 100, TxPackets: 90, RxPPS: 1000, TxPPS: 900}) {
		t.Fatalf("got %+v, want only the complete block of port 0", got)
	}
}

func TestTestpmdArgs(t *testing.T) {
	a := strings.Join(testpmdArgs("dpdk-testpmd", "pfx", "/tmp/x.pcap", "5tswap", 5000), " ")
	for _, want := range []string{
		"-l 0-1 ", "--in-memory", "--file-prefix pfx", "--vdev net_pcap0,rx_pcap=/tmp/x.pcap,infinite_rx=1 -- ",
		"--forward-mode=5tswap", "--nb-cores=1", "--total-num-mbufs=5000", "--mbuf-size=256", "--stats-period 1",
	} {
		if !strings.Contains(a, want) {
			t.Errorf("testpmd args %q lack %q", a, want)
		}
	}
}
