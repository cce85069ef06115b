package command

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Result is how a command ended.
type Result struct {
	ExitCode int    // -1 when it did not exit by itself (killed, not started)
	Output   string // the start of its stdout and stderr
	TimedOut bool   // killed because ctx ended
	Err      error  // it could not be started
}

// Runner runs command with /bin/sh -c (or pretends to), with env added to
// the environment and args as $1.., until it exits or ctx ends.
type Runner func(ctx context.Context, command string, env []string, args ...string) Result

// maxOutput bounds what is kept of a command's output (for errors and
// logs); the rest is read and thrown away so the command never blocks.
const maxOutput = 512

// killGrace bounds how long Wait waits for output pipes after the process
// group was killed (a daemonised grandchild may hold them open).
const killGrace = 500 * time.Millisecond

// shellName is $0 of the shell when args are given.
const shellName = "sh"

// RunShell runs command with /bin/sh -c in a process group of its own;
// when ctx ends the whole group is killed, so a script's children do not
// outlive its timeout. With args, the command line becomes
// `COMMAND "$@"`: the args are appended to the command's last simple
// command, as keepalived appends its notify arguments to the script's
// own, and are $1.. anywhere in it; each arrives as one word, whatever
// spaces or quotes it holds, without a second round of shell parsing.
func RunShell(ctx context.Context, command string, env []string, args ...string) Result {
	argv := []string{"-c", command}
	if len(args) > 0 {
		argv = append([]string{"-c", command + ` "$@"`, shellName}, args...)
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", argv...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = nil
	out := &limitedBuffer{max: maxOutput}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = killGrace
	err := cmd.Run()
	res := Result{ExitCode: -1, Output: strings.TrimSpace(out.String())}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil && res.ExitCode == -1:
		res.TimedOut = true
	case err != nil && !errors.As(err, &exitErr) && !errors.Is(err, exec.ErrWaitDelay):
		res.Err = err
	}
	return res
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.max - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
