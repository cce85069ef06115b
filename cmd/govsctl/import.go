package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/govs-project/govs/control/migrate"
)

// importStdin is what "-" (or no file) reads; tests replace it.
var importStdin io.Reader = os.Stdin

const importUsage = "import ipvsadm|keepalived [FILE|-]"

// importCmd prints the govs configuration equivalent to ipvsadm -Sn
// output or a keepalived.conf, and on stderr every directive that was not
// carried over as written (FILE:LINE: directive X: ...). It needs no
// daemon. Warnings leave the exit status 0; input it cannot read is an
// error naming its line.
func importCmd(e *env, args []string) error {
	if len(args) == 0 {
		return usageError{"usage: govsctl " + importUsage}
	}
	kind := args[0]
	if kind != "ipvsadm" && kind != "keepalived" {
		return usageError{fmt.Sprintf("import %q: want ipvsadm or keepalived", kind)}
	}
	fs := flag.NewFlagSet("import "+kind, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprintln(e.stderr, "usage: govsctl "+importUsage) }
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(1))}
	}
	name, data, err := readImportInput(fs.Arg(0))
	if err != nil {
		return err
	}
	var r *migrate.Result
	if kind == "ipvsadm" {
		r, err = migrate.ConvertIpvsadm(name, data)
	} else {
		var files migrate.Files = migrate.OSFiles{}
		if name == "stdin" {
			files = nil // no directory to resolve includes against
		}
		r, err = migrate.ConvertKeepalived(name, data, files)
	}
	if err != nil {
		return err
	}
	for _, w := range r.Warnings {
		fmt.Fprintln(e.stderr, w)
	}
	_, err = e.stdout.Write(r.YAML)
	return err
}

func readImportInput(path string) (string, []byte, error) {
	if path == "" || path == "-" {
		data, err := io.ReadAll(importStdin)
		return "stdin", data, err
	}
	data, err := os.ReadFile(path)
	return path, data, err
}
