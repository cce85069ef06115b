package migrate

import (
	"fmt"
	"slices"
	"strings"
)

// ConvertKeepalived converts keepalived.conf read from name: its
// virtual_server blocks into services and its vrrp_* blocks into vrrp.
// files resolves include; nil reports each include as unsupported (input
// from a pipe has no directory to resolve them against).
func ConvertKeepalived(name string, data []byte, files Files) (*Result, error) {
	c := &kconv{doc: newMap(origin{file: name}), groups: map[string]*stmt{}}
	lx := lexer{files: files, ws: &c.ws}
	if err := lx.file(name, data, 0); err != nil {
		return nil, err
	}
	top, err := parseStatements(lx.toks)
	if err != nil {
		return nil, err
	}
	// Groups and global defaults first: a virtual_server may name a group
	// defined after it, and vrrp_version applies to every instance.
	for _, s := range top {
		switch s.name {
		case "virtual_server_group":
			if c.needArgs(s, 1) {
				c.groups[s.arg(0)] = s
			}
		case "global_defs":
			c.globalDefs(s)
		}
	}
	for _, s := range top {
		c.topLevel(s)
	}
	c.orderVRRP()
	header := fmt.Sprintf("govs configuration converted from %s by govsctl import keepalived.\nAdd the eal: and ports: sections (configs/example.yaml); VRRP ports are named after the interfaces.", name)
	return finish(c.doc, &c.ws, lx.read, header), nil
}

// kconv holds one keepalived conversion.
type kconv struct {
	doc         *node
	ws          warnings
	groups      map[string]*stmt
	vrrpVersion int // global_defs vrrp_version; 0: keepalived's default
	expanded    int // services made from group members so far
}

func (c *kconv) topLevel(s *stmt) {
	switch s.name {
	case "global_defs", "virtual_server_group":
		// read before the rest
	case "virtual_server":
		c.virtualServer(s)
	case "vrrp_instance":
		c.vrrpInstance(s)
	case "vrrp_sync_group":
		c.vrrpSyncGroup(s)
	case "vrrp_script":
		c.vrrpScript(s)
	case "static_ipaddress", "static_routes", "static_rules":
		c.ws.unsupported(s.at, "govs does not configure the director's own addresses and routes; the ports section holds them")
	case "SSL":
		c.ws.unsupported(s.at, "https checks verify against the system roots (tls_verify); client certificates are not supported")
	default:
		c.ws.unsupported(s.at, "not a keepalived block govs translates")
	}
}

func (c *kconv) globalDefs(s *stmt) {
	for _, k := range s.kids {
		switch k.name {
		case "vrrp_version":
			if n, ok := c.intArg(k, 0, 2, 3); ok {
				c.vrrpVersion = n
			}
		case "router_id", "lvs_id":
			// a name for notifications: govs has none, so nothing changes
			c.ws.unsupported(k.at, "govs sends no e-mail and needs no router name")
		case "script_user", "enable_script_security":
			c.ws.unsupported(k.at, "commands run as govsd's user")
		default:
			c.ws.unsupported(k.at, "global_defs have no govs equivalent")
		}
	}
}

// needArgs reports a directive with fewer than n arguments.
func (c *kconv) needArgs(s *stmt, n int) bool {
	if len(s.args) < n {
		c.ws.add(s.at, "needs %d argument(s), has %d: ignored", n, len(s.args))
		return false
	}
	return true
}

func (c *kconv) intArg(s *stmt, i, min, max int) (int, bool) {
	if !c.needArgs(s, i+1) {
		return 0, false
	}
	n, err := integer(s.args[i], min, max)
	if err != nil {
		c.ws.add(s.at, "%v: ignored", err)
		return 0, false
	}
	return n, true
}

func (c *kconv) secondsArg(s *stmt) (plain, bool) {
	if !c.needArgs(s, 1) {
		return "", false
	}
	d, err := seconds(s.args[0])
	if err != nil {
		c.ws.add(s.at, "%v: ignored", err)
		return "", false
	}
	return d, true
}

// boolArg reads keepalived's optional boolean: no argument is true.
func (c *kconv) boolArg(s *stmt) (bool, bool) {
	switch strings.ToLower(s.arg(0)) {
	case "", "true", "on", "yes":
		return true, true
	case "false", "off", "no":
		return false, true
	}
	c.ws.add(s.at, "%q is not a boolean: ignored", s.arg(0))
	return false, false
}

// word sets key of n to k's first argument, converted by as.
func (c *kconv) word(n *node, key string, k *stmt, as func(string) any) {
	if c.needArgs(k, 1) {
		n.set(key, as(k.arg(0)), k.at)
	}
}

func asString(s string) any { return s }
func asPlain(s string) any  { return plain(s) }
func asLower(s string) any  { return strings.ToLower(s) }
func asUpper(s string) any  { return strings.ToUpper(s) }

// script reads a command written <STRING>|<QUOTED-STRING>: the whole
// line for a checker's or vrrp_script's command.
func (c *kconv) script(s *stmt) (string, bool) {
	if !c.needArgs(s, 1) {
		return "", false
	}
	return strings.Join(s.args, " "), true
}

// notifyCommand reads notify_* and quorum_*: the command is one word (quote
// it to have arguments) and the words after it keepalived's
// [username [groupname]].
func (c *kconv) notifyCommand(s *stmt) (string, bool) {
	if !c.needArgs(s, 1) {
		return "", false
	}
	if len(s.args) > 1 {
		c.ws.add(s.at, "user %s: unsupported (commands run as govsd's user; quote the command if these were its arguments)", strings.Join(s.args[1:], " "))
	}
	return s.args[0], true
}

// orderKeys puts a mapping's keys in the order of configs/example.yaml;
// keys not listed keep their order, after the listed ones.
func orderKeys(n *node, order []string) {
	var keys []string
	var vals []*node
	for _, k := range order {
		if v := n.get(k); v != nil {
			keys = append(keys, k)
			vals = append(vals, v)
		}
	}
	for i, k := range n.keys {
		if !slices.Contains(order, k) {
			keys = append(keys, k)
			vals = append(vals, n.vals[i])
		}
	}
	n.keys, n.vals = keys, vals
}
