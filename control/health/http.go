package health

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxBody bounds the body read for a regex or a digest; a longer body
// fails a digest check and is matched on its first maxBody bytes.
const maxBody = 1 << 20

// httpProber sends one HTTP/1.1 request on a new connection per check
// (as keepalived's HTTP_GET and SSL_GET) and judges the answer. The
// request is rendered once; only the connection is per check.
type httpProber struct {
	dialer  *net.Dialer
	addr    string
	tls     *tls.Config // nil for http
	request []byte
	method  *http.Request // tells ReadResponse whether a body follows (HEAD)
	status  StatusSet
	re      *regexp.Regexp
	digest  []byte // nil: none
}

var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

func newHTTPProber(t Target) (*httpProber, error) {
	c := t.Check
	target := connectAddr(t)
	p := &httpProber{dialer: dialer(&c), addr: target.String(), status: c.Status}
	if p.status.IsZero() {
		p.status.Add(200, 299)
	}
	method, path, host := cmpOr(c.Method, "GET"), cmpOr(c.Path, "/"), c.Host
	if host == "" {
		host = target.Addr().String()
		if std := (c.Kind == KindHTTP && target.Port() == 80) || (c.Kind == KindHTTPS && target.Port() == 443); !std {
			host = target.String()
		}
	}
	for _, f := range []string{method, path, host} {
		if strings.ContainsFunc(f, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return nil, fmt.Errorf("%q has spaces or control characters", f)
		}
	}
	p.request = fmt.Appendf(nil, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: govs-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n",
		method, path, host)
	p.method = &http.Request{Method: method}
	if c.BodyRegex != "" {
		re, err := regexp.Compile(c.BodyRegex)
		if err != nil {
			return nil, fmt.Errorf("body regex: %w", err)
		}
		p.re = re
	}
	if c.Digest != "" {
		d, err := hex.DecodeString(c.Digest)
		if err != nil || len(d) != md5.Size {
			return nil, fmt.Errorf("digest %q is not 32 hex digits", c.Digest)
		}
		p.digest = d
	}
	if c.Kind == KindHTTPS {
		p.tls = &tls.Config{
			ServerName:         c.TLSSNI,
			InsecureSkipVerify: !c.TLSVerify,
			// A new connection per check, as keepalived, but resumed:
			// a full handshake per check is most of an https check's cost.
			ClientSessionCache: tls.NewLRUClientSessionCache(1),
		}
		if c.TLSVerify && c.TLSSNI == "" {
			// Verify against the Host name, or the address's IP SAN.
			p.tls.ServerName = cmpOr(c.Host, target.Addr().String())
		}
	}
	return p, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (p *httpProber) Probe(ctx context.Context) Result {
	raw, err := p.dialer.DialContext(ctx, "tcp4", p.addr)
	if err != nil {
		return describe(ctx, err)
	}
	defer raw.Close()
	if dl, ok := ctx.Deadline(); ok {
		raw.SetDeadline(dl)
	}
	// A cancelled context (Stop) ends the exchange at once.
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	conn := raw
	if p.tls != nil {
		tc := tls.Client(raw, p.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return describe(ctx, fmt.Errorf("TLS handshake: %w", err))
		}
		conn = tc
	}
	if _, err := conn.Write(p.request); err != nil {
		return describe(ctx, err)
	}
	br := readers.Get().(*bufio.Reader)
	br.Reset(conn)
	defer func() { br.Reset(nil); readers.Put(br) }()
	resp, err := http.ReadResponse(br, p.method)
	if err != nil {
		return describe(ctx, fmt.Errorf("reading the response: %w", err))
	}
	defer resp.Body.Close()
	if !p.status.Has(resp.StatusCode) {
		return failure("HTTP status %d is not an expected one", resp.StatusCode)
	}
	if p.re == nil && p.digest == nil {
		return success()
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return describe(ctx, fmt.Errorf("reading the body: %w", err))
	}
	if p.digest != nil {
		if len(body) > maxBody {
			return failure("body longer than %d bytes: no digest taken", maxBody)
		}
		if sum := md5.Sum(body); !bytes.Equal(sum[:], p.digest) {
			return failure("body digest %s, want %s", hex.EncodeToString(sum[:]), hex.EncodeToString(p.digest))
		}
	}
	if p.re != nil && !p.re.Match(body[:min(len(body), maxBody)]) {
		return failure("body does not match %s (HTTP %s)", strconv.Quote(p.re.String()), resp.Status)
	}
	return success()
}
