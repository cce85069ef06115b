package migrate

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// ConvertIpvsadm converts `ipvsadm -Sn` output (ipvsadm-restore input:
// one -A line per service, one -a line per real server) read from name.
func ConvertIpvsadm(name string, data []byte) (*Result, error) {
	c := ipvsadmConverter{file: name, doc: newMap(origin{file: name}), byKey: map[string]*node{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if err := c.rule(line, fields); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &SyntaxError{File: name, Msg: err.Error()}
	}
	return finish(c.doc, &c.ws, []string{name}, fmt.Sprintf("govs services converted from ipvsadm rules (%s) by govsctl import ipvsadm.\nAdd the eal: and ports: sections (configs/example.yaml).", name)), nil
}

// finish checks the document against govs's loader and renders it. The
// warnings are sorted by file (in the order files were read) and line.
func finish(doc *node, ws *warnings, files []string, header string) *Result {
	notYetSupported(doc, ws)
	out := dedupe(*ws)
	rank := func(f string) int {
		if i := slices.Index(files, f); i >= 0 {
			return i
		}
		return len(files)
	}
	slices.SortStableFunc(out, func(a, b Warning) int {
		if d := rank(a.File) - rank(b.File); d != 0 {
			return d
		}
		return a.Line - b.Line
	})
	return &Result{YAML: render(doc, header), Warnings: out}
}

// dedupe keeps the first warning of each directive: a loader problem of a
// field whose directive was already reported says nothing new.
func dedupe(ws []Warning) []Warning {
	seen := map[string]bool{}
	var out []Warning
	for _, w := range ws {
		key := fmt.Sprintf("%s:%d:%s", w.File, w.Line, w.Directive)
		if seen[key] && strings.HasPrefix(w.Msg, "not yet supported by govs") {
			continue
		}
		seen[key] = true
		out = append(out, w)
	}
	return out
}

type ipvsadmConverter struct {
	file  string
	doc   *node
	byKey map[string]*node // "tcp 10.0.0.1:80", "fwmark 1" -> its service
	ws    warnings
}

// rule handles one line of ipvsadm options.
func (c *ipvsadmConverter) rule(line int, fields []string) error {
	opts, err := parseIpvsadmOptions(fields)
	if err != nil {
		return &SyntaxError{File: c.file, Line: line, Msg: err.Error()}
	}
	at := func(o ipvsadmOpt) origin { return origin{file: c.file, line: line, directive: o.flag} }
	cmd := opts.command
	switch cmd.name {
	case "add-service", "edit-service":
		return c.service(line, opts, at)
	case "add-server", "edit-server":
		return c.server(line, opts, at)
	case "clear":
		return nil // restore files start with -C; the new configuration is the whole state anyway
	case "":
		return &SyntaxError{File: c.file, Line: line, Msg: "no command (-A, -a or -C) in this rule"}
	}
	c.ws.unsupported(at(cmd), "only rules that add services and servers describe a configuration")
	return nil
}

func (c *ipvsadmConverter) service(line int, opts *ipvsadmOptions, at func(ipvsadmOpt) origin) error {
	key, svc, err := c.serviceSpec(line, opts, at)
	if err != nil {
		return err
	}
	if _, dup := c.byKey[key]; dup && opts.command.name == "add-service" {
		return &SyntaxError{File: c.file, Line: line, Msg: fmt.Sprintf("service %s is already defined", key)}
	}
	if old, ok := c.byKey[key]; ok {
		svc = old // -E changes the options of a service, keeping its servers
	} else {
		if svc.get("fwmark") != nil {
			c.ws.unsupported(svc.at, "govs has no firewall-mark services: write one service per VIP and port (with the same persistence, when persistence is what the mark was for)")
		}
		c.doc.list("services", svc.at).push(svc, svc.at)
		c.byKey[key] = svc
		svc.set("scheduler", "wlc", svc.at) // ipvsadm's default, explicit
	}
	for _, o := range opts.rest {
		switch o.name {
		case "scheduler":
			svc.set("scheduler", o.value, at(o))
		case "persistent":
			t := plain("300s") // ipvsadm's default timeout
			if o.value != "" {
				if t, err = seconds(o.value); err != nil {
					return &SyntaxError{File: c.file, Line: line, Msg: fmt.Sprintf("%s: %v", o.flag, err)}
				}
			}
			svc.set("persistence_timeout", t, at(o))
		case "netmask":
			svc.set("persistence_granularity", plain(o.value), at(o))
		case "sched-flags":
			flags := svc.list("scheduler_flags", at(o))
			for f := range strings.SplitSeq(o.value, ",") {
				flags.push(schedFlag(f, svc), at(o))
			}
		case "ops":
			svc.set("one_packet", true, at(o))
		case "pe":
			c.ws.unsupported(at(o), "persistence engines (sip) are not implemented")
		default:
			c.ws.unsupported(at(o), "not an option of a service")
		}
	}
	orderKeys(svc, serviceKeys)
	return nil
}

// schedFlag names ipvsadm's generic flag-N after the scheduler's flag.
func schedFlag(f string, svc *node) string {
	sched, _ := svc.get("scheduler").scalar.(string)
	switch f {
	case "flag-1":
		return sched + "-fallback"
	case "flag-2":
		return sched + "-port"
	}
	return f
}

// serviceSpec reads -t/-u/--sctp-service/-f into the service's key and a
// new mapping holding its address.
func (c *ipvsadmConverter) serviceSpec(line int, opts *ipvsadmOptions, at func(ipvsadmOpt) origin) (string, *node, error) {
	o := opts.service
	if o.name == "" {
		return "", nil, &SyntaxError{File: c.file, Line: line, Msg: "no service (-t, -u or -f) in this rule"}
	}
	svc := newMap(at(o))
	if o.name == "fwmark-service" {
		mark, err := integer(o.value, 1, 1<<32-1)
		if err != nil {
			return "", nil, &SyntaxError{File: c.file, Line: line, Msg: fmt.Sprintf("%s: %v", o.flag, err)}
		}
		svc.set("fwmark", mark, at(o))
		return fmt.Sprintf("fwmark %d", mark), svc, nil
	}
	ap, err := parseAddrPort(o.value, false)
	if err != nil {
		return "", nil, &SyntaxError{File: c.file, Line: line, Msg: fmt.Sprintf("%s: %v", o.flag, err)}
	}
	proto := strings.TrimSuffix(o.name, "-service")
	svc.set("vip", plain(ap.Addr().String()), at(o))
	svc.set("protocol", proto, at(o))
	svc.set("port", int(ap.Port()), at(o))
	return proto + " " + ap.String(), svc, nil
}

func (c *ipvsadmConverter) server(line int, opts *ipvsadmOptions, at func(ipvsadmOpt) origin) error {
	key, _, err := c.serviceSpec(line, opts, at)
	if err != nil {
		return err
	}
	svc, ok := c.byKey[key]
	if !ok {
		return &SyntaxError{File: c.file, Line: line, Msg: fmt.Sprintf("service %s is not defined by an earlier -A", key)}
	}
	var rs *node
	method := "dr" // ipvsadm's default forwarding method is gatewaying
	for _, o := range opts.rest {
		switch o.name {
		case "real-server":
			ap, err := parseAddrPort(o.value, true)
			if err != nil {
				return &SyntaxError{File: c.file, Line: line, Msg: fmt.Sprintf("%s: %v", o.flag, err)}
			}
			rs = newMap(at(o))
			rs.set("address", plain(ap.Addr().String()), at(o))
			port := int(ap.Port())
			if port == 0 && svc.get("port") != nil && !strings.Contains(o.value, ":") {
				port, _ = svc.get("port").scalar.(int) // no port: the service's, as ipvsadm
			}
			rs.set("port", port, at(o))
		}
	}
	if rs == nil {
		return &SyntaxError{File: c.file, Line: line, Msg: "no real server (-r) in this rule"}
	}
	rs.set("weight", 1, rs.at)
	rs.set("method", method, rs.at)
	for _, o := range opts.rest {
		switch o.name {
		case "real-server":
		case "gatewaying":
			rs.set("method", "dr", at(o))
		case "ipip":
			rs.set("method", "tun", at(o))
		case "masquerading":
			rs.set("method", "nat", at(o))
		case "weight", "u-threshold", "l-threshold":
			n, err := integer(o.value, 0, 1<<31-1)
			if err != nil {
				return &SyntaxError{File: c.file, Line: line, Msg: fmt.Sprintf("%s: %v", o.flag, err)}
			}
			rs.set(map[string]string{"weight": "weight", "u-threshold": "upper_threshold", "l-threshold": "lower_threshold"}[o.name], n, at(o))
		case "tun-type", "tun-port", "tun-nocsum", "tun-csum", "tun-remcsum":
			c.ws.unsupported(at(o), "govs tunnels are IPIP only")
		default:
			c.ws.unsupported(at(o), "not an option of a real server")
		}
	}
	orderKeys(rs, serverKeys)
	addServer(svc, rs, opts.command.name == "edit-server")
	return nil
}

// addServer appends rs; with replace (-e) it takes the place of the server
// of the same address and port.
func addServer(svc, rs *node, replace bool) {
	list := svc.list("real_servers", rs.at)
	for i, old := range list.items {
		if replace && old.get("address").equal(rs.get("address")) && old.get("port").equal(rs.get("port")) {
			list.items[i] = rs
			return
		}
	}
	list.push(rs, rs.at)
}
