package health

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// notifier runs notify commands (notify_up/down, quorum_up/down) on a few
// workers so a slow command never holds a checker; when the queue is full
// a notification is dropped and counted.
type notifier struct {
	log     *slog.Logger
	run     CommandRunner
	timeout time.Duration
	queue   chan notification
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	count   func(result string) // counts one notification by result
}

type notification struct {
	command string
	env     []string
}

func newNotifier(o *Options, count func(string)) *notifier {
	n := &notifier{log: o.Log, run: o.RunCommand, timeout: o.NotifyTimeout,
		queue: make(chan notification, o.NotifyQueue), count: count}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	for range o.NotifyWorkers {
		n.wg.Add(1)
		go n.work()
	}
	return n
}

// notify queues command with its environment; it never blocks.
func (n *notifier) notify(command string, env ...string) {
	if command == "" {
		return
	}
	select {
	case n.queue <- notification{command, env}:
	default:
		n.count("dropped")
		n.log.Warn("health: notify queue full, command dropped", "command", command, "env", env)
	}
}

func (n *notifier) work() {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case job := <-n.queue:
			n.exec(job)
		}
	}
}

func (n *notifier) exec(job notification) {
	ctx, cancel := context.WithTimeout(n.ctx, n.timeout)
	defer cancel()
	r := n.run(ctx, job.command, job.env)
	switch {
	case r.TimedOut:
		n.count("timeout")
		n.log.Warn("health: notify command killed at its timeout", "command", job.command, "timeout", n.timeout)
	case r.Err != nil || r.ExitCode != 0:
		n.count("failed")
		n.log.Warn("health: notify command failed", "command", job.command, "exit", r.ExitCode, "err", r.Err, "output", r.Output)
	default:
		n.count("ok")
	}
}

// stop kills running commands, drops queued ones and waits for the workers.
func (n *notifier) stop() {
	n.cancel()
	n.wg.Wait()
}
