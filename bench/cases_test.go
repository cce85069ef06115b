package main

import (
	"strings"
	"testing"
)

func TestMakePlanRoomy(t *testing.T) {
	p := makePlan([]int{1 << 16}, 1<<20, 64<<30)
	var names []string
	for _, c := range p.Cases {
		names = append(names, c.Name)
		if c.Name != "syn" && (c.Pcap.Rounds != wantRounds || c.Pcap.SYNShare() > 0.05) {
			t.Errorf("%s: %v, want %d rounds (SYNs <= 5 %%)", c.Name, c.Pcap, wantRounds)
		}
	}
	if got := strings.Join(names, ","); got != "nat-in,tun,dr,nat-out,syn" {
		t.Errorf("cases %s", got)
	}
	if len(p.Pcaps) != 3 || len(p.Notes) != 0 {
		t.Errorf("pcaps %v, notes %v", p.Pcaps, p.Notes)
	}
	for _, c := range p.Cases {
		if c.Name == "tun" || c.Name == "dr" {
			if c.Pcap.Kind != kindNATIn || c.Method != c.Name {
				t.Errorf("%s runs on %v with method %s", c.Name, c.Pcap, c.Method)
			}
		}
	}
}

func TestMakePlanFitsMemory(t *testing.T) {
	budget := int64(5632) << 20
	p := makePlan([]int{1 << 16, 1 << 20}, 4<<20, budget)
	for _, s := range p.Pcaps {
		if b := pcapBytes(s, true); b > budget {
			t.Errorf("%v needs %d MiB, budget %d MiB", s, b>>20, budget>>20)
		}
		if s.Packets()+mbufSlack > maxMbufs {
			t.Errorf("%v: %d mbufs, govsd allows %d", s, s.Packets()+mbufSlack, maxMbufs)
		}
		if s.Flows == 1<<20 && s.Kind != kindSYN {
			if s.Rounds >= wantRounds || s.Rounds < minRounds {
				t.Errorf("%v: rounds", s)
			}
			// the largest that fits: one more round would not
			if more := (pcapSpec{Kind: s.Kind, Flows: s.Flows, Rounds: s.Rounds + 1}); pcapBytes(more, true) <= budget && more.Packets()+mbufSlack <= maxMbufs {
				t.Errorf("%v: %v would fit too", s, more)
			}
		}
	}
	if len(p.Notes) != 2 {
		t.Errorf("notes %q, want one per 1M-flow file", p.Notes)
	}
	// 1M flows: tun and dr only on the smallest flow count
	n := 0
	for _, c := range p.Cases {
		if c.Pcap.Flows == 1<<20 && (c.Name == "tun" || c.Name == "dr") {
			n++
		}
	}
	if n != 0 {
		t.Errorf("tun/dr planned for 1M flows")
	}
}

func TestMakePlanTooSmall(t *testing.T) {
	p := makePlan([]int{1 << 20}, 4<<20, 256<<20)
	if len(p.Cases) != 1 || p.Cases[0].Name != "syn" || p.Cases[0].Pcap.Flows >= 4<<20 {
		t.Fatalf("cases %+v", p.Cases)
	}
	if len(p.Notes) != 3 {
		t.Errorf("notes %q", p.Notes)
	}
	if b := pcapBytes(p.Cases[0].Pcap, true); b > 256<<20 {
		t.Errorf("syn file needs %d MiB", b>>20)
	}
}
