package migrate

import (
	"slices"
	"strings"
	"time"
)

// checkerTypes maps keepalived's checkers to govs check types.
var checkerTypes = map[string]string{
	"TCP_CHECK": "tcp", "HTTP_GET": "http", "SSL_GET": "https", "UDP_CHECK": "udp",
	"DNS_CHECK": "dns", "PING_CHECK": "ping", "MISC_CHECK": "script",
	"SMTP_CHECK": "", "BFD_CHECK": "", "FILE_CHECK": "",
}

func isChecker(name string) bool { _, ok := checkerTypes[name]; return ok }

// timingKeys are the checker options a virtual_server and a real_server
// may set as defaults of their checkers.
var timingKeys = []string{"delay_loop", "connect_timeout", "retry", "nb_get_retry", "delay_before_retry", "warmup"}

// checkDefaults are the checker options inherited from the virtual and
// real server (keepalived: the virtual server's setting is the default
// for real servers, the real server's for checkers).
type checkDefaults struct {
	host   string
	timing map[string]*stmt
	own    []*stmt
	used   map[*stmt]bool
}

func newCheckDefaults() *checkDefaults {
	return &checkDefaults{timing: map[string]*stmt{}, used: map[*stmt]bool{}}
}

func (d *checkDefaults) inherit() *checkDefaults {
	out := &checkDefaults{host: d.host, timing: map[string]*stmt{}, used: d.used}
	for k, v := range d.timing {
		out.timing[k] = v
	}
	return out
}

// take records a timing option; false when k is none.
func (d *checkDefaults) take(k *stmt) bool {
	if !slices.Contains(timingKeys, k.name) {
		return false
	}
	name := k.name
	if name == "nb_get_retry" {
		name = "retry" // keepalived's old spelling
	}
	d.timing[name] = k
	d.own = append(d.own, k)
	return true
}

// reportUnused reports timing options no checker inherited.
func (d *checkDefaults) reportUnused(ws *warnings) {
	for _, k := range d.own {
		if !d.used[k] {
			ws.add(k.at, "ignored: no checker below it to apply it to")
		}
	}
}

// checker converts one checker block into a govs check, writing out
// keepalived's defaults where they differ from govs's so the result
// behaves the same.
func (c *kconv) checker(k *stmt, inherited *checkDefaults) *node {
	typ := checkerTypes[k.name]
	if typ == "" {
		c.ws.unsupported(k.at, "govs checks are tcp, http, https, udp, dns, ping and script")
		return nil
	}
	d := inherited.inherit()
	chk := newMap(k.at)
	chk.set("type", typ, k.at)
	var own []*stmt
	for _, o := range k.kids {
		if d.take(o) {
			own = append(own, o)
			continue
		}
		c.checkerOption(chk, typ, o, d)
	}
	for _, o := range own {
		d.used[o] = true
	}
	c.checkTiming(chk, typ, d)
	if d.host != "" && (typ == "http" || typ == "https") && chk.get("host") == nil {
		chk.set("host", d.host, k.at)
	}
	if sni := chk.get("tls_sni"); sni != nil && sni.scalar == "" {
		if h := chk.get("host"); h != nil {
			chk.set("tls_sni", h.scalar, sni.at)
		} else {
			chk.del("tls_sni")
			c.ws.add(sni.at, "no virtualhost to send as the server name: nothing to translate (govs sends the host only when one is set)")
		}
	}
	orderKeys(chk, []string{"type", "interval", "timeout", "rise", "fall", "retry_delay", "warmup",
		"connect_address", "connect_port", "source_address", "method", "path", "host", "status", "body_regex", "digest", "tls_sni"})
	return chk
}

// checkTiming writes interval, timeout, fall and retry_delay from the
// inherited and own timing options, or keepalived's defaults.
func (c *kconv) checkTiming(chk *node, typ string, d *checkDefaults) {
	get := func(name string) (*stmt, time.Duration, bool) {
		k := d.timing[name]
		if k == nil {
			return nil, 0, false
		}
		d.used[k] = true
		if !c.needArgs(k, 1) {
			return k, 0, false
		}
		v, err := duration(k.arg(0))
		if err != nil {
			c.ws.add(k.at, "%v: ignored", err)
			return k, 0, false
		}
		return k, v, true
	}
	at := chk.at
	interval := 60 * time.Second // keepalived's delay_loop default
	if k, v, ok := get("delay_loop"); ok {
		interval, at = v, k.at
	}
	chk.set("interval", formatDuration(interval), at)
	switch k, v, ok := get("connect_timeout"); {
	case typ == "script":
		if k != nil {
			c.ws.add(k.at, "ignored: a MISC_CHECK is bounded by misc_timeout")
		}
		if chk.get("timeout") == nil {
			// misc_timeout defaults to delay_loop; govs bounds a check at 1h
			chk.set("timeout", formatDuration(min(interval, time.Hour)), chk.at)
		}
	case ok:
		chk.set("timeout", formatDuration(v), k.at)
	default:
		chk.set("timeout", formatDuration(5*time.Second), chk.at) // keepalived's default
	}
	retry := 1 // keepalived's default, but for DNS_CHECK and MISC_CHECK
	switch typ {
	case "dns":
		retry = 3
	case "script":
		retry = 0
	}
	if k := d.timing["retry"]; k != nil {
		d.used[k] = true
		if n, ok := c.intArg(k, 0, 0, 999); ok {
			retry = n
		}
	}
	if retry != 1 {
		chk.set("fall", retry+1, chk.at)
	}
	retryDelay := time.Second
	switch typ {
	case "http", "https":
		retryDelay = 3 * time.Second
	case "dns":
		retryDelay = interval
	}
	rdAt := chk.at
	if k, v, ok := get("delay_before_retry"); ok {
		retryDelay, rdAt = v, k.at
	}
	if retryDelay != min(time.Second, interval) && retry > 0 {
		chk.set("retry_delay", formatDuration(retryDelay), rdAt)
	}
	if k, v, ok := get("warmup"); ok && v != interval {
		chk.set("warmup", formatDuration(v), k.at)
	}
}

