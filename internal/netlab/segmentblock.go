package netlab

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// SegmentBlock makes a switch's bridge drop every IPv4 packet of one
// protocol between its ports, all else passing: with protocol 112 it
// partitions a segment's VRRP routers from each other while the hosts
// still reach each of them (each then believes it is the only router). It
// is an nftables table of its own (bridge family) in the switch's
// namespace.
type SegmentBlock struct {
	ns    *NS
	table string

	mu      sync.Mutex
	removed bool
}

// BlockIPProtocol starts dropping protocol proto (1..255) on sw's bridge.
// Blocking the same protocol twice on one switch is an error; Remove
// undoes it.
func BlockIPProtocol(sw *Switch, proto int) (*SegmentBlock, error) {
	if proto < 1 || proto > 255 {
		return nil, fmt.Errorf("BlockIPProtocol: protocol %d is not in 1..255", proto)
	}
	if why := MissingNft(); why != "" {
		return nil, fmt.Errorf("BlockIPProtocol: %s", why)
	}
	b := &SegmentBlock{ns: sw.NS, table: "netlab_block_" + strconv.Itoa(proto)}
	script := fmt.Sprintf(`create table bridge %[1]s
add chain bridge %[1]s forward { type filter hook forward priority filter; policy accept; }
add rule bridge %[1]s forward ether type ip ip protocol %[2]d counter drop
`, b.table, proto)
	if _, err := nftIn(sw.NS, script, "-f", "-"); err != nil {
		return nil, err
	}
	return b, nil
}

// Dropped is how many packets the block has dropped so far.
func (b *SegmentBlock) Dropped() (uint64, error) {
	out, err := nftIn(b.ns, "", "list", "table", "bridge", b.table)
	if err != nil {
		return 0, err
	}
	m := dropCounter.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("netns %s: no counter in nft's listing of %s:\n%s", b.ns.Name, b.table, out)
	}
	return strconv.ParseUint(m[1], 10, 64)
}

// Remove lets the protocol through again. Removing twice does nothing.
func (b *SegmentBlock) Remove() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.removed {
		return nil
	}
	if _, err := nftIn(b.ns, "", "delete", "table", "bridge", b.table); err != nil {
		return err
	}
	b.removed = true
	return nil
}

// nftIn runs nft with args inside ns, stdin as its input.
func nftIn(ns *NS, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := ns.CommandContext(ctx, "nft", args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("netns %s: nft %s: %v: %s", ns.Name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
