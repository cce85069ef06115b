package fanout

import "testing"

func TestBrokerDeliversDropsAndCloses(t *testing.T) {
	var dropped int
	b := Broker[int]{Dropped: func() { dropped++ }}
	a, cancelA := b.Subscribe(1)
	c, _ := b.Subscribe(2)
	b.Publish(1)
	b.Publish(2) // a's buffer of one is full: dropped for a only
	if got := <-a; got != 1 {
		t.Errorf("a got %d, want 1", got)
	}
	if got := [2]int{<-c, <-c}; got != [2]int{1, 2} {
		t.Errorf("c got %v, want [1 2]", got)
	}
	if dropped != 1 {
		t.Errorf("dropped %d, want 1", dropped)
	}
	cancelA()
	cancelA() // a second cancel is harmless
	if _, ok := <-a; ok {
		t.Error("a still open after its cancel")
	}
	b.Publish(3) // only c is left
	if got := <-c; got != 3 {
		t.Errorf("c got %d after a's cancel, want 3", got)
	}
	b.Close()
	if _, ok := <-c; ok {
		t.Error("c still open after Close")
	}
	late, cancel := b.Subscribe(1)
	cancel()
	if _, ok := <-late; ok {
		t.Error("a subscription after Close is open")
	}
}
