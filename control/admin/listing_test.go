package admin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// listingFake zeroes and rates: its listing differs from Services.
type listingFake struct {
	*fakeSource
	zeroed []string
}

func (f *listingFake) ServicesListing() []Service {
	svcs := f.Services()
	out := make([]Service, len(svcs))
	copy(out, svcs)
	out[0].Stats = Counters{}
	out[0].Rate = &Rates{CPS: 3}
	return out
}

func (f *listingFake) Zero(service string) error {
	if service == "mail" {
		return &NotFoundError{Msg: "no service mail"}
	}
	f.zeroed = append(f.zeroed, service)
	return nil
}

func TestListingAndZero(t *testing.T) {
	f := &listingFake{fakeSource: newFake()}
	s := NewServer(f, nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/services", nil))
	var svcs []Service
	if err := json.Unmarshal(rec.Body.Bytes(), &svcs); err != nil || svcs[0].Rate == nil || svcs[0].Rate.CPS != 3 || svcs[0].Stats.Conns != 0 {
		t.Errorf("/v1/services is not the listing: %s", rec.Body)
	}
	for _, tc := range []struct {
		method, path string
		code         int
		want         string
	}{
		{"POST", "/v1/zero", 200, `"ok": true`},
		{"POST", "/v1/zero?service=web", 200, `"ok": true`},
		{"POST", "/v1/zero?service=mail", 404, "no service mail"},
		{"GET", "/v1/zero", 405, "use POST"},
	} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s %s: %d %s, want %d %q", tc.method, tc.path, rec.Code, rec.Body, tc.code, tc.want)
		}
	}
	if strings.Join(f.zeroed, ",") != ",web" {
		t.Errorf("zeroed %q, want all then web", f.zeroed)
	}
	// Without a listing of its own, /v1/services is Services and zero 501.
	plain := NewServer(newFake(), nil)
	rec = httptest.NewRecorder()
	plain.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/zero", nil))
	if rec.Code != http.StatusNotImplemented {
		t.Errorf("zero on a daemon without it: %d, want 501", rec.Code)
	}
}

func TestFormatRateGolden(t *testing.T) {
	svcs := sampleServices()
	svcs[1].Rate = &Rates{CPS: 120, InPPS: 840, OutPPS: 700, InBPS: 56000, OutBPS: 1234567890}
	svcs[1].RealServers[0].Rate = &Rates{CPS: 20, InPPS: 140, OutPPS: 117, InBPS: 9333, OutBPS: 16333}
	var b bytes.Buffer
	if err := FormatRate(&b, svcs); err != nil {
		t.Fatal(err)
	}
	golden(t, "rate", b.Bytes())
}
