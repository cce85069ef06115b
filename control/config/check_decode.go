package config

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A check is decoded from its raw mapping, after a real server's keys have
// been merged over its service's (mergeCheckMaps): presence of a key is
// what the merge and the derived defaults need, and the raw mapping has it.

// rawCheck returns the mapping under key "check" of o, reporting a value
// that is not a mapping; nil when absent.
func rawCheck(o *object) (string, map[string]any) {
	path, v, ok := o.get("check")
	if !ok {
		return path, nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		o.p.add(path, "must be a mapping, got %s", describe(v))
		return path, nil
	}
	return path, m
}

// mergeCheckMaps lays a real server's check keys over its service's. A
// server that names another type keeps only the service's generic keys
// that type takes (timing, and addresses but for a script, a port but for
// ping): an http path means nothing to a tcp check.
func mergeCheckMaps(service, server map[string]any) map[string]any {
	out := make(map[string]any, len(service)+len(server))
	st, hasType := server["type"]
	sameType := !hasType || st == service["type"]
	for k, v := range service {
		if sameType || isGenericCheckKey(k) && takesKey(st, k) {
			out[k] = v
		}
	}
	for k, v := range server {
		out[k] = v
	}
	return out
}

// takesKey reports whether a check of type t accepts generic key k.
func takesKey(t any, k string) bool {
	switch t {
	case string(CheckScript):
		return !slices.Contains(addressKeys, k)
	case string(CheckPing):
		return k != "connect_port"
	}
	return true
}

func isGenericCheckKey(k string) bool {
	if k == "type" {
		return false
	}
	for _, keys := range [][]string{httpKeys, udpKeys, dnsKeys, scriptKeys} {
		if slices.Contains(keys, k) {
			return false
		}
	}
	return true
}

// decodeCheck decodes a check mapping at path; nil for type none or when
// the type itself is missing or unknown (nothing else can be judged then).
func decodeCheck(p *problems, path string, raw map[string]any) *Check {
	o := newObject(p, path, raw)
	tpath, v, ok := o.get("type")
	names := make([]string, len(checkTypes))
	for i, t := range checkTypes {
		names[i] = string(t)
	}
	if !ok {
		p.add(tpath, "required: one of %s", strings.Join(names, ", "))
		return nil
	}
	s, _ := v.(string)
	t := CheckType(s)
	if !slices.Contains(checkTypes, t) {
		p.add(tpath, "must be one of %s, got %s", strings.Join(names, ", "), quoteValue(v))
		return nil
	}
	if t == CheckNone {
		for k := range raw {
			if k != "type" {
				p.add(join(path, k), "a check of type none takes no other keys")
			}
		}
		return nil
	}

	c := defaultCheck(t)
	o.duration("interval", &c.Interval)
	o.duration("timeout", &c.Timeout)
	o.duration("retry_delay", &c.RetryDelay)
	o.duration("warmup", &c.Warmup)
	o.int("rise", &c.Rise, 1, maxRiseFall)
	o.int("fall", &c.Fall, 1, maxRiseFall)
	if t == CheckScript {
		refuseKeys(o, addressKeys, "a script check connects nowhere; it is given GOVS_SERVER instead")
	} else {
		o.addr("connect_address", &c.ConnectAddress)
		if t == CheckPing {
			refuseKeys(o, []string{"connect_port"}, "ping has no port")
		} else {
			o.uint16("connect_port", &c.ConnectPort, 1, 65535)
		}
		o.addr("source_address", &c.SourceAddress)
	}

	own := typeKeys(t)
	for _, group := range []struct {
		keys  []string
		types string
	}{{httpKeys, "http or https"}, {udpKeys, "udp"}, {dnsKeys, "dns"}, {scriptKeys, "script"}} {
		if !slices.Equal(group.keys, own) {
			refuseKeys(o, group.keys, fmt.Sprintf("only for type %s, this check is %s", group.types, t))
		}
	}
	switch t {
	case CheckHTTP, CheckHTTPS:
		decodeHTTPCheck(o, &c)
	case CheckUDP:
		decodeUDPCheck(o, &c.UDP)
	case CheckDNS:
		o.str("query_name", &c.DNS.Name)
		o.str("query_type", &c.DNS.Type)
		c.DNS.Type = strings.ToUpper(c.DNS.Type)
		o.boolean("require_answer", &c.DNS.RequireAnswer)
	case CheckScript:
		o.str("command", &c.Script.Command)
		o.boolean("dynamic", &c.Script.Dynamic)
	}
	o.close()
	resolveCheckDefaults(&c, func(k string) bool { _, set := raw[k]; return set })
	return &c
}

// refuseKeys reports each of keys present in raw with why, marking them
// known so close does not call them unknown as well.
func refuseKeys(o *object, keys []string, why string) {
	for _, k := range keys {
		if path, _, ok := o.get(k); ok {
			o.p.add(path, "%s", why)
		}
	}
}

