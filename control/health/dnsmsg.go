package health

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// A small DNS codec (RFC 1035), just what a health check needs: build one
// query, parse a reply's header, questions and answers. The parser takes
// any bytes from the network: every length is checked, compression
// pointers may only point backwards and a name is at most 255 bytes.

// DNS record types a check may ask for.
var dnsTypes = map[string]uint16{
	"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
}

const (
	dnsTypeCNAME = 5
	dnsClassIN   = 1
	dnsHeaderLen = 12
	dnsMaxName   = 255

	dnsFlagQR = 1 << 15
	dnsFlagTC = 1 << 9
	dnsFlagRD = 1 << 8
)

type dnsHeader struct {
	ID, Flags                     uint16
	QDCount, ANCount, NSCount, AR uint16
}

func (h dnsHeader) rcode() int  { return int(h.Flags & 0xf) }
func (h dnsHeader) opcode() int { return int(h.Flags>>11) & 0xf }

type dnsQuestion struct {
	Name        string // lower case, without the final dot; "" is the root
	Type, Class uint16
}

type dnsRR struct {
	Name        string
	Type, Class uint16
	TTL         uint32
	Data        []byte // aliases the message
}

type dnsMessage struct {
	Header    dnsHeader
	Questions []dnsQuestion
	Answers   []dnsRR
}

// appendDNSName encodes name (text form, final dot optional) as labels.
func appendDNSName(b []byte, name string) ([]byte, error) {
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return append(b, 0), nil
	}
	if len(name) > dnsMaxName-2 {
		return nil, fmt.Errorf("name %q is too long", name)
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 {
			return nil, fmt.Errorf("name %q has an empty or over-long label", name)
		}
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	return append(b, 0), nil
}

// buildDNSQuery returns a query for (name, qtype, IN) with recursion
// desired; the id is bytes 0-1, patched per check.
func buildDNSQuery(id uint16, name string, qtype uint16) ([]byte, error) {
	b := make([]byte, dnsHeaderLen, dnsHeaderLen+len(name)+6)
	binary.BigEndian.PutUint16(b[0:], id)
	binary.BigEndian.PutUint16(b[2:], dnsFlagRD)
	binary.BigEndian.PutUint16(b[4:], 1)
	b, err := appendDNSName(b, name)
	if err != nil {
		return nil, err
	}
	b = binary.BigEndian.AppendUint16(b, qtype)
	return binary.BigEndian.AppendUint16(b, dnsClassIN), nil
}

var errDNSShort = errors.New("dns: message truncated")

// parseDNS parses a message's header, questions and answers (authority and
// additional records are not needed and not read).
func parseDNS(b []byte) (dnsMessage, error) {
	var m dnsMessage
	if len(b) < dnsHeaderLen {
		return m, errDNSShort
	}
	h := &m.Header
	h.ID = binary.BigEndian.Uint16(b[0:])
	h.Flags = binary.BigEndian.Uint16(b[2:])
	h.QDCount = binary.BigEndian.Uint16(b[4:])
	h.ANCount = binary.BigEndian.Uint16(b[6:])
	h.NSCount = binary.BigEndian.Uint16(b[8:])
	h.AR = binary.BigEndian.Uint16(b[10:])
	off := dnsHeaderLen
	// Each question takes at least 5 bytes and each record 11: counts
	// that cannot fit are refused before anything is allocated for them.
	if int(h.QDCount)*5+int(h.ANCount)*11 > len(b)-off {
		return m, errDNSShort
	}
	m.Questions = make([]dnsQuestion, 0, h.QDCount)
	for range h.QDCount {
		name, next, err := readDNSName(b, off)
		if err != nil {
			return m, err
		}
		if next+4 > len(b) {
			return m, errDNSShort
		}
		m.Questions = append(m.Questions, dnsQuestion{Name: name,
			Type: binary.BigEndian.Uint16(b[next:]), Class: binary.BigEndian.Uint16(b[next+2:])})
		off = next + 4
	}
	m.Answers = make([]dnsRR, 0, h.ANCount)
	for range h.ANCount {
		name, next, err := readDNSName(b, off)
		if err != nil {
			return m, err
		}
		if next+10 > len(b) {
			return m, errDNSShort
		}
		rr := dnsRR{Name: name, Type: binary.BigEndian.Uint16(b[next:]), Class: binary.BigEndian.Uint16(b[next+2:]),
			TTL: binary.BigEndian.Uint32(b[next+4:])}
		n := int(binary.BigEndian.Uint16(b[next+8:]))
		start := next + 10
		if start+n > len(b) {
			return m, errDNSShort
		}
		rr.Data = b[start : start+n : start+n]
		m.Answers = append(m.Answers, rr)
		off = start + n
	}
	return m, nil
}

// readDNSName reads the name at off, following compression pointers; it
// returns the name in lower case without the final dot and the offset
// after the name's first part.
func readDNSName(b []byte, off int) (string, int, error) {
	var name []byte
	next := -1 // where parsing resumes: after the first pointer, or the end
	wire := 0  // bytes of the name as it would be sent uncompressed
	for pos := off; ; {
		if pos >= len(b) {
			return "", 0, errDNSShort
		}
		l := int(b[pos])
		switch l & 0xc0 {
		case 0x00:
			if l == 0 {
				if next < 0 {
					next = pos + 1
				}
				return strings.ToLower(string(name)), next, nil
			}
			if pos+1+l > len(b) {
				return "", 0, errDNSShort
			}
			if wire += l + 1; wire+1 > dnsMaxName {
				return "", 0, errors.New("dns: name longer than 255 bytes")
			}
			if len(name) > 0 {
				name = append(name, '.')
			}
			name = append(name, b[pos+1:pos+1+l]...)
			pos += 1 + l
		case 0xc0:
			if pos+2 > len(b) {
				return "", 0, errDNSShort
			}
			ptr := int(binary.BigEndian.Uint16(b[pos:]) & 0x3fff)
			// Only backwards: a pointer loop is then impossible.
			if ptr >= pos {
				return "", 0, errors.New("dns: compression pointer does not point backwards")
			}
			if next < 0 {
				next = pos + 2
			}
			pos = ptr
		default:
			return "", 0, fmt.Errorf("dns: unknown label type 0x%02x", l&0xc0)
		}
	}
}
