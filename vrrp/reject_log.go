package vrrp

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"
)

// rejectLogEvery is how often each reason may be logged: a misconfigured
// peer sends a bad advert every interval, and one line a minute says enough.
const rejectLogEvery = time.Minute

// RejectLog counts every rejected advert by reason and logs each reason at
// most once per minute, with how many were left unlogged since. Other
// routers' adverts (ReasonVRIDMismatch) are normal on a shared segment and
// are logged at debug level only. It is safe for concurrent use.
type RejectLog struct {
	log *slog.Logger
	now func() time.Time

	mu         sync.Mutex
	counts     [numReasons]uint64
	lastLogged [numReasons]time.Time
	suppressed [numReasons]uint64
}

// NewRejectLog logs to log (typically carrying the instance name) and reads
// the time from now (time.Now outside tests).
func NewRejectLog(log *slog.Logger, now func() time.Time) *RejectLog {
	return &RejectLog{log: log, now: now}
}

// Record counts err if it is a rejection from Parse or Check, logging it
// unless its reason was logged less than a minute ago. src is the sender.
// It returns false, and does nothing, for nil and other errors.
func (l *RejectLog) Record(src netip.Addr, err error) bool {
	r, ok := ReasonOf(err)
	if !ok {
		return false
	}
	now := l.now()
	l.mu.Lock()
	l.counts[r]++
	last := l.lastLogged[r]
	if !last.IsZero() && now.Sub(last) < rejectLogEvery {
		l.suppressed[r]++
		l.mu.Unlock()
		return true
	}
	suppressed := l.suppressed[r]
	l.suppressed[r] = 0
	l.lastLogged[r] = now
	l.mu.Unlock()

	level := slog.LevelWarn
	if r == ReasonVRIDMismatch {
		level = slog.LevelDebug
	}
	// The record carries the injected time, so log lines and tests agree.
	ctx, h := context.Background(), l.log.Handler()
	if !h.Enabled(ctx, level) {
		return true
	}
	rec := slog.NewRecord(now, level, "vrrp advert rejected", 0)
	rec.AddAttrs(slog.String("reason", r.String()), slog.String("src", src.String()),
		slog.String("error", err.Error()), slog.Uint64("suppressed", suppressed))
	_ = h.Handle(ctx, rec) // a failing log sink must not stop VRRP
	return true
}

// Count is how many rejections of reason r were recorded.
func (l *RejectLog) Count(r Reason) uint64 {
	if r >= numReasons {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[r]
}

// Counts returns the non-zero counts by reason name, for the operator view.
func (l *RejectLog) Counts() map[string]uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := make(map[string]uint64)
	for r, n := range l.counts {
		if n > 0 {
			m[Reason(r).String()] = n
		}
	}
	return m
}
