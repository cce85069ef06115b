package command

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Notifier runs notify commands on a few workers so a slow command never
// holds its caller; when the queue is full a notification is dropped and
// counted. With one worker the commands run one at a time, in the order
// they were queued.
type Notifier struct {
	log     *slog.Logger
	run     Runner
	timeout atomic.Int64 // a duration; SetTimeout changes it for later commands
	queue   chan notification
	wg      sync.WaitGroup
	count   func(result string)

	closeMu sync.RWMutex // Notify holds it shared so Close cannot race a send
	closed  bool
}

type notification struct {
	command string
	env     []string
	args    []string
}

// Notification results passed to count.
const (
	ResultOK      = "ok"
	ResultFailed  = "failed"
	ResultTimeout = "timeout"
	ResultDropped = "dropped"
)

// NewNotifier starts workers (at least one) running commands with run,
// each bounded by timeout, with up to queue commands waiting. count, if
// not nil, is called once per notification with one of the Result*
// values. log nil discards.
func NewNotifier(log *slog.Logger, run Runner, timeout time.Duration, queue, workers int, count func(result string)) *Notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if run == nil {
		run = RunShell
	}
	if count == nil {
		count = func(string) {}
	}
	n := &Notifier{log: log, run: run, queue: make(chan notification, max(queue, 0)), count: count}
	n.SetTimeout(timeout)
	for range max(workers, 1) {
		n.wg.Add(1)
		go n.work()
	}
	return n
}

// Notify queues command with env added to its environment and args as
// $1..; it never blocks. An empty command, or a nil Notifier, is nothing
// to do; after Close, or with the queue full, the notification is dropped
// and counted.
func (n *Notifier) Notify(command string, env []string, args ...string) {
	if n == nil || command == "" {
		return
	}
	n.closeMu.RLock()
	defer n.closeMu.RUnlock()
	if n.closed {
		n.count(ResultDropped)
		return
	}
	select {
	case n.queue <- notification{command, env, args}:
	default:
		n.count(ResultDropped)
		n.log.Warn("notify queue full, command dropped", "command", command, "env", env, "args", args)
	}
}

// SetTimeout bounds the commands that start from now on (a reload may
// change the configured timeout).
func (n *Notifier) SetTimeout(d time.Duration) { n.timeout.Store(int64(d)) }

func (n *Notifier) work() {
	defer n.wg.Done()
	for job := range n.queue {
		n.exec(job)
	}
}

func (n *Notifier) exec(job notification) {
	timeout := time.Duration(n.timeout.Load())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r := n.run(ctx, job.command, job.env, job.args...)
	switch {
	case r.TimedOut:
		n.count(ResultTimeout)
		n.log.Warn("notify command killed at its timeout", "command", job.command, "timeout", timeout)
	case r.Err != nil || r.ExitCode != 0:
		n.count(ResultFailed)
		n.log.Warn("notify command failed", "command", job.command, "exit", r.ExitCode, "err", r.Err, "output", r.Output)
	default:
		n.count(ResultOK)
	}
}

// Close stops taking notifications and waits until the queued and
// running ones are done, each still bounded by the timeout: the last
// notifications of a shutdown (VRRP's notify_stop) are the ones that
// matter most. Later Notify calls are dropped and counted.
func (n *Notifier) Close() {
	n.closeMu.Lock()
	if !n.closed {
		n.closed = true
		close(n.queue)
	}
	n.closeMu.Unlock()
	n.wg.Wait()
}
