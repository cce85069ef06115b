package dataplane

import (
	"errors"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeAnnouncer records every Announce call.
type fakeAnnouncer struct {
	mu    sync.Mutex
	calls [][]netip.Addr
	err   error
	done  chan struct{} // receives after each call
}

func (f *fakeAnnouncer) Announce(addrs []netip.Addr) error {
	f.mu.Lock()
	f.calls = append(f.calls, slices.Clone(addrs))
	err := f.err
	f.mu.Unlock()
	if f.done != nil {
		f.done <- struct{}{}
	}
	return err
}

func (f *fakeAnnouncer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func TestAnnounceMasterBursts(t *testing.T) {
	addrs := []netip.Addr{vip}
	f := &fakeAnnouncer{done: make(chan struct{}, 16)}
	cancel, err := AnnounceMaster(f, addrs, GARPSchedule{Repeat: 3, Delay: 20 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if n := f.count(); n != 3 {
		t.Fatalf("first burst: %d announcements, want 3", n)
	}
	for range 6 { // both bursts
		select {
		case <-f.done:
		case <-time.After(5 * time.Second):
			t.Fatal("no second burst")
		}
	}
	time.Sleep(50 * time.Millisecond)
	if n := f.count(); n != 6 {
		t.Fatalf("%d announcements, want 6", n)
	}
	for _, c := range f.calls {
		if !slices.Equal(c, addrs) {
			t.Fatalf("announced %v, want %v", c, addrs)
		}
	}
}

func TestAnnounceMasterCancelled(t *testing.T) {
	f := &fakeAnnouncer{}
	cancel, err := AnnounceMaster(f, []netip.Addr{vip}, GARPSchedule{Repeat: 2, Delay: 20 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	time.Sleep(60 * time.Millisecond)
	if n := f.count(); n != 2 {
		t.Fatalf("%d announcements after cancel, want the first burst's 2", n)
	}
}

func TestAnnounceMasterErrors(t *testing.T) {
	refused := errors.New("standby")
	f := &fakeAnnouncer{err: refused}
	if _, err := AnnounceMaster(f, []netip.Addr{vip}, GARPSchedule{Repeat: 5}, nil); !errors.Is(err, refused) {
		t.Fatalf("error %v", err)
	}
	if n := f.count(); n != 1 {
		t.Fatalf("%d announcements after a refusal, want 1", n)
	}
	if _, err := announceIPs([]netip.Addr{netip.MustParseAddr("::1")}); err == nil {
		t.Fatal("an IPv6 address was accepted")
	}

	// the late burst's refusal is reported
	late := make(chan error, 1)
	f = &fakeAnnouncer{}
	cancel, err := AnnounceMaster(f, []netip.Addr{vip}, GARPSchedule{Repeat: 1, Delay: 10 * time.Millisecond}, func(err error) { late <- err })
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	f.mu.Lock()
	f.err = refused
	f.mu.Unlock()
	select {
	case err := <-late:
		if !errors.Is(err, refused) {
			t.Fatalf("late error %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the late burst's error was not reported")
	}
}
