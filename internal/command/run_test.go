package command

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunShellResults(t *testing.T) {
	cases := []struct {
		name     string
		command  string
		env      []string
		args     []string
		wantCode int
		wantOut  string
	}{
		{name: "exit 0", command: "true", wantCode: 0},
		{name: "exit code kept", command: "exit 7", wantCode: 7},
		{name: "output captured", command: "echo hello; echo err >&2", wantOut: "hello\nerr"},
		{name: "env added", command: `echo "$GOVS_X"`, env: []string{"GOVS_X=from env"}, wantOut: "from env"},
		{name: "no args: nothing appended", command: `echo "$#"`, wantOut: "0"},
		// Each arg arrives as one word, with its spaces and quotes, and no
		// second round of shell parsing ($(...), globs, semicolons).
		{name: "args are positional", command: `printf '[%s]'`,
			args:    []string{"INSTANCE", "VI 1", `it's "quoted"`, "$(echo no)", "*", "a;b"},
			wantOut: `[INSTANCE][VI 1][it's "quoted"][$(echo no)][*][a;b]`},
		{name: "args after the command's own", command: `printf '<%s>' fixed`, args: []string{"x y"}, wantOut: "<fixed><x y>"},
		{name: "args are also $1.. of a compound command", command: `echo "$0 $1"; :`, args: []string{"one"}, wantOut: "sh one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := RunShell(context.Background(), c.command, c.env, c.args...)
			if r.Err != nil || r.TimedOut {
				t.Fatalf("result %+v", r)
			}
			if r.ExitCode != c.wantCode {
				t.Errorf("exit %d, want %d", r.ExitCode, c.wantCode)
			}
			if c.wantOut != "" && r.Output != c.wantOut {
				t.Errorf("output %q, want %q", r.Output, c.wantOut)
			}
		})
	}
}

func TestRunShellOutputBounded(t *testing.T) {
	r := RunShell(context.Background(), "head -c 100000 /dev/zero | tr '\\0' x", nil)
	if r.ExitCode != 0 || len(r.Output) != maxOutput {
		t.Errorf("exit %d, output %d bytes, want 0 and %d", r.ExitCode, len(r.Output), maxOutput)
	}
}

// At the timeout the whole process group dies, not only the shell: a
// background child must not outlive it.
func TestRunShellKillsProcessGroupAtTimeout(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	r := RunShell(ctx, `sleep 30 & echo $! > "$1"; wait; :`, nil, pidFile)
	took := time.Since(start)
	if !r.TimedOut || r.ExitCode != -1 {
		t.Errorf("result %+v, want timed out", r)
	}
	if took > 300*time.Millisecond+killGrace+time.Second {
		t.Errorf("returned after %v", took)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	// The child is killed; it may linger as a zombie of init for a moment.
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) || isZombie(pid) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("background child %d still alive after the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

func TestRunShellCannotStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := RunShell(ctx, "true", nil)
	if r.ExitCode != -1 || (!r.TimedOut && r.Err == nil) {
		t.Errorf("cancelled before start: %+v, want not run", r)
	}
}

func readFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	return string(b), err
}
