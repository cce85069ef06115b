package admin

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ConnFilter selects connections for the listing (ipvsadm -Lnc); zero
// fields match everything.
type ConnFilter struct {
	Proto   string         // tcp, udp
	Virtual netip.AddrPort // port 0: every port of the VIP
	Server  netip.AddrPort // port 0: every port of the server
	Client  netip.Prefix   // a client address (/32) or network
	State   string         // IPVS's state name, any case
	Cursor  string         // from the previous page's Next; "" = the start
	Limit   int            // per page; 0 = the daemon's maximum
}

// Conn is one connection of the listing.
type Conn struct {
	Proto     string  `json:"proto"`
	State     string  `json:"state"`
	ExpiresIn float64 `json:"expires_in_s"`
	Client    string  `json:"client"`
	Virtual   string  `json:"virtual"`
	Server    string  `json:"server"`
	Method    string  `json:"method"`
	Lcore     int     `json:"worker"`
	// Synced: entered from the sync master's messages; no packet of it
	// has passed this director yet.
	Synced bool `json:"synced,omitempty"`
}

// ConnPage is one page of the listing: pass Next back for the next one
// until Done. A filtered page may be short or empty and still not Done.
type ConnPage struct {
	Conns    []Conn `json:"conns"`
	Next     string `json:"next,omitempty"`
	Done     bool   `json:"done"`
	Unstable int    `json:"unstable,omitempty"` // skipped: rewritten by an lcore while read
}

// ConnSource lists connections; the daemon implements it.
type ConnSource interface {
	Conns(ConnFilter) (ConnPage, error)
}

// Query is f as URL parameters.
func (f ConnFilter) Query() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("proto", f.Proto)
	set("state", f.State)
	set("cursor", f.Cursor)
	if f.Virtual.IsValid() {
		v.Set("virtual", f.Virtual.String())
	}
	if f.Server.IsValid() {
		v.Set("server", f.Server.String())
	}
	if f.Client.IsValid() {
		v.Set("client", f.Client.String())
	}
	if f.Limit > 0 {
		v.Set("limit", strconv.Itoa(f.Limit))
	}
	return v
}

// ParseConnFilter reads the URL parameters Query writes; an address may
// be given without a port (every port) and a client without a prefix
// length (that address).
func ParseConnFilter(v url.Values) (ConnFilter, error) {
	f := ConnFilter{Proto: strings.ToLower(v.Get("proto")), State: v.Get("state"), Cursor: v.Get("cursor")}
	var errs []error
	if f.Proto != "" && f.Proto != "tcp" && f.Proto != "udp" {
		errs = append(errs, fmt.Errorf("proto %q: want tcp or udp", f.Proto))
	}
	var err error
	if f.Virtual, err = parseAddrPortOrAddr(v.Get("virtual")); err != nil {
		errs = append(errs, fmt.Errorf("virtual: %w", err))
	}
	if f.Server, err = parseAddrPortOrAddr(v.Get("server")); err != nil {
		errs = append(errs, fmt.Errorf("server: %w", err))
	}
	if s := v.Get("client"); s != "" {
		if !strings.Contains(s, "/") {
			s += "/32"
		}
		if f.Client, err = netip.ParsePrefix(s); err != nil || !f.Client.Addr().Is4() {
			errs = append(errs, fmt.Errorf("client %q: want an IPv4 address or network", v.Get("client")))
		}
	}
	if s := v.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit < 1 {
			errs = append(errs, fmt.Errorf("limit %q: want a positive number", s))
		}
	}
	return f, errors.Join(errs...)
}

func parseAddrPortOrAddr(s string) (netip.AddrPort, error) {
	if s == "" {
		return netip.AddrPort{}, nil
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
		return netip.AddrPortFrom(a, 0), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil || !ap.Addr().Is4() {
		return netip.AddrPort{}, fmt.Errorf("%q: want IPv4 ADDR or ADDR:PORT", s)
	}
	return ap, nil
}

func (s *Server) conns(w http.ResponseWriter, r *http.Request) {
	cs, ok := s.src.(ConnSource)
	if !ok {
		writeJSON(w, http.StatusOK, ConnPage{Conns: []Conn{}, Done: true})
		return
	}
	f, err := ParseConnFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	page, err := cs.Conns(f)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if page.Conns == nil {
		page.Conns = []Conn{}
	}
	writeJSON(w, http.StatusOK, page)
}

// Conns fetches one page of the listing.
func (c *Client) Conns(f ConnFilter) (ConnPage, error) {
	var p ConnPage
	return p, c.getJSON("/v1/conns?"+f.Query().Encode(), &p)
}

// EachConnPage fetches the pages of the listing in turn, giving each to
// fn, until the last one or an error.
func (c *Client) EachConnPage(f ConnFilter, fn func(ConnPage) error) error {
	for {
		p, err := c.Conns(f)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		if p.Done {
			return nil
		}
		f.Cursor = p.Next
	}
}

// ConnHeader is the listing's heading, as ipvsadm -Lnc prints it.
const ConnHeader = "IPVS connection entries\npro expire state       source                virtual               destination\n"

// FormatConns writes one line per connection in ipvsadm -Lnc's columns
// (expire as mm:ss).
func FormatConns(w io.Writer, conns []Conn) error {
	var b strings.Builder
	for _, c := range conns {
		exp := time.Duration(c.ExpiresIn * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(&b, "%-3s %02d:%02d  %-11s %-21s %-21s %s\n", strings.ToUpper(c.Proto),
			int(exp.Minutes()), int(exp.Seconds())%60, c.State, c.Client, c.Virtual, c.Server)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
