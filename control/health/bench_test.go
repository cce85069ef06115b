package health

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkHTTPProbe is the cost of one http check against a local server
// (the server's share of the CPU included): the scale target is 2000 of
// them a second.
func BenchmarkHTTPProbe(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	ap := addrOf(&testing.T{}, srv.Listener.Addr())
	p, err := newHTTPProber(Target{Addr: ap.Addr(), Port: ap.Port(), Check: Check{Kind: KindHTTP, Timeout: time.Second}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if r := p.Probe(ctx); !r.OK {
			b.Fatal(r.Err)
		}
		cancel()
	}
}
