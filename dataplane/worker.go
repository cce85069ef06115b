package dataplane

import (
	"github.com/govs-project/govs/dataplane/conntrack"
	"github.com/govs-project/govs/dataplane/neigh"
	"github.com/govs-project/govs/dataplane/packet"
	"github.com/govs-project/govs/dataplane/sched"
)

// emitter lets a worker originate frames (ARP requests, gratuitous ARP). The
// DPDK loop implements it with mbufs; tests with plain buffers.
type emitter interface {
	alloc() []byte        // a buffer for one frame, or nil when out of mbufs
	send(port int, n int) // queue the buffer from the last alloc, n bytes long
}

// verdict is what the loop does with a packet after process.
type verdict uint8

const (
	vDrop     verdict = iota // free it; w.drop says why (already counted)
	vForward                 // transmit on w.outPort
	vConsumed                // handled (e.g. an ARP reply we learned from); free it
	vRedirect                // hand it to lcore w.owner, which owns the flow

	// Internal to the worker: classify stopped before the connection
	// lookup (key in w.key), so that a burst can batch its lookups.
	vLookupIn  // client->VIP packet of TCP/UDP
	vLookupOut // possible reply of a NAT connection
)

const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10

	arpRetryMs   = 1000  // unresolved next hop: ask again after
	arpRefreshMs = 30000 // resolved next hop: confirm again after
)

// worker is the per-lcore packet logic: pure Go over frames, so it is tested
// without DPDK. It is used by one goroutine only.
type worker struct {
	index    int // 0..nWorkers-1
	nWorkers int
	conns    *conntrack.Table
	neigh    *neigh.Table
	cnt      *lcoreCounters
	out      emitter

	snap       *Snapshot
	schedState []uint64 // per service of snap
	now        uint32   // ms, coarse clock read once per burst

	// scratch, reused per packet so nothing escapes to the heap
	p        *packet.Parsed // the packet being handled: pOwn, or a slot of the loop's burst
	pOwn     packet.Parsed
	q        packet.Quoted
	arp      packet.ARP
	schedIn  sched.Input
	expireFn func(*conntrack.Conn)
	key      conntrack.Key // the lookup classify left to do

	// outputs of process
	outPort int
	outOff  int // where the frame starts in buf after process (moves on encapsulation)
	outLen  int // frame length after process
	owner   int
	drop    Drop
	ipID    uint16 // IP id of the outer headers we build

	lastNeighTick uint32
	garpGen       uint64

	hosts [hostCacheSize]hostEntry // see toHost; cleared with every new snapshot
}

func newWorker(index, nWorkers int, conns *conntrack.Table, nt *neigh.Table, out emitter) *worker {
	w := &worker{index: index, nWorkers: nWorkers, conns: conns, neigh: nt, cnt: new(lcoreCounters), out: out}
	w.p = &w.pOwn
	w.expireFn = w.onExpire
	return w
}

// setSnapshot switches to a new configuration. Connections are untouched:
// they carry their real server, so established flows keep going.
func (w *worker) setSnapshot(s *Snapshot) {
	if s == w.snap {
		return
	}
	w.snap = s
	w.schedState = make([]uint64, len(s.services))
	w.hosts = [hostCacheSize]hostEntry{} // routes may have changed
}

func (w *worker) dropped(d Drop) verdict {
	w.drop = d
	add(&w.cnt.drops[d], 1)
	return vDrop
}

// process classifies the frame buf[off:] received on port inPort and
// rewrites it in place. buf[:off] is headroom, which encapsulation may use:
// on vForward the frame to send is buf[w.outOff : w.outOff+w.outLen].
// The poll loop does the same in three passes over a burst (classify, one
// batched connection lookup, finish) so that table misses overlap.
func (w *worker) process(buf []byte, off int, inPort int) verdict {
	switch v := w.classify(buf, off, inPort); v {
	case vLookupIn:
		c, _ := w.conns.LookupIn(w.key)
		return w.finishIn(buf, off, c)
	case vLookupOut:
		c, _ := w.conns.LookupOut(w.key)
		return w.finishOut(buf[off:], c)
	default:
		return v
	}
}

