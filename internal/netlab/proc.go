package netlab

import (
	"bytes"
	"io"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// Proc is a child process in its own process group (so stopping it also
// stops anything it started) that is killed if this process dies.
type Proc struct {
	cmd  *exec.Cmd
	out  lockedBuffer
	done chan struct{}
	err  error
}

// StartProc starts name with args; its stdout and stderr are kept (see
// Output) and also copied to tee if not nil.
func StartProc(tee io.Writer, name string, args ...string) (*Proc, error) {
	p := &Proc{done: make(chan struct{})}
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var w io.Writer = &p.out
	if tee != nil {
		w = io.MultiWriter(&p.out, tee)
	}
	cmd.Stdout, cmd.Stderr = w, w
	cmd.WaitDelay = 2 * time.Second
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that forked the child exits, so
		// keep this goroutine on its thread until the child is reaped.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	p.cmd = cmd
	return p, nil
}

// StartProcIn is StartProc with the process inside ns (see NS.Argv): how
// the labs run a director, so that the kernel interfaces and routes it
// makes stay in a namespace the lab owns and deletes.
func StartProcIn(ns *NS, tee io.Writer, name string, args ...string) (*Proc, error) {
	argv := ns.Argv(name, args...)
	return StartProc(tee, argv[0], argv[1:]...)
}

// Pid is the child's process id (also its process group id).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig to the process itself (not its group).
func (p *Proc) Signal(sig syscall.Signal) error { return p.cmd.Process.Signal(sig) }

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited waits up to timeout for the process to exit.
func (p *Proc) Exited(timeout time.Duration) bool {
	select {
	case <-p.done:
		return true
	default:
	}
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// ExitCode is the exit status once Done (-1 if killed by a signal).
func (p *Proc) ExitCode() int {
	<-p.done
	return p.cmd.ProcessState.ExitCode()
}

// Output is everything the process printed so far.
func (p *Proc) Output() string { return p.out.String() }

// Stop sends SIGTERM to the process group, waits up to grace, then sends
// SIGKILL to the group. It returns the process's Wait error.
func (p *Proc) Stop(grace time.Duration) error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	if !p.Exited(grace) {
		syscall.Kill(-pgid, syscall.SIGKILL)
		p.Exited(5 * time.Second)
	}
	// A child of the group may outlive the leader.
	syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-p.done:
		return p.err
	default:
		return syscall.ETIMEDOUT
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
