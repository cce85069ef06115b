package daemon

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/control/health"
)

func TestHealthSpec(t *testing.T) {
	const yaml = `
eal: {lcores: "0-1"}
ports:
  - {name: wan, device: "net_tap0,iface=t-wan", address: 10.0.0.1/24}
  - {name: lan, device: "net_tap1,iface=t-lan", address: 10.1.0.1/24}
services:
  - vip: 10.0.0.10
    protocol: tcp
    port: 80
    quorum: 3
    hysteresis: 1
    alpha: true
    quorum_up: "echo up"
    quorum_down: "echo down"
    sorry_server: {address: 10.1.0.99}
    check: {type: https, path: /h, host: www.example.com, status: ["200-204", 302], body_regex: "ok",
            digest: 9b3a0c85a887a256d6939da88aabd8cd, tls_verify: true, interval: 2s, timeout: 1s,
            rise: 2, fall: 3, retry_delay: 500ms, warmup: 0s, connect_port: 8443, source_address: 10.1.0.1}
    real_servers:
      - {address: 10.1.0.11, port: 8080, weight: 4, notify_up: "echo rs up", notify_down: "echo rs down"}
      - {address: 10.1.0.12, port: 8080, check: {type: none}}
      - {address: 10.1.0.13, port: 8080, check: {type: script, command: "exit 3", dynamic: true}}
  - vip: 10.0.0.10
    protocol: udp
    port: 53
    check: {type: dns, query_name: example.com, query_type: A}
    real_servers:
      - {address: 10.1.0.21}
      - {address: 10.1.0.22, check: {type: udp, payload_hex: "00ff", require_reply: true, connect_address: 10.1.0.23}}
      - {address: 10.1.0.24, check: {type: ping}}
`
	c, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	var status health.StatusSet
	status.Add(200, 204)
	status.Add(302, 302)
	https := &health.Check{Kind: health.KindHTTPS, Interval: 2 * time.Second, Timeout: time.Second, RetryDelay: 500 * time.Millisecond,
		Rise: 2, Fall: 3, ConnectPort: 8443, SourceAddr: netip.MustParseAddr("10.1.0.1"),
		Method: "GET", Path: "/h", Host: "www.example.com", Status: status, BodyRegex: "ok",
		Digest: "9b3a0c85a887a256d6939da88aabd8cd", TLSSNI: "www.example.com", TLSVerify: true}
	script := &health.Check{Kind: health.KindScript, Interval: 2 * time.Second, Timeout: time.Second, RetryDelay: 500 * time.Millisecond,
		Rise: 2, Fall: 3, Command: "exit 3", Dynamic: true}
	timing := func(c health.Check) *health.Check {
		c.Interval, c.Timeout, c.RetryDelay, c.Warmup, c.Rise, c.Fall = 5*time.Second, 3*time.Second, time.Second, 5*time.Second, 1, 2
		return &c
	}
	dns := timing(health.Check{Kind: health.KindDNS, QueryName: "example.com", QueryType: "A", RequireAnswer: true})
	udp := timing(health.Check{Kind: health.KindUDP, Payload: "\x00\xff", RequireReply: true, ConnectAddr: netip.MustParseAddr("10.1.0.23")})
	ping := timing(health.Check{Kind: health.KindPing})
	addr := netip.MustParseAddr
	want := health.Spec{Services: []health.ServiceSpec{
		{Key: "tcp/10.0.0.10:80", Quorum: 3, Hysteresis: 1, Alpha: true, QuorumUp: "echo up", QuorumDown: "echo down",
			Servers: []health.ServerSpec{
				{Addr: addr("10.1.0.11"), Port: 8080, Weight: 4, Check: https, NotifyUp: "echo rs up", NotifyDown: "echo rs down"},
				{Addr: addr("10.1.0.12"), Port: 8080, Weight: 1},
				{Addr: addr("10.1.0.13"), Port: 8080, Weight: 1, Check: script},
			}},
		{Key: "udp/10.0.0.10:53", Quorum: 1, Servers: []health.ServerSpec{
			{Addr: addr("10.1.0.21"), Port: 53, Weight: 1, Check: dns},
			{Addr: addr("10.1.0.22"), Port: 53, Weight: 1, Check: udp},
			{Addr: addr("10.1.0.24"), Port: 53, Weight: 1, Check: ping},
		}},
	}}
	got := healthSpec(c)
	if !reflect.DeepEqual(got, want) {
		for i := range want.Services {
			for j := range want.Services[i].Servers {
				if g, w := got.Services[i].Servers[j], want.Services[i].Servers[j]; !reflect.DeepEqual(g, w) {
					t.Errorf("services[%d].servers[%d]:\ngot  %+v %+v\nwant %+v %+v", i, j, g, g.Check, w, w.Check)
				}
			}
		}
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	// Loading the same file again gives checks equal with ==: a reload
	// keeps every server's state.
	again, _ := config.Parse([]byte(yaml))
	for i, sv := range healthSpec(again).Services {
		for j, s := range sv.Servers {
			if prev := got.Services[i].Servers[j].Check; (prev == nil) != (s.Check == nil) || prev != nil && *prev != *s.Check {
				t.Errorf("services[%d].servers[%d]: check differs on reload", i, j)
			}
		}
	}
}

func TestServiceKey(t *testing.T) {
	sv := config.Service{VIP: netip.MustParseAddr("10.0.0.10"), Protocol: config.ProtoUDP, Port: 53}
	if k := serviceKey(sv); k != "udp/10.0.0.10:53" {
		t.Errorf("key %q", k)
	}
	if healthCheck(&config.Check{Type: config.CheckNone}) != nil || healthCheck(nil) != nil {
		t.Error("no check converted to one")
	}
}
