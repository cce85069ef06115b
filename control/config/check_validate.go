package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Check limits, shared by decoding and Validate.
const (
	maxRiseFall      = 1000
	minCheckInterval = 50 * time.Millisecond
	maxCheckInterval = 24 * time.Hour
	minCheckTimeout  = time.Millisecond
	maxCheckTimeout  = time.Hour
	maxCheckDelay    = 24 * time.Hour // retry_delay, warmup
	maxUDPPayload    = 65507          // the most an IPv4 UDP datagram carries
)

var (
	httpMethod = regexp.MustCompile(`^[A-Z]{1,20}$`)
	hexDigest  = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
	dnsLabel   = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$`)
)

// validateCheck checks one check (a service's or a server's merged one)
// at path.
func validateCheck(p *problems, path string, c *Check) {
	if !slices.Contains(checkTypes, c.Type) || c.Type == CheckNone {
		p.add(path+".type", "must be one of tcp, http, https, udp, dns, ping, script, got %q (an unchecked server has no Check)", c.Type)
		return
	}
	checkDuration(p, path+".interval", c.Interval, minCheckInterval, maxCheckInterval)
	checkDuration(p, path+".timeout", c.Timeout, minCheckTimeout, maxCheckTimeout)
	checkDuration(p, path+".retry_delay", c.RetryDelay, 0, maxCheckDelay)
	checkDuration(p, path+".warmup", c.Warmup, 0, maxCheckDelay)
	checkInt(p, path+".rise", c.Rise, 1, maxRiseFall)
	checkInt(p, path+".fall", c.Fall, 1, maxRiseFall)
	for _, a := range []struct {
		key string
		set bool
		v4  bool
	}{
		{"connect_address", c.ConnectAddress.IsValid(), c.ConnectAddress.Is4()},
		{"source_address", c.SourceAddress.IsValid(), c.SourceAddress.Is4()},
	} {
		switch {
		case a.set && c.Type == CheckScript:
			p.add(path+"."+a.key, "a script check connects nowhere; it is given GOVS_SERVER instead")
		case a.set && !a.v4:
			p.add(path+"."+a.key, "must be an IPv4 address")
		}
	}
	if c.ConnectPort != 0 && (c.Type == CheckScript || c.Type == CheckPing) {
		p.add(path+".connect_port", "a %s check has no port", c.Type)
	}
	validateCheckGroups(p, path, c)
}

// validateCheckGroups refuses settings of another type's group, then
// checks the group of c's own type.
func validateCheckGroups(p *problems, path string, c *Check) {
	h := c.HTTP
	for _, f := range []struct {
		set   bool
		key   string
		types []CheckType
	}{
		{h.Method != "", "method", []CheckType{CheckHTTP, CheckHTTPS}},
		{h.Path != "", "path", []CheckType{CheckHTTP, CheckHTTPS}},
		{h.Host != "", "host", []CheckType{CheckHTTP, CheckHTTPS}},
		{len(h.Status) > 0, "status", []CheckType{CheckHTTP, CheckHTTPS}},
		{h.BodyRegex != "", "body_regex", []CheckType{CheckHTTP, CheckHTTPS}},
		{h.Digest != "", "digest", []CheckType{CheckHTTP, CheckHTTPS}},
		{h.TLSSNI != "", "tls_sni", []CheckType{CheckHTTPS}},
		{h.TLSVerify, "tls_verify", []CheckType{CheckHTTPS}},
		{len(c.UDP.Payload) > 0, "payload", []CheckType{CheckUDP}},
		{c.UDP.RequireReply, "require_reply", []CheckType{CheckUDP}},
		{c.DNS.Name != "", "query_name", []CheckType{CheckDNS}},
		{c.DNS.Type != "", "query_type", []CheckType{CheckDNS}},
		{c.DNS.RequireAnswer, "require_answer", []CheckType{CheckDNS}},
		{c.Script.Command != "", "command", []CheckType{CheckScript}},
		{c.Script.Dynamic, "dynamic", []CheckType{CheckScript}},
	} {
		if f.set && !slices.Contains(f.types, c.Type) {
			names := make([]string, len(f.types))
			for i, t := range f.types {
				names[i] = string(t)
			}
			p.add(path+"."+f.key, "only for type %s, this check is %s", strings.Join(names, " or "), c.Type)
		}
	}

	switch c.Type {
	case CheckHTTP, CheckHTTPS:
		validateHTTPCheck(p, path, h)
	case CheckUDP:
		if n := len(c.UDP.Payload); n > maxUDPPayload {
			p.add(path+".payload", "is %d bytes, more than the %d a UDP datagram carries", n, maxUDPPayload)
		}
	case CheckDNS:
		if err := checkDNSName(c.DNS.Name); err != nil {
			p.add(path+".query_name", "%q %v", c.DNS.Name, err)
		}
		if !slices.Contains(dnsTypes, c.DNS.Type) {
			p.add(path+".query_type", "must be one of %s, got %q", strings.Join(dnsTypes, ", "), c.DNS.Type)
		}
	case CheckScript:
		if strings.TrimSpace(c.Script.Command) == "" {
			p.add(path+".command", "required: a script check runs a command (with /bin/sh -c)")
		}
	}
}

func validateHTTPCheck(p *problems, path string, h HTTPCheck) {
	if !httpMethod.MatchString(h.Method) {
		p.add(path+".method", "%q is not an HTTP method like GET or HEAD", h.Method)
	}
	switch {
	case !strings.HasPrefix(h.Path, "/"):
		p.add(path+".path", "%q must start with /", h.Path)
	case hasSpaceOrControl(h.Path):
		p.add(path+".path", "%q has spaces or control characters; escape them (%%20)", h.Path)
	}
	if hasSpaceOrControl(h.Host) {
		p.add(path+".host", "%q has spaces or control characters", h.Host)
	}
	if hasSpaceOrControl(h.TLSSNI) {
		p.add(path+".tls_sni", "%q has spaces or control characters", h.TLSSNI)
	}
	if len(h.Status) == 0 {
		p.add(path+".status", "must list at least one status code or range like 200-299")
	}
	for i, r := range h.Status {
		if r.Lo < 100 || r.Hi > 599 || r.Lo > r.Hi {
			p.add(idx(path+".status", i), "%s is not a status code or range within 100-599, low end first", r)
		}
	}
	if h.BodyRegex != "" {
		if _, err := regexp.Compile(h.BodyRegex); err != nil {
			p.add(path+".body_regex", "does not compile: %v", err)
		}
	}
	if h.Digest != "" && !hexDigest.MatchString(h.Digest) {
		p.add(path+".digest", "%q is not an MD5 digest: 32 hex digits", h.Digest)
	}
}

func (r StatusRange) String() string {
	if r.Lo == r.Hi {
		return fmt.Sprint(r.Lo)
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

func hasSpaceOrControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

// checkDNSName accepts a domain name in text form, with or without the
// final dot; "." is the root.
func checkDNSName(name string) error {
	if name == "." {
		return nil
	}
	trimmed := strings.TrimSuffix(name, ".")
	if trimmed == "" || len(trimmed) > 253 {
		return fmt.Errorf("is not a domain name of 1 to 253 characters")
	}
	for label := range strings.SplitSeq(trimmed, ".") {
		if !dnsLabel.MatchString(label) {
			return fmt.Errorf("has label %q: labels are 1 to 63 letters, digits, _ or - (not first or last)", label)
		}
	}
	return nil
}

func checkDuration(p *problems, path string, d, min, max time.Duration) {
	if d < min || d > max {
		p.add(path, "must be between %v and %v, got %v", min, max, d)
	}
}
