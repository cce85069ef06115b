package dataplane

import (
	"github.com/govs-project/govs/dataplane/conntrack"
	"github.com/govs-project/govs/dataplane/packet"
)

// drIn forwards a client->VIP packet of a direct-routing connection: only
// the Ethernet addresses change (destination = the real server, which holds
// the VIP on a non-ARP interface); the IP packet goes out untouched, as IPVS
// sends it. track is false for ICMP errors relayed along the connection.
func (w *worker) drIn(frame []byte, c *conntrack.Conn, track bool) verdict {
	if track {
		w.track(c, true)
	}
	w.countIn(c)
	return w.toHost(frame, c.RSIP)
}

// tunIn forwards a client->VIP packet of an IPIP connection: the datagram is
// wrapped in an outer header from the director's port address to the real
// server. A datagram that would exceed the port MTU once wrapped is refused:
// with DF set the client gets ICMP fragmentation-needed (so PMTU discovery
// works through the tunnel), without DF it is dropped and counted (we do not
// fragment).
func (w *worker) tunIn(buf []byte, off int, c *conntrack.Conn, track bool) verdict {
	p := w.p
	frame := buf[off:]
	port, hop, ok := route(w.snap.ports, c.RSIP)
	if !ok {
		return w.dropped(DropNoRoute)
	}
	pi := &w.snap.ports[port]
	if inner := p.IPEnd - p.L3Off; inner+packet.IPv4HdrLen > pi.mtu {
		if !p.DF {
			return w.dropped(DropTooBigNoDF)
		}
		w.sendFragNeeded(frame, uint16(pi.mtu-packet.IPv4HdrLen))
		return w.dropped(DropTooBig)
	}
	if !packet.DecTTL(frame, p) {
		return w.dropped(DropTTLExceeded)
	}
	mac, ok := w.neigh.Lookup(hop)
	if !ok {
		w.resolve(port, hop)
		return w.dropped(DropNeighUnresolved)
	}
	if track {
		w.track(c, true)
	}
	w.countIn(c)
	w.ipID++
	newOff, n, ok := packet.EncapIPIP(buf, off, p, pi.ip, c.RSIP, w.ipID)
	if !ok {
		return w.dropped(DropNoHeadroom)
	}
	packet.SetEth(buf[newOff:newOff+n], mac, pi.mac)
	add(&w.cnt.encapsulated, 1)
	w.outOff, w.outLen, w.outPort = newOff, n, port
	return vForward
}

// sendFragNeeded answers the client of the too-big datagram in frame (parsed
// in w.p) with ICMP "fragmentation needed" carrying the MTU it may use, from
// the VIP it was sending to.
func (w *worker) sendFragNeeded(frame []byte, mtu uint16) {
	p := w.p
	port, hop, ok := route(w.snap.ports, p.Src)
	if !ok {
		return
	}
	mac, ok := w.neigh.Lookup(hop)
	if !ok {
		w.resolve(port, hop)
		return
	}
	buf := w.out.alloc()
	if buf == nil {
		return
	}
	n := packet.BuildICMPError(buf, w.snap.ports[port].mac, mac, p.Dst, p.Src, 3, 4, uint32(mtu), frame[p.L3Off:p.IPEnd])
	w.out.send(port, n)
	if n > 0 {
		add(&w.cnt.fragNeededSent, 1)
	}
}
