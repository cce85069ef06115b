package health

import (
	"context"

	"github.com/govs-project/govs/internal/command"
)

// notifier runs notify commands (notify_up/down, quorum_up/down) on a few
// workers so a slow command never holds a checker; when the queue is full
// a notification is dropped and counted.
type notifier struct{ n *command.Notifier }

func newNotifier(o *Options, count func(string)) *notifier {
	run := func(ctx context.Context, cmd string, env []string, _ ...string) command.Result {
		return o.RunCommand(ctx, cmd, env)
	}
	return &notifier{command.NewNotifier(o.Log.With("component", "health"), run, o.NotifyTimeout, o.NotifyQueue, o.NotifyWorkers, count)}
}

// notify queues command with its environment; it never blocks.
func (n *notifier) notify(cmd string, env ...string) { n.n.Notify(cmd, env) }

// stop waits for the queued and running commands (each bounded by the
// notify timeout); later ones are dropped.
func (n *notifier) stop() { n.n.Close() }
