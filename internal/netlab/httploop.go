package netlab

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// HTTPLoopSpec is what StartHTTPLoop requests, how often and for how long.
type HTTPLoopSpec struct {
	URL string // e.g. "http://10.0.0.100/"
	// Interval between the starts of two requests; 0 means 20 ms. A
	// request that hangs does not delay the next one.
	Interval time.Duration
	// Timeout bounds each request, connection set-up included; 0 means 1 s.
	Timeout time.Duration
	// For bounds the loop in time: no request starts later than this after
	// the first (required, at most MaxHTTPLoopFor).
	For time.Duration
	// Max bounds it in count: at most this many requests (0: as many as
	// For allows).
	Max int
}

// MaxHTTPLoopFor is the longest HTTPLoopSpec.For accepted.
const MaxHTTPLoopFor = 10 * time.Minute

// HTTPAttempt is one request of an HTTPLoop.
type HTTPAttempt struct {
	Seq        int // 0, 1, ... in the order the requests started
	Start, End time.Time
	Status     int    // the answer's HTTP status, 0 if none came
	Server     string // the answer's X-Server header: which real server answered
	Err        error  // nil only for a 200 answer
}

// OK reports whether the request got a 200 answer.
func (a HTTPAttempt) OK() bool { return a.Err == nil }

func (a HTTPAttempt) String() string {
	if a.OK() {
		return fmt.Sprintf("#%d %s +%v: %s", a.Seq, a.Start.Format("15:04:05.000"), a.End.Sub(a.Start).Round(time.Millisecond), a.Server)
	}
	return fmt.Sprintf("#%d %s +%v: FAILED (status %d, server %q): %v", a.Seq, a.Start.Format("15:04:05.000"), a.End.Sub(a.Start).Round(time.Millisecond), a.Status, a.Server, a.Err)
}

// HTTPAttempts are attempts in Seq order.
type HTTPAttempts []HTTPAttempt

// Failed are the attempts that did not get a 200 answer.
func (as HTTPAttempts) Failed() HTTPAttempts {
	return slices.DeleteFunc(slices.Clone(as), HTTPAttempt.OK)
}

// Since are the attempts that started at or after t.
func (as HTTPAttempts) Since(t time.Time) HTTPAttempts {
	return slices.DeleteFunc(slices.Clone(as), func(a HTTPAttempt) bool { return a.Start.Before(t) })
}

// ByServer counts the 200 answers of each real server.
func (as HTTPAttempts) ByServer() map[string]int {
	n := map[string]int{}
	for _, a := range as {
		if a.OK() {
			n[a.Server]++
		}
	}
	return n
}

// String summarises the attempts for a test's message: counts, answers by
// server, and the first failures.
func (as HTTPAttempts) String() string {
	failed := as.Failed()
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests, %d failed, answers by server %v", len(as), len(failed), as.ByServer())
	for i, a := range failed {
		if i == 5 {
			fmt.Fprintf(&b, "\n  ... %d more failures", len(failed)-i)
			break
		}
		fmt.Fprintf(&b, "\n  %v", a)
	}
	return b.String()
}

// HTTPLoop requests a URL from a namespace at a steady pace, each request
// on a new connection (so each is scheduled anew by a director), and
// records how each went.
type HTTPLoop struct {
	spec HTTPLoopSpec
	cl   *http.Client
	tr   *http.Transport
	stop chan struct{}
	once sync.Once
	done chan struct{}

	mu       sync.Mutex
	attempts HTTPAttempts
}

// StartHTTPLoop starts requesting spec.URL from inside ns. It ends by
// itself at spec's bounds, or at Stop.
func StartHTTPLoop(ns *NS, spec HTTPLoopSpec) (*HTTPLoop, error) {
	if spec.Interval == 0 {
		spec.Interval = 20 * time.Millisecond
	}
	if spec.Timeout == 0 {
		spec.Timeout = time.Second
	}
	switch {
	case !strings.HasPrefix(spec.URL, "http://"):
		return nil, fmt.Errorf("HTTP loop: URL %q is not http://...", spec.URL)
	case spec.Interval < 0 || spec.Timeout < 0 || spec.Max < 0:
		return nil, errors.New("HTTP loop: negative Interval, Timeout or Max")
	case spec.For <= 0 || spec.For > MaxHTTPLoopFor:
		return nil, fmt.Errorf("HTTP loop: For %v is not in (0, %v]: the loop must be bounded in time", spec.For, MaxHTTPLoopFor)
	}
	tr := &http.Transport{DialContext: ns.DialContext, DisableKeepAlives: true}
	l := &HTTPLoop{
		spec: spec,
		tr:   tr,
		cl:   &http.Client{Transport: tr},
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go l.run()
	return l, nil
}

func (l *HTTPLoop) run() {
	defer close(l.done)
	defer l.tr.CloseIdleConnections()
	var wg sync.WaitGroup
	tick := time.NewTicker(l.spec.Interval)
	defer tick.Stop()
	deadline := time.Now().Add(l.spec.For)
	for seq := 0; l.spec.Max == 0 || seq < l.spec.Max; seq++ {
		if seq > 0 {
			select {
			case <-l.stop:
			case <-tick.C:
			}
		}
		if l.stopped() || time.Now().After(deadline) {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := l.request(seq)
			l.mu.Lock()
			l.attempts = append(l.attempts, a)
			l.mu.Unlock()
		}()
	}
	wg.Wait()
}

func (l *HTTPLoop) stopped() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

// request makes one request on a new connection.
func (l *HTTPLoop) request(seq int) (a HTTPAttempt) {
	a = HTTPAttempt{Seq: seq, Start: time.Now()}
	defer func() { a.End = time.Now() }()
	ctx, cancel := context.WithTimeout(context.Background(), l.spec.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.spec.URL, nil)
	if err != nil {
		a.Err = err
		return a
	}
	resp, err := l.cl.Do(req)
	if err != nil {
		a.Err = err
		return a
	}
	defer resp.Body.Close()
	a.Status, a.Server = resp.StatusCode, resp.Header.Get("X-Server")
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)); err != nil {
		a.Err = fmt.Errorf("reading the answer: %w", err)
	} else if resp.StatusCode != http.StatusOK {
		a.Err = fmt.Errorf("status %s", resp.Status)
	}
	return a
}

// Stop starts no more requests, waits for those in flight (each at most
// the spec's Timeout) and returns every attempt.
func (l *HTTPLoop) Stop() HTTPAttempts {
	l.once.Do(func() { close(l.stop) })
	return l.Wait()
}

// Wait waits until the loop has ended (at its bounds or Stop) and returns
// every attempt.
func (l *HTTPLoop) Wait() HTTPAttempts {
	<-l.done
	return l.Attempts()
}

// Done is closed once the loop has ended and every request has finished.
func (l *HTTPLoop) Done() <-chan struct{} { return l.done }

// Attempts returns the requests finished so far, in Seq order.
func (l *HTTPLoop) Attempts() HTTPAttempts {
	l.mu.Lock()
	out := slices.Clone(l.attempts)
	l.mu.Unlock()
	slices.SortFunc(out, func(a, b HTTPAttempt) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}
