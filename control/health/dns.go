package health

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"syscall"
)

// dnsProber asks one question over UDP (keepalived's DNS_CHECK): up on a
// reply with our id and question and rcode NOERROR, holding, if required,
// a record of the type asked (or a CNAME).
type dnsProber struct {
	dialer        *net.Dialer
	addr          string
	query         []byte // id patched per check
	qname         string
	qtype         uint16
	requireAnswer bool
	buf           []byte
}

func newDNSProber(t Target) (*dnsProber, error) {
	c := t.Check
	name := strings.ToLower(strings.TrimSuffix(c.QueryName, "."))
	typeName := cmpOr(strings.ToUpper(c.QueryType), "SOA")
	qtype, ok := dnsTypes[typeName]
	if !ok {
		return nil, fmt.Errorf("unknown DNS query type %q", c.QueryType)
	}
	q, err := buildDNSQuery(0, name, qtype)
	if err != nil {
		return nil, err
	}
	return &dnsProber{dialer: dialer(&c), addr: connectAddr(t).String(), query: q, qname: name, qtype: qtype,
		requireAnswer: c.RequireAnswer, buf: make([]byte, 4096)}, nil
}

func (p *dnsProber) Probe(ctx context.Context) Result {
	conn, err := p.dialer.DialContext(ctx, "udp4", p.addr)
	if err != nil {
		return describe(ctx, err)
	}
	defer conn.Close()
	id := uint16(rand.Uint32())
	binary.BigEndian.PutUint16(p.query, id)
	var verdict Result
	// Replies with another id are not ours (late, or spoofed): read on.
	_, err = exchange(ctx, conn, p.query, p.buf, func(b []byte) bool {
		if len(b) < 2 || binary.BigEndian.Uint16(b) != id {
			return false
		}
		verdict = p.judge(b)
		return true
	})
	switch {
	case err == nil:
		return verdict
	case errors.Is(err, syscall.ECONNREFUSED):
		return failure("port unreachable (ICMP)")
	case errors.Is(err, os.ErrDeadlineExceeded):
		return Result{Timeout: true, Err: "no reply", Weight: -1}
	}
	return describe(ctx, err)
}

var rcodes = []string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"}

func (p *dnsProber) judge(b []byte) Result {
	m, err := parseDNS(b)
	if err != nil {
		return failure("bad reply: %v", err)
	}
	h := m.Header
	switch {
	case h.Flags&dnsFlagQR == 0:
		return failure("bad reply: not a response")
	case h.opcode() != 0:
		return failure("bad reply: opcode %d", h.opcode())
	case len(m.Questions) != 1 || m.Questions[0].Name != p.qname || m.Questions[0].Type != p.qtype:
		return failure("bad reply: not an answer to our question")
	case h.rcode() != 0:
		name := fmt.Sprintf("rcode %d", h.rcode())
		if h.rcode() < len(rcodes) {
			name = rcodes[h.rcode()]
		}
		return failure("DNS %s", name)
	}
	if !p.requireAnswer {
		return success()
	}
	for _, rr := range m.Answers {
		if rr.Type == p.qtype || rr.Type == dnsTypeCNAME {
			return success()
		}
	}
	if h.Flags&dnsFlagTC != 0 {
		return failure("reply truncated before an answer")
	}
	return failure("no answer record")
}
