package dataplane

import (
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
)

// The connection listing (ipvsadm -Lnc) reads the workers' tables from
// the control plane while the lcores run (fastpath.Worker.DumpConns): the
// lcores do nothing for it. A call reads at most connScanBudget entries,
// so a table of millions is listed in pages, each a few milliseconds, and
// nothing waits on the listing meanwhile.
const (
	connScanBudget = 1 << 18
	// MaxConnPage bounds the connections one Conns call returns.
	MaxConnPage = 10000
)

// ConnQuery selects connections; zero fields match everything.
type ConnQuery struct {
	Proto   uint8          // packet.ProtoTCP, ProtoUDP
	Virtual netip.AddrPort // port 0: any port of the VIP
	Server  netip.AddrPort // port 0: any port of the server
	Client  netip.Prefix   // a client network (a single address as /32)
	State   string         // IPVS's name, e.g. ESTABLISHED (case-insensitive)
	Cursor  ConnCursor     // where the page starts: the zero cursor is the beginning
	Limit   int            // connections in the page: 1..MaxConnPage, 0 = MaxConnPage
}

// ConnCursor is a position in the workers' tables.
type ConnCursor struct {
	Worker int
	Index  uint32
}

// Conn is one connection as the listing shows it.
type Conn struct {
	Proto     string // tcp, udp
	State     string
	ExpiresIn time.Duration // 0 when overdue: the sweep removes it soon
	Client    netip.AddrPort
	Virtual   netip.AddrPort
	Server    netip.AddrPort
	Method    string
	Worker    int
	// Template: a persistence template (as ipvsadm -Lnc shows them:
	// client port 0, state NONE) pinning Client's network to Server.
	Template bool
	// Synced: entered from the sync master's records; no packet of it has
	// passed this director yet.
	Synced bool
}

// ConnPage is one page of the listing.
type ConnPage struct {
	Conns    []Conn
	Next     ConnCursor // pass it back for the next page
	Done     bool       // every table was read to its end
	Unstable int        // skipped because an lcore rewrote them while read
}

// dumper reads one worker's table: fastpath.Worker.DumpConns, or a
// harness in tests.
type dumper func(cursor uint32, limit, scan int) fastpath.DumpPage

// Conns lists one page of the connections that match q.
func (dp *Dataplane) Conns(q ConnQuery) (ConnPage, error) {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	if dp.stopped {
		return ConnPage{}, errors.New("dataplane stopped")
	}
	tables := make([]dumper, len(dp.workers))
	for i, w := range dp.workers {
		tables[i] = w.DumpConns
	}
	return listConns(tables, q)
}

// listConns reads tables from q.Cursor until the page is full, the scan
// budget is spent or every table was read.
func listConns(tables []dumper, q ConnQuery) (ConnPage, error) {
	match, err := q.matcher()
	if err != nil {
		return ConnPage{}, err
	}
	limit := q.Limit
	if limit <= 0 || limit > MaxConnPage {
		limit = MaxConnPage
	}
	page := ConnPage{Next: q.Cursor}
	budget := connScanBudget
	for page.Next.Worker < len(tables) {
		if budget <= 0 || len(page.Conns) >= limit {
			return page, nil
		}
		start := page.Next.Index
		d := tables[page.Next.Worker](start, limit-len(page.Conns), budget)
		budget -= int(d.Next - start)
		page.Unstable += d.Unstable
		for _, c := range d.Conns {
			if match(c) {
				page.Conns = append(page.Conns, listed(c, page.Next.Worker))
			}
		}
		page.Next.Index = d.Next
		if d.Done {
			page.Next = ConnCursor{Worker: page.Next.Worker + 1}
		}
	}
	page.Done = true
	return page, nil
}

// matcher compiles q into a test of one dumped connection.
func (q ConnQuery) matcher() (func(fastpath.DumpedConn) bool, error) {
	state := -1
	if q.State != "" {
		for s := range uint8(NumStates) {
			if strings.EqualFold(StateName(s), q.State) {
				state = int(s)
			}
		}
		if state < 0 {
			return nil, errors.New("unknown connection state " + q.State)
		}
	}
	if q.Client.IsValid() && !q.Client.Addr().Is4() || q.Virtual.IsValid() && !q.Virtual.Addr().Is4() || q.Server.IsValid() && !q.Server.Addr().Is4() {
		return nil, errors.New("connection filters take IPv4 addresses")
	}
	client := q.Client.Masked()
	return func(c fastpath.DumpedConn) bool {
		switch {
		case q.Proto != 0 && c.Proto != q.Proto,
			state >= 0 && int(c.State) != state,
			!addrPortMatch(q.Virtual, c.VIP, c.VPort),
			!addrPortMatch(q.Server, c.RSIP, c.RSPort),
			client.IsValid() && !client.Contains(u32Addr(c.ClientIP)):
			return false
		}
		return true
	}, nil
}

func addrPortMatch(want netip.AddrPort, ip uint32, port uint16) bool {
	if !want.IsValid() {
		return true
	}
	return want.Addr() == u32Addr(ip) && (want.Port() == 0 || want.Port() == port)
}

func listed(c fastpath.DumpedConn, worker int) Conn {
	proto := "tcp"
	if c.Proto == packet.ProtoUDP {
		proto = "udp"
	}
	return Conn{Proto: proto, State: StateName(c.State), ExpiresIn: time.Duration(max(c.ExpiresInMs, 0)) * time.Millisecond,
		Client:  netip.AddrPortFrom(u32Addr(c.ClientIP), c.ClientPort),
		Virtual: netip.AddrPortFrom(u32Addr(c.VIP), c.VPort),
		Server:  netip.AddrPortFrom(u32Addr(c.RSIP), c.RSPort),
		Method:  fastpath.MethodName(c.Method), Worker: worker, Template: c.Template, Synced: c.Synced}
}
