package migrate

import (
	"strconv"
	"strings"
)

// node is one value of the YAML document being built: a mapping that keeps
// its keys in insertion order (so the output reads like
// configs/example.yaml), a sequence or a scalar. Each remembers the
// directive it came from, so a problem found in the output can be reported
// against the input line.
type node struct {
	keys   []string
	vals   []*node
	items  []*node
	scalar any // string, int, bool, or plain (written as is)
	isMap  bool
	isSeq  bool
	at     origin
}

// plain is a scalar written without quotes: durations and addresses.
type plain string

func newMap(at origin) *node { return &node{isMap: true, at: at} }
func newSeq(at origin) *node { return &node{isSeq: true, at: at} }
func newScalar(v any, at origin) *node {
	return &node{scalar: v, at: at}
}

// set adds or replaces key; a later directive overrides an earlier one,
// as keepalived reads them.
func (n *node) set(key string, v any, at origin) *node {
	child, isNode := v.(*node)
	if !isNode {
		child = newScalar(v, at)
	}
	if i := n.index(key); i >= 0 {
		n.vals[i] = child
		return child
	}
	n.keys = append(n.keys, key)
	n.vals = append(n.vals, child)
	return child
}

func (n *node) index(key string) int {
	for i, k := range n.keys {
		if k == key {
			return i
		}
	}
	return -1
}

func (n *node) get(key string) *node {
	if i := n.index(key); i >= 0 {
		return n.vals[i]
	}
	return nil
}

func (n *node) del(key string) {
	if i := n.index(key); i >= 0 {
		n.keys = append(n.keys[:i], n.keys[i+1:]...)
		n.vals = append(n.vals[:i], n.vals[i+1:]...)
	}
}

// child returns the mapping under key, creating it at `at` if missing.
func (n *node) child(key string, at origin) *node {
	if c := n.get(key); c != nil && c.isMap {
		return c
	}
	return n.set(key, newMap(at), at)
}

// list returns the sequence under key, creating it if missing.
func (n *node) list(key string, at origin) *node {
	if c := n.get(key); c != nil && c.isSeq {
		return c
	}
	return n.set(key, newSeq(at), at)
}

func (n *node) push(v any, at origin) *node {
	child, isNode := v.(*node)
	if !isNode {
		child = newScalar(v, at)
	}
	n.items = append(n.items, child)
	return child
}

// equal compares two values, ignoring where they came from.
func (n *node) equal(o *node) bool {
	if n.isMap != o.isMap || n.isSeq != o.isSeq || len(n.keys) != len(o.keys) || len(n.items) != len(o.items) {
		return false
	}
	if !n.isMap && !n.isSeq {
		return n.scalar == o.scalar
	}
	for i, k := range n.keys {
		ov := o.get(k)
		if ov == nil || !n.vals[i].equal(ov) {
			return false
		}
	}
	for i := range n.items {
		if !n.items[i].equal(o.items[i]) {
			return false
		}
	}
	return true
}

// lookup follows a control/config field path ("services[0].check.type")
// as far as the document goes and returns the deepest node reached.
func (n *node) lookup(path string) *node {
	cur := n
	for part := range strings.SplitSeq(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		next := cur.get(name)
		if next == nil {
			return cur
		}
		cur = next
		for rest != "" {
			num, after, _ := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if err != nil || !cur.isSeq || i < 0 || i >= len(cur.items) {
				return cur
			}
			cur = cur.items[i]
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return cur
}

// clone copies n deeply, so services expanded from one virtual_server
// never share a mapping.
func (n *node) clone() *node {
	out := *n
	out.keys = append([]string(nil), n.keys...)
	out.vals = make([]*node, len(n.vals))
	for i, v := range n.vals {
		out.vals[i] = v.clone()
	}
	out.items = make([]*node, len(n.items))
	for i, v := range n.items {
		out.items[i] = v.clone()
	}
	return &out
}
