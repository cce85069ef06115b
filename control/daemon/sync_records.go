package daemon

import (
	"github.com/govs-project/govs/control/connsync"
	"github.com/govs-project/govs/dataplane"
	"github.com/govs-project/govs/dataplane/packet"
)

// The lcores' sync records and IPVS's version 1 connection records differ
// in three things: IPVS numbers UDP's one state 0 where govs has its own
// (StateUDP), it names the forwarding method in the flags, and it counts
// timeouts in seconds.

const maxSyncTimeoutSec = 24 * 3600 // what a backup's lcore keeps at most, too

func wireConn(r dataplane.SyncRecord) connsync.Conn {
	c := connsync.Conn{Proto: r.Proto, Client: r.ClientIP, VIP: r.VIP, Dest: r.RSIP,
		CPort: r.ClientPort, VPort: r.VPort, DPort: r.RSPort, State: uint16(r.State),
		Timeout: (r.TimeoutMs + 999) / 1000}
	if r.Proto == packet.ProtoUDP {
		c.State = 0
	}
	switch r.Method {
	case uint8(dataplane.MethodDR):
		c.Flags = connsync.FlagFwdDRoute
	case uint8(dataplane.MethodTUN):
		c.Flags = connsync.FlagFwdTunnel
	default:
		c.Flags = connsync.FlagFwdMasq
	}
	if r.Template {
		c.Flags |= connsync.FlagTemplate
	}
	return c
}

// recordOf is a received connection as an lcore enters it, or why govs
// cannot hold it.
func recordOf(c connsync.Conn) (dataplane.SyncRecord, string) {
	if c.Fwmark != 0 {
		return dataplane.SyncRecord{}, "fwmark" // govs has no firewall-mark services
	}
	r := dataplane.SyncRecord{ClientIP: c.Client, VIP: c.VIP, RSIP: c.Dest, ClientPort: c.CPort, VPort: c.VPort,
		RSPort: c.DPort, Proto: c.Proto, Template: c.Flags&connsync.FlagTemplate != 0,
		TimeoutMs: min(c.Timeout, maxSyncTimeoutSec) * 1000}
	// the master's method, for the record: the lcore uses its own
	// configuration's for the server
	switch c.Flags & connsync.FlagFwdMask {
	case connsync.FlagFwdDRoute:
		r.Method = uint8(dataplane.MethodDR)
	case connsync.FlagFwdTunnel:
		r.Method = uint8(dataplane.MethodTUN)
	}
	switch {
	case r.Template:
		if c.State != 0 {
			return r, "bad_state"
		}
		r.State = dataplane.StateNone
	case c.Proto == packet.ProtoUDP:
		if c.State != 0 {
			return r, "bad_state"
		}
		r.State = dataplane.StateUDP
	default:
		if c.State >= dataplane.StateUDP {
			return r, "bad_state"
		}
		r.State = uint8(c.State)
	}
	if r.TimeoutMs == 0 {
		r.TimeoutMs = 1000
	}
	return r, ""
}
