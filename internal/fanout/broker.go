// Package fanout hands events to every subscriber without ever waiting
// for one: the publisher (a health check, a VRRP instance) must not be
// held by a slow reader of the admin event stream.
package fanout

import "sync"

// Broker fans values of T out to subscribers. A subscriber whose buffer
// is full loses the value, and Dropped (if set) counts it. The zero value
// is ready to use.
type Broker[T any] struct {
	Dropped func() // called once per value a subscriber lost

	mu     sync.Mutex
	subs   map[chan T]struct{}
	closed bool
}

// Subscribe returns a channel buffering buf values (at least one) and the
// function that ends the subscription (closing the channel; safe to call
// more than once). After Close the channel comes back closed.
func (b *Broker[T]) Subscribe(buf int) (<-chan T, func()) {
	ch := make(chan T, max(buf, 1))
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(ch)
		return ch, func() {}
	}
	if b.subs == nil {
		b.subs = map[chan T]struct{}{}
	}
	b.subs[ch] = struct{}{}
	var once sync.Once
	return ch, func() { once.Do(func() { b.cancel(ch) }) }
}

func (b *Broker[T]) cancel(ch chan T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[ch]; ok {
		delete(b.subs, ch)
		close(ch)
	}
}

// Publish offers v to every subscriber; it never blocks.
func (b *Broker[T]) Publish(v T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- v:
		default:
			if b.Dropped != nil {
				b.Dropped()
			}
		}
	}
}

// Close ends every subscription (their channels are closed); later
// subscriptions get a closed channel.
func (b *Broker[T]) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for ch := range b.subs {
		delete(b.subs, ch)
		close(ch)
	}
}
