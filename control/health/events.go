package health

import "sync"

// broker fans events out to subscribers without ever waiting for one: a
// subscriber whose buffer is full loses the event, counted.
type broker struct {
	mu      sync.Mutex
	subs    map[chan Event]struct{}
	closed  bool
	dropped func() // counts one lost event
}

func (b *broker) subscribe(buf int) (<-chan Event, func()) {
	ch := make(chan Event, max(buf, 1))
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(ch)
		return ch, func() {}
	}
	if b.subs == nil {
		b.subs = map[chan Event]struct{}{}
	}
	b.subs[ch] = struct{}{}
	var once sync.Once
	return ch, func() { once.Do(func() { b.cancel(ch) }) }
}

func (b *broker) cancel(ch chan Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[ch]; ok {
		delete(b.subs, ch)
		close(ch)
	}
}

func (b *broker) publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- e:
		default:
			b.dropped()
		}
	}
}

// close ends every subscription (their channels are closed).
func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for ch := range b.subs {
		delete(b.subs, ch)
		close(ch)
	}
}