// checkerOption converts one option inside a checker block.
func (c *kconv) checkerOption(chk *node, typ string, o *stmt, d *checkDefaults) {
	switch {
	case o.name == "connect_ip" && typ != "script":
		c.word(chk, "connect_address", o, asPlain)
	case o.name == "connect_port" && typ != "script" && typ != "ping":
		if n, ok := c.intArg(o, 0, 1, 65535); ok {
			chk.set("connect_port", n, o.at)
		}
	case o.name == "bindto" && typ != "script":
		c.word(chk, "source_address", o, asPlain)
	case o.name == "bind_port", o.name == "bind_if", o.name == "fwmark":
		c.ws.unsupported(o.at, "checks leave from the port's kernel interface with any source port and no mark")
	case o.name == "alpha":
		c.ws.unsupported(o.at, "alpha is a service option in govs (alpha: true on the service)")
	case o.name == "log_all_failures":
		c.ws.unsupported(o.at, "every result is counted in govs_health_checks_total; govsctl checks shows the last error")
	case o.name == "virtualhost" && (typ == "http" || typ == "https"):
		c.word(chk, "host", o, asString)
	case o.name == "url" && (typ == "http" || typ == "https"):
		c.url(chk, o)
	case o.name == "http_protocol" && (typ == "http" || typ == "https"):
		c.ws.unsupported(o.at, "not needed: govs always sends HTTP/1.1 with Connection: close")
	case o.name == "enable_sni" && typ == "https":
		chk.set("tls_sni", "", o.at) // the host, resolved once the checker is read
	case o.name == "fast_recovery" && (typ == "http" || typ == "https"):
		c.ws.unsupported(o.at, "one url per check: nothing to speed up")
	case o.name == "type" && typ == "dns":
		c.word(chk, "query_type", o, asUpper)
	case o.name == "name" && typ == "dns":
		c.word(chk, "query_name", o, asString)
	case o.name == "misc_path" && typ == "script":
		if cmd, ok := c.script(o); ok {
			chk.set("command", cmd, o.at)
		}
	case o.name == "misc_timeout" && typ == "script":
		if v, ok := c.secondsArg(o); ok {
			chk.set("timeout", v, o.at)
		}
	case o.name == "misc_dynamic" && typ == "script":
		chk.set("dynamic", true, o.at)
	case o.name == "user" && typ == "script":
		c.ws.unsupported(o.at, "commands run as govsd's user")
	case o.name == "payload" && typ == "udp":
		if c.needArgs(o, 1) {
			chk.set("payload_hex", normalizeHex(o.args), o.at)
		}
	case o.name == "require_reply" && typ == "udp":
		chk.set("require_reply", true, o.at)
		if len(o.args) > 0 {
			c.ws.unsupported(o.at, "the reply's content is not compared: any reply is up")
		}
	case (o.name == "min_reply_length" || o.name == "max_reply_length") && typ == "udp":
		c.ws.unsupported(o.at, "the reply's length is not checked")
	default:
		c.ws.unsupported(o.at, "not an option of "+typ+" checks in govs")
	}
}

// url converts the first url block of an HTTP_GET or SSL_GET; govs
// checks one url.
func (c *kconv) url(chk *node, u *stmt) {
	if chk.get("path") != nil || chk.get("status") != nil || chk.get("digest") != nil {
		c.ws.unsupported(u.at, "govs checks one url per real server; this one is not converted")
		return
	}
	for _, o := range u.kids {
		switch o.name {
		case "path", "digest":
			c.word(chk, o.name, o, asString)
		case "status_code":
			if c.needArgs(o, 1) {
				seq := chk.list("status", o.at)
				for _, a := range o.args {
					if n, err := integer(a, 0, 999); err == nil {
						seq.push(n, o.at)
					} else {
						seq.push(a, o.at)
					}
				}
			}
		case "regex":
			if c.needArgs(o, 1) {
				chk.set("body_regex", strings.Join(o.args, " "), o.at)
			}
		case "virtualhost":
			c.word(chk, "host", o, asString)
		case "regex_no_match", "regex_options", "regex_stack", "regex_min_offset", "regex_max_offset":
			c.ws.unsupported(o.at, "body_regex must match (RE2; use flags such as (?i) instead of options)")
		default:
			c.ws.unsupported(o.at, "not an option of a url")
		}
	}
}

// normalizeHex writes keepalived's free-form hex (groups of any length,
// "Ab12f 3" is AB 12 0F 03) as the bytes govs's payload_hex reads.
func normalizeHex(groups []string) string {
	var out []string
	for _, g := range groups {
		for len(g) > 2 {
			out = append(out, strings.ToLower(g[:2]))
			g = g[2:]
		}
		if len(g) == 1 {
			g = "0" + g
		}
		if g != "" {
			out = append(out, strings.ToLower(g))
		}
	}
	return strings.Join(out, " ")
}