func decodeHTTPCheck(o *object, c *Check) {
	h := &c.HTTP
	o.str("method", &h.Method)
	o.str("path", &h.Path)
	o.str("host", &h.Host)
	if path, v, ok := o.get("status"); ok {
		if ranges, good := parseStatusList(o.p, path, v); good {
			h.Status = ranges
		}
	}
	o.str("body_regex", &h.BodyRegex)
	if o.str("digest", &h.Digest) {
		h.Digest = strings.ToLower(h.Digest)
	}
	if c.Type == CheckHTTPS {
		o.str("tls_sni", &h.TLSSNI)
		o.boolean("tls_verify", &h.TLSVerify)
	} else {
		refuseKeys(o, []string{"tls_sni", "tls_verify"}, "only for type https, this check is http")
	}
}

// parseStatusList reads codes and ranges: a list of 200 or "200-299", or
// keepalived's one string "200-299 404".
func parseStatusList(p *problems, path string, v any) ([]StatusRange, bool) {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case string:
		for f := range strings.FieldsSeq(x) {
			items = append(items, f)
		}
	default:
		items = []any{v}
	}
	if len(items) == 0 {
		p.add(path, "must list at least one status code or range like 200-299")
		return nil, false
	}
	out := make([]StatusRange, 0, len(items))
	good := true
	for i, it := range items {
		r, err := parseStatusItem(it)
		if err != nil {
			ipath := path
			if _, isList := v.([]any); isList {
				ipath = idx(path, i)
			}
			p.add(ipath, "%s is not a status code like 200 or a range like 200-299", quoteValue(it))
			good = false
			continue
		}
		out = append(out, r)
	}
	return out, good
}

func parseStatusItem(v any) (StatusRange, error) {
	if n, isInt := toInt64(v); isInt {
		return StatusRange{int(n), int(n)}, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return StatusRange{}, fmt.Errorf("not a code")
	}
	lo, hi, isRange := strings.Cut(strings.TrimSpace(s), "-")
	a, err := strconv.Atoi(lo)
	if err != nil {
		return StatusRange{}, err
	}
	b := a
	if isRange {
		if b, err = strconv.Atoi(hi); err != nil {
			return StatusRange{}, err
		}
	}
	return StatusRange{a, b}, nil
}

func decodeUDPCheck(o *object, u *UDPCheck) {
	var text, hexText string
	hasText := o.str("payload", &text)
	if o.str("payload_hex", &hexText) {
		// keepalived writes hex with spaces between groups; so may we.
		b, err := hex.DecodeString(strings.Join(strings.Fields(hexText), ""))
		switch {
		case hasText:
			o.p.add(join(o.path, "payload_hex"), "payload and payload_hex are exclusive; set one")
		case err != nil:
			o.p.add(join(o.path, "payload_hex"), "%q is not hex bytes like \"01 02 ff\"", hexText)
		default:
			u.Payload = b
		}
	}
	if hasText {
		u.Payload = []byte(text)
	}
	o.boolean("require_reply", &u.RequireReply)
}

// decodeServiceCheck decodes a service's check; its problems are returned
// too, so its real servers' merged checks do not report them again.
func decodeServiceCheck(o *object) (map[string]any, *Check, problems) {
	path, raw := rawCheck(o)
	if raw == nil {
		return nil, nil, nil
	}
	var own problems
	c := decodeCheck(&own, path, raw)
	*o.p = append(*o.p, own...)
	return raw, c, own
}

// decodeServerCheck decodes a real server's check merged over its
// service's; a problem that came with an inherited key is left to the
// service's report.
func decodeServerCheck(o *object, svcPath string, svcRaw map[string]any, svcCheck *Check, svcProblems problems) *Check {
	path, raw := rawCheck(o)
	if raw == nil {
		return cloneCheck(svcCheck)
	}
	merged := raw
	if raw["type"] != string(CheckNone) { // opting out inherits nothing
		merged = mergeCheckMaps(svcRaw, raw)
	}
	var own problems
	c := decodeCheck(&own, path, merged)
	addUninherited(o.p, own, path, svcProblems, svcPath)
	return c
}

// addUninherited adds the problems of a real server's check (under path)
// except those its service's check (under svcPath) already reported for
// the same field with the same message.
func addUninherited(p *problems, own problems, path string, inherited problems, svcPath string) {
	for _, fe := range own {
		rel := strings.TrimPrefix(fe.Path, path)
		dup := slices.ContainsFunc(inherited, func(s *FieldError) bool {
			return strings.TrimPrefix(s.Path, svcPath) == rel && s.Msg == fe.Msg
		})
		if !dup {
			*p = append(*p, fe)
		}
	}
}

// cloneCheck copies a check so servers never share its slices.
func cloneCheck(c *Check) *Check {
	if c == nil {
		return nil
	}
	out := *c
	out.HTTP.Status = slices.Clone(c.HTTP.Status)
	out.UDP.Payload = slices.Clone(c.UDP.Payload)
	return &out
}
