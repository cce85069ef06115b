package netlab

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// SYNDrop makes a namespace silently drop incoming TCP SYNs to one port,
// as a host that has hung or a firewall that black-holes: no RST, no ICMP,
// the client's connect times out. Established connections to the port keep
// working. It is an nftables table of its own in the namespace.
type SYNDrop struct {
	ns    *NS
	port  int
	table string

	mu      sync.Mutex
	removed bool
}

// MissingNft says why SYNDrop cannot work here, or "".
func MissingNft() string {
	if _, err := exec.LookPath("nft"); err != nil {
		return "needs nftables' nft command on PATH (Debian package nftables; scripts/deps.sh installs it)"
	}
	return ""
}

// DropSYN starts dropping SYNs to port (1..65535) inside ns. Dropping the
// same port twice in one namespace is an error; Remove undoes it.
func DropSYN(ns *NS, port int) (*SYNDrop, error) {
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("DropSYN: port %d is not in 1..65535", port)
	}
	if why := MissingNft(); why != "" {
		return nil, fmt.Errorf("DropSYN: %s", why)
	}
	d := &SYNDrop{ns: ns, port: port, table: fmt.Sprintf("netlab_syndrop_%d", port)}
	// One transaction: the table appears whole or not at all; "create"
	// fails if it exists.
	script := fmt.Sprintf(`create table inet %[1]s
add chain inet %[1]s input { type filter hook input priority filter; policy accept; }
add rule inet %[1]s input tcp dport %[2]d tcp flags & (syn | ack) == syn counter drop
`, d.table, port)
	if _, err := d.nft(script, "-f", "-"); err != nil {
		return nil, err
	}
	return d, nil
}

// dropCounter is the packet count of the rule's counter in "nft list".
var dropCounter = regexp.MustCompile(`counter packets (\d+) bytes`)

// Dropped is how many SYNs have been dropped so far.
func (d *SYNDrop) Dropped() (uint64, error) {
	out, err := d.nft("", "list", "table", "inet", d.table)
	if err != nil {
		return 0, err
	}
	m := dropCounter.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("netns %s: no counter in nft's listing of %s:\n%s", d.ns.Name, d.table, out)
	}
	return strconv.ParseUint(m[1], 10, 64)
}

// Remove lets SYNs to the port in again. Removing twice does nothing.
func (d *SYNDrop) Remove() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.removed {
		return nil
	}
	if _, err := d.nft("", "delete", "table", "inet", d.table); err != nil {
		return err
	}
	d.removed = true
	return nil
}

// nft runs nft with args inside the namespace, stdin as its input.
func (d *SYNDrop) nft(stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := d.ns.CommandContext(ctx, "nft", args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("netns %s: nft %s (SYNs to port %d): %v: %s", d.ns.Name, strings.Join(args, " "), d.port, err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