// classify parses the frame and handles everything that needs no
// connection lookup; for the rest it returns vLookupIn or vLookupOut with
// the key in w.key and the parse in w.p.
func (w *worker) classify(buf []byte, off int, inPort int) verdict {
	if off < 0 || off > len(buf) {
		return w.dropped(DropTruncated)
	}
	frame := buf[off:]
	w.outOff, w.outLen = off, len(frame)
	p := w.p
	if e := packet.Parse(frame, p); e != packet.OK {
		return w.dropped(dropForParse(e))
	}
	if p.VLANs != 0 {
		return w.dropped(DropVLAN)
	}
	if p.EtherType == packet.EtherTypeARP {
		return w.handleARP(frame, inPort)
	}
	s := w.snap
	if _, ok := s.vipOwner(p.Dst); ok {
		return w.toVIP(buf, off, inPort)
	}
	if _, ok := s.ownAddress(p.Dst); ok {
		return w.toSelf(frame, inPort)
	}
	return w.transit(frame)
}

// ownerOf is the worker that owns flows of this client: requests and replies
// of one connection hash to the same worker whichever queue they arrive on.
func (w *worker) ownerOf(clientIP uint32, clientPort uint16) int {
	h := (uint64(clientIP)<<16 | uint64(clientPort)) * 0x9E3779B97F4A7C15
	return int(((h >> 32) * uint64(w.nWorkers)) >> 32)
}

// redirect reports whether the flow belongs to another worker.
func (w *worker) redirect(clientIP uint32, clientPort uint16) bool {
	if w.nWorkers <= 1 {
		return false
	}
	w.owner = w.ownerOf(clientIP, clientPort)
	return w.owner != w.index
}

// toVIP handles packets addressed to a virtual IP.
func (w *worker) toVIP(buf []byte, off int, inPort int) verdict {
	frame := buf[off:]
	p := w.p
	switch p.Proto {
	case packet.ProtoTCP, packet.ProtoUDP:
		if w.redirect(p.Src, p.SrcPort) {
			return vRedirect
		}
		w.key = conntrack.Key{SrcIP: p.Src, DstIP: p.Dst, SrcPort: p.SrcPort, DstPort: p.DstPort, Proto: p.Proto}
		return vLookupIn
	case packet.ProtoICMP:
		if p.ICMPType == 8 {
			return w.echoReply(frame, inPort)
		}
		if packet.IsICMPError(p.ICMPType) {
			return w.icmpErrorToVIP(buf, off)
		}
		return w.dropped(DropICMPUnhandled)
	}
	return w.dropped(DropLocalProto)
}

// toSelf handles packets addressed to one of the director's own addresses.
func (w *worker) toSelf(frame []byte, inPort int) verdict {
	if w.p.Proto == packet.ProtoICMP {
		if w.p.ICMPType == 8 {
			return w.echoReply(frame, inPort)
		}
		return w.dropped(DropICMPUnhandled)
	}
	return w.dropped(DropLocalProto)
}

func (w *worker) echoReply(frame []byte, inPort int) verdict {
	if !packet.EchoReplyInPlace(frame, w.p) {
		return w.dropped(DropICMPUnhandled)
	}
	w.outPort = inPort
	return vForward
}

// transit handles packets to neither a VIP nor us: replies of NAT connections.
func (w *worker) transit(frame []byte) verdict {
	p := w.p
	switch p.Proto {
	case packet.ProtoTCP, packet.ProtoUDP:
		if w.redirect(p.Dst, p.DstPort) {
			return vRedirect
		}
		w.key = conntrack.Key{SrcIP: p.Src, DstIP: p.Dst, SrcPort: p.SrcPort, DstPort: p.DstPort, Proto: p.Proto}
		return vLookupOut
	case packet.ProtoICMP:
		if packet.IsICMPError(p.ICMPType) {
			return w.icmpErrorFromServer(frame)
		}
	}
	return w.dropped(DropNotLocal)
}

// finishIn forwards a client->VIP packet (parse in w.p, key in w.key) of
// connection c, creating the connection when c is nil.
func (w *worker) finishIn(buf []byte, off int, c *conntrack.Conn) verdict {
	if c == nil {
		// An earlier packet of the same burst may have created it since
		// the batched lookup.
		if c, _ = w.conns.LookupIn(w.key); c == nil {
			var d Drop
			if c, d = w.newConn(); c == nil {
				return w.dropped(d)
			}
		}
	}
	switch Method(c.Method) {
	case MethodDR:
		return w.drIn(buf[off:], c, true)
	case MethodTUN:
		return w.tunIn(buf, off, c, true)
	}
	return w.natIn(buf[off:], c)
}

// finishOut forwards a reply of NAT connection c (nil: not a reply).
func (w *worker) finishOut(frame []byte, c *conntrack.Conn) verdict {
	if c == nil {
		return w.dropped(DropNotLocal)
	}
	return w.natOut(frame, c)
}

