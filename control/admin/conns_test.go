package admin

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// connFake pages through conns two at a time, checking it gets its cursor
// back.
type connFake struct {
	*fakeSource
	conns []Conn
	asked []ConnFilter
}

func (c *connFake) Conns(f ConnFilter) (ConnPage, error) {
	c.asked = append(c.asked, f)
	start := 0
	if f.Cursor != "" {
		start = int(f.Cursor[0] - '0')
	}
	end := min(start+2, len(c.conns))
	p := ConnPage{Conns: c.conns[start:end], Done: end == len(c.conns)}
	if !p.Done {
		p.Next = string(rune('0' + end))
	}
	return p, nil
}

func TestConnsOverTheSocketInPages(t *testing.T) {
	src := &connFake{fakeSource: newFake()}
	for i := range 5 {
		src.conns = append(src.conns, Conn{Proto: "tcp", State: "ESTABLISHED", ExpiresIn: 899.6, Client: "10.0.0.2:4000" + string(rune('0'+i)),
			Virtual: "10.0.0.100:80", Server: "10.1.0.11:8080", Method: "nat"})
	}
	path, _ := serve(t, src, nil)
	f := ConnFilter{Proto: "tcp", Virtual: netip.MustParseAddrPort("10.0.0.100:80"), Client: netip.MustParsePrefix("10.0.0.0/24"), State: "ESTABLISHED"}
	var got []Conn
	pages := 0
	if err := Dial(path).EachConnPage(f, func(p ConnPage) error { pages++; got = append(got, p.Conns...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || pages != 3 {
		t.Fatalf("%d connections in %d pages, want 5 in 3", len(got), pages)
	}
	first := src.asked[0]
	if first.Proto != "tcp" || first.Virtual != f.Virtual || first.Client != f.Client || first.State != "ESTABLISHED" || first.Cursor != "" {
		t.Errorf("the daemon was asked %+v, want %+v", first, f)
	}
	if src.asked[2].Cursor != "4" {
		t.Errorf("third page asked from cursor %q, want 4", src.asked[2].Cursor)
	}
	var b strings.Builder
	if err := FormatConns(&b, got[:1]); err != nil {
		t.Fatal(err)
	}
	if want := "TCP 15:00  ESTABLISHED 10.0.0.2:40000        10.0.0.100:80         10.1.0.11:8080\n"; b.String() != want {
		t.Errorf("FormatConns:\n%q\nwant\n%q", b.String(), want)
	}
	// A source without a listing answers an empty, finished page.
	path, _ = serve(t, newFake(), nil)
	if p, err := Dial(path).Conns(ConnFilter{}); err != nil || !p.Done || len(p.Conns) != 0 {
		t.Errorf("without a listing: %+v, %v", p, err)
	}
}

func TestParseConnFilter(t *testing.T) {
	for _, c := range []struct {
		query, err string
		want       ConnFilter
	}{
		{"", "", ConnFilter{}},
		{"proto=UDP&virtual=10.0.0.100&server=10.1.0.11:53&client=10.0.0.2&state=udp&limit=5&cursor=1:2", "",
			ConnFilter{Proto: "udp", Virtual: netip.MustParseAddrPort("10.0.0.100:0"), Server: netip.MustParseAddrPort("10.1.0.11:53"),
				Client: netip.MustParsePrefix("10.0.0.2/32"), State: "udp", Limit: 5, Cursor: "1:2"}},
		{"client=10.0.0.0/8", "", ConnFilter{Client: netip.MustParsePrefix("10.0.0.0/8")}},
		{"proto=sctp", "proto", ConnFilter{}},
		{"virtual=::1", "virtual", ConnFilter{}},
		{"server=10.1.0.11:99999", "server", ConnFilter{}},
		{"client=10.0.0.0/33", "client", ConnFilter{}},
		{"limit=0", "limit", ConnFilter{}},
		{"proto=x&limit=-1", "limit", ConnFilter{}}, // every error is reported
	} {
		v, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseConnFilter(v)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: err %v, want one about %s", c.query, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.query, err)
		case c.err == "" && got != c.want:
			t.Errorf("%q: %+v, want %+v", c.query, got, c.want)
		}
		if c.err == "" {
			if back, err := ParseConnFilter(got.Query()); err != nil || back != got {
				t.Errorf("%q: Query() does not round-trip: %+v, %v", c.query, back, err)
			}
		}
	}
}
