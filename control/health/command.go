package health

import (
	"context"

	"github.com/govs-project/govs/internal/command"
)

// CommandResult is how a command ended (see command.Result).
type CommandResult = command.Result

// RunShell runs command with /bin/sh -c in a process group of its own;
// when ctx ends the whole group is killed, so a script's children do not
// outlive its timeout.
func RunShell(ctx context.Context, cmd string, env []string) CommandResult {
	return command.RunShell(ctx, cmd, env)
}
