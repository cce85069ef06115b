// Command govsctl inspects and controls a running govsd through its admin
// socket, printing what ipvsadm would for the same state.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/govs-project/govs/control/config"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usageError makes run print the usage and exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// env is what every command gets: global options and the output.
type env struct {
	flags  *flag.FlagSet
	socket string
	json   bool
	stdout io.Writer
	stderr io.Writer
}

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("govsctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sock := config.DefaultSocket
	if s := os.Getenv("GOVS_SOCKET"); s != "" {
		sock = s
	}
	fs.StringVar(&e.socket, "s", sock, "govsd admin `socket` (env GOVS_SOCKET)")
	fs.BoolVar(&e.json, "json", false, "print the daemon's raw JSON reply")
	fs.Usage = func() { usage(fs, stderr) }
	e.flags = fs

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	name, rest := "list", fs.Args()
	if len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(stderr, "govsctl: unknown command %q\n", name)
		usage(fs, stderr)
		return 2
	}
	err := cmd.run(e, rest)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "govsctl %s: %v\n", name, err)
		usage(fs, stderr)
		return 2
	default:
		fmt.Fprintf(stderr, "govsctl %s: %v\n", name, err)
		return 1
	}
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintln(w, "usage: govsctl [-s SOCKET] [-json] [COMMAND]")
	fmt.Fprintln(w, "       govsctl realserver setup|teardown|status [-mode dr|tun] [-vip VIP]... (-h for more)")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\noptions:")
	fs.SetOutput(w)
	fs.PrintDefaults()
}
