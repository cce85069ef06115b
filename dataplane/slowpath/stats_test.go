package slowpath

import (
	"cmp"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govs-project/govs/dataplane/packet"
)

func TestEntriesReport(t *testing.T) {
	f := newFixture(t, Config{})
	f.learn(portWAN, macHost, ipHost)
	f.advance(2 * time.Second)
	f.unresolved(portWAN, ipHost2, 1)
	f.unresolved(portWAN, ipHost2, 2)
	f.reply(portLAN, macRS, ipRS) // answers the fixture's first request, 2 s ago
	f.tick(500 * time.Millisecond)
	want := []Entry{
		{IP: ipHost, MAC: macHost, Port: portWAN, State: StateReachable, Age: 2500 * time.Millisecond},
		{IP: ipHost2, Port: portWAN, State: StateIncomplete, Age: 500 * time.Millisecond, Probes: 1, Held: 2},
		{IP: ipGW, Port: portWAN, State: StateIncomplete, Wanted: true, Age: 2500 * time.Millisecond, Probes: 2},
		{IP: ipStatic, MAC: macStat, Port: portLAN, State: StatePermanent, Age: 2500 * time.Millisecond},
		{IP: ipRS, MAC: macRS, Port: portLAN, State: StateReachable, Wanted: true, Age: 500 * time.Millisecond},
	}
	slices.SortFunc(want, func(a, b Entry) int { return cmp.Compare(a.IP, b.IP) })
	if got := f.sp.Entries(); !reflect.DeepEqual(got, want) {
		t.Fatalf("entries\n got %+v\nwant %+v", got, want)
	}
	f.tick(DefaultReachableTime)
	if e := f.mustEntry(ipHost); e.State != StateStale {
		t.Fatalf("stale entry reported %v", e.State)
	}
}

func TestStatsJSON(t *testing.T) {
	b, err := json.Marshal(Stats{Refused: Refused{TableFull: 1}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"arp_received", "arp_invalid", "requests_answered", "replies_received", "not_for_us", "requests_sent",
		"garp_sent", "learned", "updated", "refused", "mirror_full", "entries_deleted", "evicted", "held", "hold_sent",
		"hold_overflow", "hold_timeout", "sent_known", "punt_invalid", "send_failed", "entries", "holding"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
	refused, _ := m["refused"].(map[string]any)
	for _, k := range []string{"not_in_subnet", "own_address", "bad_mac", "bad_address", "table_full", "unsolicited"} {
		if _, ok := refused[k]; !ok {
			t.Errorf("no refused.%q in %s", k, b)
		}
	}
	if refused["table_full"] != 1.0 {
		t.Errorf("table_full = %v", refused["table_full"])
	}
	if e, _ := json.Marshal(Entry{State: StateStale}); !strings.Contains(string(e), `"state":"stale"`) {
		t.Errorf("entry JSON %s", e)
	}
	if State(9).String() != "unknown" {
		t.Error("out-of-range state")
	}
}

// TestConcurrentReaders runs the admin readers against the slow path's
// goroutine; `go test -race` checks the locking.
func TestConcurrentReaders(t *testing.T) {
	f := newFixture(t, Config{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, e := range f.sp.Entries() {
					_ = e.State.String()
				}
				_ = f.sp.Stats().Entries
			}
		}()
	}
	for i := 0; i < 500; i++ {
		ip := ip4(10, 0, 0, byte(2+i%200))
		f.unresolved(portWAN, ip, byte(i))
		f.arp(portWAN, packet.ARPReply, macHost, ip, macWAN, ipWAN)
		f.tick(50 * time.Millisecond)
		if i%100 == 0 {
			if err := f.sp.Apply(testView(uint64(i)), f.now); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
	if st := f.sp.Stats(); st.Learned == 0 || st.HoldSent == 0 {
		t.Fatalf("the writer did nothing: %+v", st)
	}
}
