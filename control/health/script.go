package health

import (
	"context"
	"fmt"
	"strings"
)

// scriptProber runs a command (keepalived's MISC_CHECK): exit 0 is up, 1
// down; with dynamic (misc_dynamic) 2..255 is up with weight code-2, else
// any other exit is down. The command's process group is killed at the
// timeout.
type scriptProber struct {
	run     CommandRunner
	command string
	env     []string
	dynamic bool
}

func (p *scriptProber) Probe(ctx context.Context) Result {
	r := p.run(ctx, p.command, p.env)
	switch {
	case r.TimedOut:
		return Result{Timeout: true, Err: "killed at the timeout" + outputNote(r.Output), Weight: -1}
	case r.Err != nil:
		return failure("cannot run: %v", r.Err)
	case r.ExitCode == 0:
		return success()
	case p.dynamic && r.ExitCode >= 2 && r.ExitCode <= 255:
		return Result{OK: true, Weight: r.ExitCode - 2}
	case r.ExitCode < 0:
		return failure("killed by a signal%s", outputNote(r.Output))
	}
	return failure("exit %d%s", r.ExitCode, outputNote(r.Output))
}

// outputNote is the first line of a command's output, for LastError.
func outputNote(out string) string {
	line, _, _ := strings.Cut(out, "\n")
	if line == "" {
		return ""
	}
	if len(line) > 200 {
		line = line[:200] + "..."
	}
	return fmt.Sprintf(": %s", line)
}
