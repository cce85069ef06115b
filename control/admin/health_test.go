package admin

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func sampleHealth() Health {
	return Health{
		Servers: []ServerHealth{
			{Service: "tcp/10.0.0.10:80", Address: "10.1.0.12", Port: 80, Type: "http", State: HealthDown, Since: t0.Add(-15 * time.Second),
				LastError: "status 500, want 200-299", LastCheck: t0.Add(-400 * time.Millisecond), LastDuration: 1.25, LastOutcome: "failure", Successes: 40, Failures: 3, DynamicWeight: -1},
			{Service: "tcp/10.0.0.10:80", Address: "10.1.0.11", Port: 80, Type: "http", State: HealthUp, Since: t0.Add(-3 * time.Minute),
				LastCheck: t0.Add(-time.Second), LastDuration: 0.5, LastOutcome: "success", Successes: 180, DynamicWeight: -1},
		},
		Services: []ServiceHealth{{Service: "tcp/10.0.0.10:80", QuorumUp: true, Since: t0.Add(-time.Hour), AliveWeight: 1, Quorum: 1}},
	}
}

func TestFormatChecks(t *testing.T) {
	var b bytes.Buffer
	if err := formatChecks(&b, sampleHealth(), t0); err != nil {
		t.Fatal(err)
	}
	golden(t, "checks", b.Bytes())
}

func TestFormatListHealthColumn(t *testing.T) {
	svcs := []Service{{VIP: "10.0.0.10", Protocol: "tcp", Port: 80, Scheduler: "rr", RealServers: []RealServer{
		{Address: "10.1.0.11", Port: 80, Method: "nat", Weight: 1, Health: HealthUp, HealthSince: t0.Add(-3 * time.Minute)},
		{Address: "10.1.0.12", Port: 80, Method: "nat", Weight: 0, Health: HealthDown, HealthSince: t0.Add(-15 * time.Second), HealthError: "connection refused"},
		{Address: "10.1.0.13", Port: 80, Method: "nat", Weight: 0, Health: HealthDraining, HealthSince: t0.Add(-2 * time.Second), HealthError: "timeout"},
		{Address: "10.1.0.99", Port: 80, Method: "nat", Weight: 1, Sorry: true},
	}}}
	var b bytes.Buffer
	if err := formatList(&b, svcs, t0); err != nil {
		t.Fatal(err)
	}
	golden(t, "list_health", b.Bytes())
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 850 * time.Millisecond: "850ms", 42 * time.Second: "42s", 192 * time.Second: "3m12s",
		5*time.Hour + 3*time.Minute: "5h3m", 52 * time.Hour: "2d4h",
	} {
		if got := age(d); got != want {
			t.Errorf("age(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestHealthAndEventsOverTheSocket(t *testing.T) {
	src := newFake()
	src.health = sampleHealth()
	src.events = make(chan Event, 4)
	path, s := serve(t, src, nil)
	c := Dial(path)

	h, err := c.Health()
	if err != nil || !reflect.DeepEqual(h.Servers[0].Since.UTC(), src.health.Servers[0].Since) || len(h.Servers) != 2 || h.Services[0].Quorum != 1 {
		t.Fatalf("Health() = %+v, %v", h, err)
	}

	want := []Event{
		{Time: t0, Type: "server_down", Service: "tcp/10.0.0.10:80", Address: "10.1.0.12", Port: 80, Reason: "connection refused"},
		{Time: t0.Add(time.Second), Type: "quorum_down", Service: "tcp/10.0.0.10:80"},
	}
	for _, ev := range want {
		src.events <- ev
	}
	var got []Event
	stop := errors.New("enough")
	err = c.Events(context.Background(), func(ev Event) error {
		got = append(got, ev)
		if len(got) == len(want) {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Events: %v", err)
	}
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) || got[i].Type != want[i].Type || got[i].Address != want[i].Address || got[i].Reason != want[i].Reason {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	// A stream in progress ends when the server shuts down, without
	// holding Shutdown for its timeout.
	done := make(chan error, 1)
	go func() { done <- c.Events(context.Background(), func(Event) error { return nil }) }()
	time.Sleep(50 * time.Millisecond) // let the stream open; Shutdown must end it either way
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Shutdown took %v with a stream open", took)
	}
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("event stream did not end at shutdown")
	}
}
