package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// checkOf parses the base configuration with sets applied and returns the
// check of services[0].real_servers[i].
func checkOf(t *testing.T, i int, sets ...set) *Check {
	t.Helper()
	c, err := parseWith(t, sets...)
	if err != nil {
		t.Fatal(err)
	}
	return c.Services[0].RealServers[i].Check
}

func TestCheckDefaults(t *testing.T) {
	generic := func(typ CheckType) Check {
		return Check{Type: typ, Interval: 5 * time.Second, Timeout: 3 * time.Second, RetryDelay: time.Second,
			Warmup: 5 * time.Second, Rise: 1, Fall: 2}
	}
	with := func(c Check, f func(*Check)) Check { f(&c); return c }
	httpDefaults := HTTPCheck{Method: "GET", Path: "/", Status: []StatusRange{{200, 299}}}
	cases := []struct {
		name  string
		check map[string]any
		want  Check
	}{
		{"tcp", map[string]any{"type": "tcp"}, generic(CheckTCP)},
		{"ping", map[string]any{"type": "ping"}, generic(CheckPing)},
		{"http", map[string]any{"type": "http"}, with(generic(CheckHTTP), func(c *Check) { c.HTTP = httpDefaults })},
		{"https sni from host", map[string]any{"type": "https", "host": "www.example.com"}, with(generic(CheckHTTPS), func(c *Check) {
			c.HTTP = httpDefaults
			c.HTTP.Host, c.HTTP.TLSSNI = "www.example.com", "www.example.com"
		})},
		{"https explicit empty sni", map[string]any{"type": "https", "host": "a.example", "tls_sni": ""}, with(generic(CheckHTTPS), func(c *Check) {
			c.HTTP = httpDefaults
			c.HTTP.Host = "a.example"
		})},
		{"udp", map[string]any{"type": "udp"}, generic(CheckUDP)},
		{"dns", map[string]any{"type": "dns"}, with(generic(CheckDNS), func(c *Check) {
			c.DNS = DNSCheck{Name: ".", Type: "SOA", RequireAnswer: true}
		})},
		{"script", map[string]any{"type": "script", "command": "true"}, with(generic(CheckScript), func(c *Check) {
			c.Script.Command = "true"
		})},
		// warmup follows interval, retry_delay is at most interval.
		{"short interval", map[string]any{"type": "tcp", "interval": "200ms"}, with(generic(CheckTCP), func(c *Check) {
			c.Interval, c.Warmup, c.RetryDelay = 200*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond
		})},
		{"explicit zero warmup and retry", map[string]any{"type": "tcp", "warmup": "0s", "retry_delay": "0s"}, with(generic(CheckTCP), func(c *Check) {
			c.Warmup, c.RetryDelay = 0, 0
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := checkOf(t, 0, set{"services[0].check", tc.check})
			if got == nil || !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestCheckDecodeEveryKey(t *testing.T) {
	cases := []struct {
		name  string
		check map[string]any
		want  Check
	}{
		{"https", map[string]any{
			"type": "https", "interval": "2s", "timeout": "500ms", "rise": 3, "fall": 4, "retry_delay": "250ms", "warmup": "1s",
			"connect_address": "10.1.0.50", "connect_port": 8443, "source_address": "10.1.0.1",
			"method": "HEAD", "path": "/health?x=1", "host": "h.example", "status": []any{200, "300-399"},
			"body_regex": "^ok", "digest": "9B3A0C85A887A256D6939DA88AABD8CD", "tls_sni": "sni.example", "tls_verify": true,
		}, Check{
			Type: CheckHTTPS, Interval: 2 * time.Second, Timeout: 500 * time.Millisecond, Rise: 3, Fall: 4,
			RetryDelay: 250 * time.Millisecond, Warmup: time.Second,
			ConnectAddress: netip.MustParseAddr("10.1.0.50"), ConnectPort: 8443, SourceAddress: netip.MustParseAddr("10.1.0.1"),
			HTTP: HTTPCheck{Method: "HEAD", Path: "/health?x=1", Host: "h.example", Status: []StatusRange{{200, 200}, {300, 399}},
				BodyRegex: "^ok", Digest: "9b3a0c85a887a256d6939da88aabd8cd", TLSSNI: "sni.example", TLSVerify: true},
		}},
		{"status as keepalived string", map[string]any{"type": "http", "status": "200-299 404"}, Check{
			HTTP: HTTPCheck{Status: []StatusRange{{200, 299}, {404, 404}}},
		}},
		{"udp text", map[string]any{"type": "udp", "payload": "ping", "require_reply": true}, Check{
			UDP: UDPCheck{Payload: []byte("ping"), RequireReply: true},
		}},
		{"udp hex with spaces", map[string]any{"type": "udp", "payload_hex": "00 01 ff"}, Check{
			UDP: UDPCheck{Payload: []byte{0, 1, 0xff}},
		}},
		{"dns", map[string]any{"type": "dns", "query_name": "example.com", "query_type": "aaaa", "require_answer": false}, Check{
			DNS: DNSCheck{Name: "example.com", Type: "AAAA"},
		}},
		{"script", map[string]any{"type": "script", "command": "exit 3", "dynamic": true}, Check{
			Script: ScriptCheck{Command: "exit 3", Dynamic: true},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := checkOf(t, 0, set{"services[0].check", tc.check})
			if got == nil {
				t.Fatal("no check")
			}
			if tc.want.Type != "" {
				if !reflect.DeepEqual(*got, tc.want) {
					t.Errorf("got  %+v\nwant %+v", *got, tc.want)
				}
				return
			}
			// Only the type group is compared.
			g := Check{HTTP: got.HTTP, UDP: got.UDP, DNS: got.DNS, Script: got.Script}
			if tc.check["type"] == "http" {
				g = Check{HTTP: HTTPCheck{Status: got.HTTP.Status}}
			}
			if !reflect.DeepEqual(g, tc.want) {
				t.Errorf("got  %+v\nwant %+v", g, tc.want)
			}
		})
	}
}

func TestCheckMerge(t *testing.T) {
	svcHTTP := set{"services[0].check", map[string]any{"type": "http", "path": "/h", "interval": "10s", "fall": 3}}
	cases := []struct {
		name   string
		sets   []set
		server int
		want   func(*Check) bool
	}{
		{"inherited whole", []set{svcHTTP}, 1, func(c *Check) bool {
			return c.Type == CheckHTTP && c.HTTP.Path == "/h" && c.Interval == 10*time.Second && c.Fall == 3 && c.Warmup == 10*time.Second
		}},
		{"one knob overridden", []set{svcHTTP, {"services[0].real_servers[0].check", map[string]any{"interval": "2s"}}}, 0, func(c *Check) bool {
			// warmup follows the merged interval
			return c.Type == CheckHTTP && c.HTTP.Path == "/h" && c.Interval == 2*time.Second && c.Warmup == 2*time.Second && c.Fall == 3
		}},
		{"other server untouched", []set{svcHTTP, {"services[0].real_servers[0].check", map[string]any{"interval": "2s"}}}, 1, func(c *Check) bool {
			return c.Interval == 10*time.Second
		}},
		{"type change keeps generic keys only", []set{svcHTTP, {"services[0].real_servers[0].check", map[string]any{"type": "tcp"}}}, 0, func(c *Check) bool {
			return c.Type == CheckTCP && c.HTTP.Path == "" && c.Interval == 10*time.Second && c.Fall == 3
		}},
		{"type change drops keys the new type refuses", []set{
			{"services[0].check", map[string]any{"type": "http", "connect_port": 8081, "source_address": "10.1.0.1", "timeout": "1s"}},
			{"services[0].real_servers[0].check", map[string]any{"type": "script", "command": "true"}}}, 0, func(c *Check) bool {
			return c.Type == CheckScript && c.ConnectPort == 0 && !c.SourceAddress.IsValid() && c.Timeout == time.Second
		}},
		{"ping keeps the address but not the port", []set{
			{"services[0].check", map[string]any{"type": "tcp", "connect_port": 8081, "connect_address": "10.1.0.50"}},
			{"services[0].real_servers[0].check", map[string]any{"type": "ping"}}}, 0, func(c *Check) bool {
			return c.Type == CheckPing && c.ConnectPort == 0 && c.ConnectAddress.String() == "10.1.0.50"
		}},
		{"opt out", []set{svcHTTP, {"services[0].real_servers[0].check", map[string]any{"type": "none"}}}, 0, func(c *Check) bool {
			return c == nil
		}},
		{"no service check", []set{{"services[0].real_servers[1].check", map[string]any{"type": "ping"}}}, 1, func(c *Check) bool {
			return c != nil && c.Type == CheckPing && c.Interval == 5*time.Second
		}},
		{"no service check, unchecked", nil, 0, func(c *Check) bool { return c == nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkOf(t, tc.server, tc.sets...); !tc.want(got) {
				t.Errorf("check %+v", got)
			}
		})
	}
	// Servers never share the service's slices.
	c, err := parseWith(t, svcHTTP)
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.Services[0].RealServers[0].Check, c.Services[0].RealServers[1].Check
	a.HTTP.Status[0].Lo = 100
	if b.HTTP.Status[0].Lo != 200 || c.Services[0].Check.HTTP.Status[0].Lo != 200 {
		t.Error("merged checks share the status slice")
	}
}

func TestServiceHealthKeys(t *testing.T) {
	c, err := parseWith(t,
		set{"services[0].expire_nodest_conn", true},
		set{"services[0].quorum", 3},
		set{"services[0].hysteresis", 1},
		set{"services[0].alpha", true},
		set{"services[0].inhibit_on_failure", true},
		set{"services[0].quorum_up", "echo up"},
		set{"services[0].quorum_down", "echo down"},
		set{"services[0].sorry_server", map[string]any{"address": "10.1.0.99"}},
		set{"services[0].real_servers[1].inhibit_on_failure", false},
		set{"services[0].real_servers[1].notify_up", "echo rs up"},
		set{"services[0].real_servers[1].notify_down", "echo rs down"},
	)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Services[0]
	if !s.ExpireNodestConn || s.Quorum != 3 || s.Hysteresis != 1 || !s.Alpha || !s.InhibitOnFailure ||
		s.QuorumUp != "echo up" || s.QuorumDown != "echo down" {
		t.Errorf("service %+v", s)
	}
	wantSorry := RealServer{Address: netip.MustParseAddr("10.1.0.99"), Port: 80, Weight: 1, Method: MethodNAT}
	if s.SorryServer == nil || !reflect.DeepEqual(*s.SorryServer, wantSorry) {
		t.Errorf("sorry server %+v, want %+v", s.SorryServer, wantSorry)
	}
	// inhibit_on_failure: the service's by default, the server's own wins.
	if !s.RealServers[0].InhibitOnFailure || s.RealServers[1].InhibitOnFailure {
		t.Errorf("inhibit %v %v, want true false", s.RealServers[0].InhibitOnFailure, s.RealServers[1].InhibitOnFailure)
	}
	if rs := s.RealServers[1]; rs.NotifyUp != "echo rs up" || rs.NotifyDown != "echo rs down" {
		t.Errorf("notify %+v", rs)
	}
	// Defaults: IPVS and keepalived's.
	d, _ := parseWith(t)
	if s := d.Services[0]; s.ExpireNodestConn || s.Quorum != 1 || s.Hysteresis != 0 || s.Alpha || s.SorryServer != nil || s.Check != nil {
		t.Errorf("defaults %+v", s)
	}
	if k := d.Ports[1].Kernel; !k.Enabled || k.Name != "govs-lan" {
		t.Errorf("kernel interface default %+v", k)
	}
	c, err = parseWith(t, set{"services[0].sorry_server", map[string]any{"address": "10.1.0.99", "port": 8080, "method": "dr"}},
		set{"services[0].port", 8080}, set{"ports[0].kernel_interface", map[string]any{"enabled": false}})
	if err != nil {
		t.Fatal(err)
	}
	if ss := c.Services[0].SorryServer; ss.Port != 8080 || ss.Method != MethodDR {
		t.Errorf("sorry server %+v", ss)
	}
	if k := c.Ports[0].Kernel; k.Enabled || k.Name != "govs-wan" {
		t.Errorf("kernel interface %+v", k)
	}
}

func TestHealthErrors(t *testing.T) {
	chk := func(m map[string]any) set { return set{"services[0].check", m} }
	rsChk := func(m map[string]any) set { return set{"services[0].real_servers[1].check", m} }
	cases := []struct {
		name string
		sets []set
		want string
	}{
		{"kernel name long", []set{{"ports[0].name", "averylongname"}}, `ports[0].kernel_interface.name: "govs-averylongname" is longer than the 15 characters of a Linux interface name (the default is govs-<port name>); set a shorter one`},
		{"kernel name chars", []set{{"ports[0].kernel_interface.name", "a b"}}, `ports[0].kernel_interface.name: "a b" may only have A-Z, a-z, 0-9, _, . and -`},
		{"kernel name dup", []set{{"ports[1].kernel_interface.name", "govs-wan"}}, `ports[1].kernel_interface.name: "govs-wan" is already the kernel interface of ports[0]`},
		{"kernel name is a device iface", []set{{"ports[1].kernel_interface.name", "tap-wan"}}, `ports[1].kernel_interface.name: "tap-wan" is already the interface of ports[0].device`},
		{"kernel name empty", []set{{"ports[1].kernel_interface.name", ""}}, `ports[1].kernel_interface.name: required while the kernel interface is enabled`},
		{"kernel unknown key", []set{{"ports[1].kernel_interface.mtu", 1500}}, `ports[1].kernel_interface.mtu: unknown key; valid keys here: enabled, name`},
		{"kernel enabled type", []set{{"ports[1].kernel_interface.enabled", "yes"}}, `ports[1].kernel_interface.enabled: must be true or false, got string "yes"`},

		{"quorum zero", []set{{"services[0].quorum", 0}}, `services[0].quorum: must be between 1 and 4294967295, got 0`},
		{"hysteresis too big", []set{{"services[0].quorum", 2}, {"services[0].hysteresis", 2}}, `services[0].hysteresis: must be less than quorum (2), got 2`},
		{"alpha type", []set{{"services[0].alpha", 1}}, `services[0].alpha: must be true or false, got integer 1`},
		{"quorum_up type", []set{{"services[0].quorum_up", []any{"x"}}}, `services[0].quorum_up: must be a string, got a list`},
		{"sorry unreachable", []set{{"services[0].sorry_server", map[string]any{"address": "10.9.0.1"}}}, `services[0].sorry_server.address: 10.9.0.1 is unreachable`},
		{"sorry missing address", []set{{"services[0].sorry_server", map[string]any{"port": 80}}}, `services[0].sorry_server.address: required`},
		{"sorry weight", []set{{"services[0].sorry_server", map[string]any{"address": "10.1.0.99", "weight": 2}}}, `services[0].sorry_server.weight: unknown key; valid keys here: address, method, port`},
		{"sorry dr port", []set{{"services[0].sorry_server", map[string]any{"address": "10.1.0.99", "port": 81, "method": "dr"}}}, `services[0].sorry_server.port: dr forwarding cannot change the port`},
		{"notify type", []set{{"services[0].real_servers[0].notify_up", 3}}, `services[0].real_servers[0].notify_up: must be a string, got integer 3`},

		{"check not mapping", []set{{"services[0].check", "tcp"}}, `services[0].check: must be a mapping, got string "tcp"`},
		{"type missing", []set{chk(map[string]any{"interval": "1s"})}, `services[0].check.type: required: one of tcp, http, https, udp, dns, ping, script, none`},
		{"type unknown", []set{chk(map[string]any{"type": "smtp"})}, `services[0].check.type: must be one of tcp, http, https, udp, dns, ping, script, none, got "smtp"`},
		{"none with keys", []set{rsChk(map[string]any{"type": "none", "interval": "1s"})}, `services[0].real_servers[1].check.interval: a check of type none takes no other keys`},
		{"unknown key", []set{chk(map[string]any{"type": "tcp", "delay_loop": "1s"})}, `services[0].check.delay_loop: unknown key; valid keys here:`},
		{"interval unitless", []set{chk(map[string]any{"type": "tcp", "interval": 5})}, `services[0].check.interval: must be a duration with a unit like 900s or 200us, got integer 5`},
		{"interval short", []set{chk(map[string]any{"type": "tcp", "interval": "1ms"})}, `services[0].check.interval: must be between 50ms and 24h0m0s, got 1ms`},
		{"timeout zero", []set{chk(map[string]any{"type": "tcp", "timeout": "0s"})}, `services[0].check.timeout: must be between 1ms and 1h0m0s, got 0s`},
		{"retry negative", []set{chk(map[string]any{"type": "tcp", "retry_delay": "-1s"})}, `services[0].check.retry_delay: must be between 0s and 24h0m0s, got -1s`},
		{"warmup long", []set{chk(map[string]any{"type": "tcp", "warmup": "48h"})}, `services[0].check.warmup: must be between 0s and 24h0m0s, got 48h0m0s`},
		{"rise zero", []set{chk(map[string]any{"type": "tcp", "rise": 0})}, `services[0].check.rise: must be between 1 and 1000, got 0`},
		{"fall big", []set{chk(map[string]any{"type": "tcp", "fall": 5000})}, `services[0].check.fall: must be between 1 and 1000, got 5000`},
		{"connect address", []set{chk(map[string]any{"type": "tcp", "connect_address": "host"})}, `services[0].check.connect_address: "host" is not an IPv4 address like 10.0.0.1`},
		{"connect port", []set{chk(map[string]any{"type": "tcp", "connect_port": 0})}, `services[0].check.connect_port: must be between 1 and 65535, got 0`},
		{"source address", []set{chk(map[string]any{"type": "tcp", "source_address": "fd00::1"})}, `services[0].check.source_address: "fd00::1" is not an IPv4 address like 10.0.0.1`},
		{"ping port", []set{chk(map[string]any{"type": "ping", "connect_port": 80})}, `services[0].check.connect_port: ping has no port`},
		{"script address", []set{chk(map[string]any{"type": "script", "command": "true", "connect_address": "10.1.0.5"})}, `services[0].check.connect_address: a script check connects nowhere; it is given GOVS_SERVER instead`},

		{"http key on tcp", []set{chk(map[string]any{"type": "tcp", "path": "/"})}, `services[0].check.path: only for type http or https, this check is tcp`},
		{"dns key on http", []set{chk(map[string]any{"type": "http", "query_type": "A"})}, `services[0].check.query_type: only for type dns, this check is http`},
		{"udp key on dns", []set{chk(map[string]any{"type": "dns", "payload": "x"})}, `services[0].check.payload: only for type udp, this check is dns`},
		{"script key on ping", []set{chk(map[string]any{"type": "ping", "command": "true"})}, `services[0].check.command: only for type script, this check is ping`},
		{"tls on http", []set{chk(map[string]any{"type": "http", "tls_verify": true})}, `services[0].check.tls_verify: only for type https, this check is http`},
		{"method", []set{chk(map[string]any{"type": "http", "method": "get"})}, `services[0].check.method: "get" is not an HTTP method like GET or HEAD`},
		{"path relative", []set{chk(map[string]any{"type": "http", "path": "health"})}, `services[0].check.path: "health" must start with /`},
		{"path space", []set{chk(map[string]any{"type": "http", "path": "/a b"})}, `services[0].check.path: "/a b" has spaces or control characters`},
		{"host newline", []set{chk(map[string]any{"type": "http", "host": "a\r\nX: y"})}, `services[0].check.host: "a\r\nX: y" has spaces or control characters`},
		{"status syntax", []set{chk(map[string]any{"type": "http", "status": []any{"2xx"}})}, `services[0].check.status[0]: "2xx" is not a status code like 200 or a range like 200-299`},
		{"status empty", []set{chk(map[string]any{"type": "http", "status": []any{}})}, `services[0].check.status: must list at least one status code or range like 200-299`},
		{"status range backwards", []set{chk(map[string]any{"type": "http", "status": []any{"299-200"}})}, `services[0].check.status[0]: 299-200 is not a status code or range within 100-599, low end first`},
		{"status out of range", []set{chk(map[string]any{"type": "http", "status": []any{700}})}, `services[0].check.status[0]: 700 is not a status code or range within 100-599`},
		{"regex", []set{chk(map[string]any{"type": "http", "body_regex": "(ok"})}, "services[0].check.body_regex: does not compile: error parsing regexp: missing closing ): `(ok`"},
		{"digest", []set{chk(map[string]any{"type": "http", "digest": "abc"})}, `services[0].check.digest: "abc" is not an MD5 digest: 32 hex digits`},
		{"payload both", []set{chk(map[string]any{"type": "udp", "payload": "a", "payload_hex": "61"})}, `services[0].check.payload_hex: payload and payload_hex are exclusive; set one`},
		{"payload hex", []set{chk(map[string]any{"type": "udp", "payload_hex": "6"})}, `services[0].check.payload_hex: "6" is not hex bytes like "01 02 ff"`},
		{"payload long", []set{chk(map[string]any{"type": "udp", "payload": strings.Repeat("x", 70000)})}, `services[0].check.payload: is 70000 bytes, more than the 65507 a UDP datagram carries`},
		{"dns type", []set{chk(map[string]any{"type": "dns", "query_type": "SRV"})}, `services[0].check.query_type: must be one of A, AAAA, NS, SOA, MX, TXT, CNAME, PTR, got "SRV"`},
		{"dns name", []set{chk(map[string]any{"type": "dns", "query_name": "a..b"})}, `services[0].check.query_name: "a..b" has label "": labels are 1 to 63`},
		{"dns name long label", []set{chk(map[string]any{"type": "dns", "query_name": strings.Repeat("a", 64) + ".com"})}, `services[0].check.query_name: "` + strings.Repeat("a", 64) + `.com" has label`},
		{"script no command", []set{chk(map[string]any{"type": "script"})}, `services[0].check.command: required: a script check runs a command (with /bin/sh -c)`},
		{"dynamic type", []set{chk(map[string]any{"type": "script", "command": "true", "dynamic": "yes"})}, `services[0].check.dynamic: must be true or false, got string "yes"`},

		// A server's own bad key is reported at the server.
		{"server override bad", []set{chk(map[string]any{"type": "tcp"}), rsChk(map[string]any{"fall": 0})}, `services[0].real_servers[1].check.fall: must be between 1 and 1000, got 0`},
		{"server type change leaves foreign key", []set{chk(map[string]any{"type": "tcp"}), rsChk(map[string]any{"type": "dns", "path": "/"})}, `services[0].real_servers[1].check.path: only for type http or https, this check is dns`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseWith(t, tc.sets...)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !hasLine(err.Error(), tc.want) {
				t.Errorf("error\n%v\nhas no line starting %q", err, tc.want)
			}
		})
	}
}

// A problem of the service's check is reported once, at the service, not
// again at every real server that inherits it.
func TestInheritedCheckProblemReportedOnce(t *testing.T) {
	_, err := parseWith(t,
		set{"services[0].check", map[string]any{"type": "http", "interval": "1ms", "digest": "zz", "delay": "1s"}},
		set{"services[0].real_servers[0].check", map[string]any{"path": "/x"}},
	)
	want := []string{
		`services[0].check.delay: unknown key; valid keys here:`,
		`services[0].check.interval: must be between 50ms and 24h0m0s, got 1ms`,
		`services[0].check.digest: "zz" is not an MD5 digest: 32 hex digits`,
	}
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(lines), len(want), err)
	}
	for _, w := range want {
		if !hasLine(err.Error(), w) {
			t.Errorf("no line %q in\n%v", w, err)
		}
	}
}

// Validate checks a model built in code, including its checks.
func TestValidateChecksInCode(t *testing.T) {
	c, err := parseWith(t)
	if err != nil {
		t.Fatal(err)
	}
	good := defaultCheck(CheckHTTP)
	resolveCheckDefaults(&good, func(string) bool { return false })
	bad := good
	bad.Rise, bad.Timeout = 0, 0
	bad.UDP.RequireReply = true
	bad.HTTP.BodyRegex = "["
	c.Services[0].Check = &bad
	c.Services[0].RealServers[0].Check = &bad // inherited: reported once
	other := good
	other.Type = CheckDNS
	c.Services[0].RealServers[1].Check = &other // http fields on a dns check
	none := Check{Type: CheckNone}
	c.Services[1].RealServers[0].Check = &none
	c.Services[1].Quorum = 0
	c.Ports[0].Kernel.Name = "x/y"

	err = c.Validate()
	want := []string{
		`ports[0].kernel_interface.name: "x/y" may only have A-Z, a-z, 0-9, _, . and -`,
		"services[0].check.timeout: must be between 1ms and 1h0m0s, got 0s",
		"services[0].check.rise: must be between 1 and 1000, got 0",
		"services[0].check.require_reply: only for type udp, this check is http",
		"services[0].check.body_regex: does not compile",
		"services[0].real_servers[1].check.method: only for type http or https, this check is dns",
		"services[0].real_servers[1].check.status: only for type http or https, this check is dns",
		"services[0].real_servers[1].check.query_type: must be one of A, AAAA",
		"services[1].quorum: must be at least 1, got 0",
		`services[1].real_servers[0].check.type: must be one of tcp, http, https, udp, dns, ping, script, got "none"`,
	}
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range want {
		if !hasLine(err.Error(), w) {
			t.Errorf("no line %q in\n%v", w, err)
		}
	}
	if n := strings.Count(err.Error(), "check.rise"); n != 1 {
		t.Errorf("inherited rise problem reported %d times:\n%v", n, err)
	}
}
