// Package command runs operator-configured shell commands (health check
// scripts, notify commands, VRRP track scripts): /bin/sh -c in a process
// group of its own that is killed as a whole when the context ends, with a
// bounded capture of the output, and a Notifier that runs fire-and-forget
// commands on a few workers without ever blocking the caller.
package command
