package health

import (
	"bytes"
	"strings"
	"testing"
)

func TestDNSQueryRoundTrip(t *testing.T) {
	for _, name := range []string{"", ".", "example.com", "WWW.Example.COM.", strings.Repeat("a", 63) + ".b"} {
		q, err := buildDNSQuery(0xbeef, name, dnsTypes["AAAA"])
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		m, err := parseDNS(q)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		want := strings.ToLower(strings.TrimSuffix(name, "."))
		if m.Header.ID != 0xbeef || m.Header.Flags != dnsFlagRD || len(m.Questions) != 1 ||
			m.Questions[0] != (dnsQuestion{Name: want, Type: 28, Class: dnsClassIN}) {
			t.Errorf("%q: parsed %+v", name, m)
		}
	}
	for _, bad := range []string{"a..b", strings.Repeat("a", 64), strings.Repeat("abcdefg.", 40)} {
		if _, err := buildDNSQuery(1, bad, 1); err == nil {
			t.Errorf("%q encoded", bad)
		}
	}
}

func TestParseDNSAnswers(t *testing.T) {
	q, _ := buildDNSQuery(7, "example.com", 1)
	reply := dnsReply(7, dnsFlagQR|dnsFlagRD, q, [][]byte{rr(5, []byte{3, 'w', 'w', 'w', 0xc0, 12}), rr(1, []byte{10, 0, 0, 1})})
	m, err := parseDNS(reply)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Answers) != 2 || m.Answers[0].Name != "example.com" || m.Answers[0].Type != 5 ||
		m.Answers[1].TTL != 60 || !bytes.Equal(m.Answers[1].Data, []byte{10, 0, 0, 1}) {
		t.Errorf("answers %+v", m.Answers)
	}
	// The name behind a pointer, then more labels, then a pointer again.
	name, next, err := readDNSName(append(reply, 1, 'x', 0xc0, 12), len(reply))
	if err != nil || name != "x.example.com" || next != len(reply)+4 {
		t.Errorf("readDNSName = %q, %d, %v", name, next, err)
	}
}

func TestParseDNSRejects(t *testing.T) {
	q, _ := buildDNSQuery(7, "example.com", 1)
	header := func(qd, an byte) []byte { return []byte{0, 7, 0x80, 0, 0, qd, 0, an, 0, 0, 0, 0} }
	long := header(1, 0)
	for range 5 {
		long = append(long, 63)
		long = append(long, bytes.Repeat([]byte{'a'}, 63)...)
	}
	long = append(long, 0, 0, 1, 0, 1)
	cases := []struct {
		name string
		msg  []byte
		err  string
	}{
		{"short header", q[:11], "truncated"},
		{"counts beyond the message", header(200, 200), "truncated"},
		{"question cut", q[:len(q)-1], "truncated"},
		{"label beyond the end", append(header(1, 0), 10, 'a'), "truncated"},
		{"forward pointer", append(header(1, 0), 0xc0, 14, 0, 0, 1, 0, 1), "does not point backwards"},
		{"self pointer", append(header(1, 0), 0xc0, 12, 0, 0, 1, 0, 1), "does not point backwards"},
		{"label type 0x40", append(header(1, 0), 0x41, 'a', 0, 0, 1, 0, 1), "unknown label type"},
		{"name over 255", long, "longer than 255"},
		{"rdata beyond the end", dnsReply(7, dnsFlagQR, q, [][]byte{rr(1, []byte{1, 2, 3, 4})[:14]}), "truncated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseDNS(tc.msg); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("err %v, want %q", err, tc.err)
			}
		})
	}
}

// FuzzParseDNS: whatever arrives from the network, parsing neither panics
// nor reads outside the message, and what it returns is consistent.
func FuzzParseDNS(f *testing.F) {
	q, _ := buildDNSQuery(7, "example.com", 1)
	f.Add(q)
	f.Add(dnsReply(7, dnsFlagQR, q, [][]byte{rr(1, []byte{10, 0, 0, 1})}))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseDNS(b)
		if err != nil {
			return
		}
		if len(m.Questions) != int(m.Header.QDCount) || len(m.Answers) != int(m.Header.ANCount) {
			t.Fatalf("parsed %d questions, %d answers of %d, %d", len(m.Questions), len(m.Answers), m.Header.QDCount, m.Header.ANCount)
		}
		for _, qu := range m.Questions {
			if len(qu.Name) > dnsMaxName {
				t.Fatalf("name of %d bytes", len(qu.Name))
			}
		}
		for _, a := range m.Answers {
			if len(a.Data) > len(b) {
				t.Fatal("record data longer than the message")
			}
		}
	})
}