// newConn schedules a new connection for the packet in w.p.
func (w *worker) newConn() (*conntrack.Conn, Drop) {
	p := w.p
	svc := w.snap.lookupService(p.Dst, p.Proto, p.DstPort)
	if svc == nil {
		return nil, DropNoService
	}
	if p.Proto == packet.ProtoTCP && p.TCPFlags&(tcpSYN|tcpACK|tcpRST) != tcpSYN {
		return nil, DropNoConn // as IPVS: only a SYN opens a TCP connection
	}
	w.schedIn.ClientIP, w.schedIn.ClientPort = p.Src, p.SrcPort
	i := svc.scheduler.Pick(&w.schedState[svc.index], &w.schedIn)
	if i < 0 || i >= len(svc.dests) {
		return nil, DropNoDest
	}
	d := &svc.dests[i]
	c := conntrack.Conn{
		ClientIP: p.Src, VIP: p.Dst, RSIP: d.ip,
		ClientPort: p.SrcPort, VPort: p.DstPort, RSPort: d.port,
		Proto: p.Proto, Method: uint8(d.method), SvcID: svc.id, RSID: d.id,
		State: conntrack.StateNone,
	}
	if p.Proto == packet.ProtoUDP {
		c.State = conntrack.StateUDP
	}
	c.Expire = w.now + w.snap.timeouts[c.State]
	cp, ok := w.conns.Insert(c)
	if !ok {
		return nil, DropConnTableFull
	}
	add(&w.cnt.created, 1)
	add(&w.cnt.live, 1)
	add(&w.cnt.svc[svc.id].conns, 1)
	add(&w.cnt.rs[d.id].conns, 1)
	w.countState(cp, cp.State, 1)
	return cp, dropNone
}

// countState adds delta to the active/inactive gauge that state belongs to.
func (w *worker) countState(c *conntrack.Conn, state uint8, delta int) {
	rs, svc := &w.cnt.rs[c.RSID], &w.cnt.svc[c.SvcID]
	a, b := &rs.inactive, &svc.inactive
	if conntrack.IsActive(state) {
		a, b = &rs.active, &svc.active
	}
	if delta > 0 {
		add(a, 1)
		add(b, 1)
	} else {
		sub(a, 1)
		sub(b, 1)
	}
}

// track advances the connection's state and timer for a packet of it. DR
// and TUN connections only show the director their client side, so they
// follow IPVS's input-only table.
func (w *worker) track(c *conntrack.Conn, fromClient bool) {
	if c.Proto == packet.ProtoTCP {
		var ns uint8
		if Method(c.Method) == MethodNAT {
			ns = conntrack.NextTCPState(c.State, fromClient, w.p.TCPFlags)
		} else {
			ns = conntrack.NextTCPStateInputOnly(c.State, w.p.TCPFlags)
		}
		if ns != c.State {
			if conntrack.IsActive(ns) != conntrack.IsActive(c.State) {
				w.countState(c, c.State, -1)
				w.countState(c, ns, 1)
			}
			c.State = ns
		}
	}
	c.Expire = w.now + w.snap.timeouts[c.State]
}

func (w *worker) onExpire(c *conntrack.Conn) {
	sub(&w.cnt.live, 1)
	w.countState(c, c.State, -1)
}

func (w *worker) ipLen() uint64 { return uint64(w.p.IPEnd - w.p.L3Off) }

// countIn counts a client->server packet of c (before any rewrite).
func (w *worker) countIn(c *conntrack.Conn) { w.count(c, dirIn) }

// countOut counts a server->client packet of c (NAT replies).
func (w *worker) countOut(c *conntrack.Conn) { w.count(c, dirOut) }

func (w *worker) count(c *conntrack.Conn, dir int) {
	n := w.ipLen()
	rs, svc, m := &w.cnt.rs[c.RSID].dir[dir], &w.cnt.svc[c.SvcID].dir[dir], &w.cnt.method[c.Method%numMethods]
	add(&rs.pkts, 1)
	add(&rs.bytes, n)
	add(&svc.pkts, 1)
	add(&svc.bytes, n)
	add(&m.pkts, 1)
	add(&m.bytes, n)
}

// natIn forwards a client->VIP packet of connection c to its real server.
func (w *worker) natIn(frame []byte, c *conntrack.Conn) verdict {
	p := w.p
	if !packet.DecTTL(frame, p) {
		return w.dropped(DropTTLExceeded)
	}
	w.track(c, true)
	w.countIn(c)
	packet.SetDst(frame, p, c.RSIP, c.RSPort)
	return w.toHost(frame, c.RSIP)
}

