package neigh

import (
	"sync"
	"testing"
)

func TestLearnLookupUpdate(t *testing.T) {
	tb := New(16)
	mac := [6]byte{2, 0, 0, 0, 0, 1}
	if _, ok := tb.Lookup(0x0a000001); ok {
		t.Fatal("empty table resolved an address")
	}
	tb.Update(0x0a000001, mac, 5) // unknown: must not be inserted
	if len(tb.Entries()) != 0 {
		t.Fatal("Update inserted an unknown sender")
	}
	if !tb.Want(0x0a000001, 1) {
		t.Fatal("Want failed")
	}
	if _, ok := tb.Lookup(0x0a000001); ok {
		t.Fatal("wanted entry resolved before any ARP")
	}
	tb.Update(0x0a000001, mac, 5)
	if got, ok := tb.Lookup(0x0a000001); !ok || got != mac {
		t.Fatalf("lookup after update: %v %v", got, ok)
	}
	mac2 := [6]byte{2, 0, 0, 0, 0, 2}
	tb.Learn(0x0a000001, mac2, 1, 6)
	if got, _ := tb.Lookup(0x0a000001); got != mac2 {
		t.Fatalf("MAC not replaced: %v", got)
	}
	if e := tb.Entries(); len(e) != 1 || e[0].Port != 1 || !e[0].Resolved {
		t.Fatalf("entries %+v", e)
	}
	if tb.Learn(0, mac, 0, 1) {
		t.Fatal("0.0.0.0 learned")
	}
}

func TestShouldRequestRateLimits(t *testing.T) {
	tb := New(16)
	ip := uint32(0x0a010001)
	if !tb.ShouldRequest(ip, 0, 1000, 1000, 30000) {
		t.Fatal("first request not due")
	}
	if tb.ShouldRequest(ip, 0, 1500, 1000, 30000) {
		t.Fatal("request repeated within retry")
	}
	if !tb.ShouldRequest(ip, 0, 2001, 1000, 30000) {
		t.Fatal("retry not due after retry interval")
	}
	tb.Learn(ip, [6]byte{1}, 0, 2100)
	if tb.ShouldRequest(ip, 0, 3200, 1000, 30000) {
		t.Fatal("resolved entry asked again before refresh")
	}
	if !tb.ShouldRequest(ip, 0, 2100+30001, 1000, 30000) {
		t.Fatal("refresh not due")
	}
}

func TestStaticEntriesStay(t *testing.T) {
	tb := New(16)
	mac := [6]byte{2, 0, 0, 0, 0, 9}
	if !tb.SetStatic(0x0a000009, mac, 1) {
		t.Fatal("SetStatic failed")
	}
	tb.Learn(0x0a000009, [6]byte{6}, 0, 5)
	tb.Update(0x0a000009, [6]byte{7}, 6)
	if got, ok := tb.Lookup(0x0a000009); !ok || got != mac {
		t.Fatalf("static entry replaced by ARP: %v", got)
	}
	if tb.ShouldRequest(0x0a000009, 1, 1<<30, 1000, 30000) {
		t.Fatal("ARP request due for a static entry")
	}
	if e := tb.Entries(); len(e) != 1 || !e[0].Static || e[0].Port != 1 {
		t.Fatalf("entries %+v", e)
	}
}

func TestFullTable(t *testing.T) {
	tb := New(1) // 64 slots
	n := 0
	for ip := uint32(1); ip <= 100; ip++ {
		if tb.Learn(ip, [6]byte{byte(ip)}, 0, 1) {
			n++
		}
	}
	if n != 64 {
		t.Fatalf("learned %d in a 64-slot table", n)
	}
	for ip := uint32(1); ip <= 100; ip++ {
		if m, ok := tb.Lookup(ip); ok && m[0] != byte(ip) {
			t.Fatalf("ip %d has MAC of another", ip)
		}
	}
}

func TestConcurrentLearn(t *testing.T) {
	tb := New(1024)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ip := uint32(1); ip <= 500; ip++ {
				tb.Learn(ip, [6]byte{byte(ip), byte(ip >> 8)}, 0, 1)
				tb.Lookup(ip)
			}
		}()
	}
	wg.Wait()
	if len(tb.Entries()) != 500 {
		t.Fatalf("%d entries, want 500 (duplicate slots?)", len(tb.Entries()))
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	tb := New(16)
	tb.Learn(7, [6]byte{1}, 0, 1)
	if a := testing.AllocsPerRun(100, func() { tb.Lookup(7) }); a != 0 {
		t.Fatalf("%v allocs", a)
	}
}

func TestVersionChangesWithMAC(t *testing.T) {
	tb := New(16)
	v0 := tb.Version()
	tb.Learn(5, [6]byte{1}, 0, 1)
	v1 := tb.Version()
	if v1 == v0 {
		t.Fatal("new MAC did not change the version")
	}
	tb.Learn(5, [6]byte{1}, 0, 2) // same MAC, refreshed
	if tb.Version() != v1 {
		t.Fatal("a refresh with the same MAC changed the version")
	}
	tb.Update(5, [6]byte{2}, 3)
	if tb.Version() == v1 {
		t.Fatal("changed MAC did not change the version")
	}
}
