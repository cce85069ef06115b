package daemon

import (
	"net/netip"
	"testing"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/control/connsync"
	"github.com/govs-project/govs/dataplane"
	"github.com/govs-project/govs/dataplane/packet"
)

func TestSyncRecordsBothWays(t *testing.T) {
	for _, r := range []dataplane.SyncRecord{
		{ClientIP: 1, VIP: 2, RSIP: 3, ClientPort: 1000, VPort: 80, RSPort: 8080, Proto: packet.ProtoTCP, State: dataplane.StateEstablished, Method: uint8(dataplane.MethodNAT), TimeoutMs: 900000},
		{ClientIP: 1, VIP: 2, RSIP: 3, ClientPort: 53, VPort: 53, RSPort: 53, Proto: packet.ProtoUDP, State: dataplane.StateUDP, Method: uint8(dataplane.MethodDR), TimeoutMs: 300000},
		{ClientIP: 1, VIP: 2, RSIP: 3, VPort: 443, RSPort: 443, Proto: packet.ProtoTCP, State: dataplane.StateNone, Method: uint8(dataplane.MethodTUN), Template: true, TimeoutMs: 360000},
	} {
		c := wireConn(r)
		back, why := recordOf(c)
		if why != "" || back != r {
			t.Errorf("%+v -> %+v -> %+v (%q)", r, c, back, why)
		}
	}
	c := wireConn(dataplane.SyncRecord{Proto: packet.ProtoUDP, State: dataplane.StateUDP, Method: uint8(dataplane.MethodDR), TimeoutMs: 1500})
	if c.State != 0 || c.Flags&connsync.FlagFwdMask != connsync.FlagFwdDRoute || c.Timeout != 2 {
		t.Fatalf("UDP DR record on the wire: %+v, want IPVS's UDP state 0, droute, 2 s (rounded up)", c)
	}
}

func TestSyncRecordRefusals(t *testing.T) {
	for _, c := range []struct {
		conn connsync.Conn
		why  string
	}{
		{connsync.Conn{Proto: 6, Fwmark: 7}, "fwmark"},
		{connsync.Conn{Proto: 6, State: 11}, "bad_state"},
		{connsync.Conn{Proto: 17, State: 1}, "bad_state"},
		{connsync.Conn{Proto: 6, Flags: connsync.FlagTemplate, State: 1}, "bad_state"},
	} {
		if _, why := recordOf(c.conn); why != c.why {
			t.Errorf("%+v: %q, want %q", c.conn, why, c.why)
		}
	}
	if r, _ := recordOf(connsync.Conn{Proto: 6, State: 1, Timeout: 0}); r.TimeoutMs != 1000 {
		t.Fatalf("timeout 0 became %d ms, want 1 s", r.TimeoutMs)
	}
	if r, _ := recordOf(connsync.Conn{Proto: 6, State: 1, Timeout: 1 << 30}); r.TimeoutMs != maxSyncTimeoutSec*1000 {
		t.Fatalf("a huge timeout became %d ms, want a day", r.TimeoutMs)
	}
}

func TestSyncServicesCheck(t *testing.T) {
	vip, rs := netip.MustParseAddr("10.0.0.100"), netip.MustParseAddr("10.1.0.11")
	cfg := &config.Config{Services: []config.Service{
		{VIP: vip, Protocol: config.ProtoTCP, Port: 80, RealServers: []config.RealServer{{Address: rs, Port: 8080}},
			SorryServer: &config.RealServer{Address: netip.MustParseAddr("10.1.0.99"), Port: 8080}},
		{VIP: vip, Protocol: config.ProtoUDP, Port: 0, RealServers: []config.RealServer{{Address: rs}}},
	}}
	ss := newSyncServices(cfg)
	u := connsync.IPv4
	for _, c := range []struct {
		conn connsync.Conn
		want string
	}{
		{connsync.Conn{Proto: 6, VIP: u(vip), VPort: 80, Dest: u(rs), DPort: 8080}, ""},
		{connsync.Conn{Proto: 6, VIP: u(vip), VPort: 80, Dest: u(netip.MustParseAddr("10.1.0.99")), DPort: 8080}, ""},
		{connsync.Conn{Proto: 6, VIP: u(vip), VPort: 80, Dest: u(rs), DPort: 9090}, "no_dest"},
		{connsync.Conn{Proto: 6, VIP: u(vip), VPort: 81, Dest: u(rs), DPort: 8080}, "no_service"},
		{connsync.Conn{Proto: 17, VIP: u(vip), VPort: 5353, Dest: u(rs), DPort: 5353}, ""}, // the port-0 service
		{connsync.Conn{Proto: 6, VIP: u(rs), VPort: 80, Dest: u(rs), DPort: 8080}, "no_service"},
		{connsync.Conn{Proto: 6, VIP: u(vip), Flags: connsync.FlagTemplate, CPort: 3, Dest: u(rs)}, "no_service"}, // no persistence group
	} {
		if got := ss.check(&c.conn); got != c.want {
			t.Errorf("%+v: %q, want %q", c.conn, got, c.want)
		}
	}
}