// natOut forwards a server->client reply of connection c, source back to the VIP.
func (w *worker) natOut(frame []byte, c *conntrack.Conn) verdict {
	p := w.p
	if !packet.DecTTL(frame, p) {
		return w.dropped(DropTTLExceeded)
	}
	w.track(c, false)
	w.countOut(c)
	packet.SetSrc(frame, p, c.VIP, c.VPort)
	return w.toHost(frame, c.ClientIP)
}

// icmpErrorToVIP: a client reports an error about a packet the VIP sent it;
// translate it like the connection (NAT) or pass it on as the connection's
// packets go (DR, TUN), to the real server.
func (w *worker) icmpErrorToVIP(buf []byte, off int) verdict {
	frame := buf[off:]
	p, q := w.p, &w.q
	if !packet.ParseICMPError(frame, p, q) || !q.HasPorts {
		return w.dropped(DropICMPUnhandled)
	}
	// quoted: VIP:vport -> client:cport
	if w.redirect(q.Dst, q.DstPort) {
		return vRedirect
	}
	c, ok := w.conns.LookupIn(quotedKey(q))
	if !ok {
		return w.dropped(DropICMPUnhandled)
	}
	switch Method(c.Method) {
	case MethodDR:
		return w.drIn(frame, c, false)
	case MethodTUN:
		return w.tunIn(buf, off, c, false)
	}
	if !packet.DecTTL(frame, p) {
		return w.dropped(DropTTLExceeded)
	}
	w.countIn(c)
	packet.ICMPErrorSetOuterDstInnerSrc(frame, p, q, c.RSIP, c.RSIP, c.RSPort)
	return w.toHost(frame, c.RSIP)
}

// icmpErrorFromServer: a real server reports an error about a packet of a
// connection (e.g. UDP port unreachable); the client must see it from the VIP.
func (w *worker) icmpErrorFromServer(frame []byte) verdict {
	p, q := w.p, &w.q
	if !packet.ParseICMPError(frame, p, q) || !q.HasPorts {
		return w.dropped(DropNotLocal)
	}
	// quoted: client:cport -> RS:rport
	if w.redirect(q.Src, q.SrcPort) {
		return vRedirect
	}
	c, ok := w.conns.LookupOut(quotedKey(q))
	if !ok {
		return w.dropped(DropNotLocal)
	}
	if !packet.DecTTL(frame, p) {
		return w.dropped(DropTTLExceeded)
	}
	w.countOut(c)
	packet.ICMPErrorSetOuterSrcInnerDst(frame, p, q, c.VIP, c.VIP, c.VPort)
	return w.toHost(frame, c.ClientIP)
}

// quotedKey is the connection key of the direction opposite to the packet
// an ICMP error quotes: the error travels back along the connection.
func quotedKey(q *packet.Quoted) conntrack.Key {
	return conntrack.Key{SrcIP: q.Dst, DstIP: q.Src, SrcPort: q.DstPort, DstPort: q.SrcPort, Proto: q.Proto}
}

// hostCacheSize is the number of destinations whose route and next-hop MAC
// a worker remembers (direct-mapped): real servers and busy clients hit it.
const hostCacheSize = 1024

// hostEntry is a cached route to one destination, valid while the neighbour
// table's version and the snapshot are those it was filled with.
type hostEntry struct {
	dst  uint32
	ver  uint32
	mac  packet.MAC
	port uint8
	ok   bool
}

// toHost routes the frame to dst: picks the port and next hop, and sets the
// Ethernet addresses from the neighbour table (through the worker's cache).
func (w *worker) toHost(frame []byte, dst uint32) verdict {
	e := &w.hosts[(dst*0x9E3779B1)>>(32-10)]
	if ver := w.neigh.Version(); e.ok && e.dst == dst && e.ver == ver {
		packet.SetEth(frame, e.mac, w.snap.ports[e.port].mac)
		w.outPort = int(e.port)
		return vForward
	}
	return w.toHostSlow(frame, dst, e)
}

func (w *worker) toHostSlow(frame []byte, dst uint32, e *hostEntry) verdict {
	ver := w.neigh.Version() // before the lookup: a change after it invalidates the entry
	port, hop, ok := route(w.snap.ports, dst)
	if !ok {
		return w.dropped(DropNoRoute)
	}
	mac, ok := w.neigh.Lookup(hop)
	if !ok {
		w.resolve(port, hop)
		return w.dropped(DropNeighUnresolved)
	}
	*e = hostEntry{dst: dst, ver: ver, mac: mac, port: uint8(port), ok: true}
	packet.SetEth(frame, mac, w.snap.ports[port].mac)
	w.outPort = port
	return vForward
}
