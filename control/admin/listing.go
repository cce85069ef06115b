package admin

import (
	"net/http"
	"net/url"
)

// The listing (/v1/services, govsctl list, stats, rate) is what an
// operator reads; /metrics is what Prometheus scrapes. They differ in one
// way: `govsctl zero` (ipvsadm -Z) zeroes the listing's counters only,
// as a baseline subtracted from them, because Prometheus counters must
// only grow (a reset would read as a restart and break rate()).

// Rates are a service's or server's traffic per second, estimated as
// IPVS does (ipvsadm --rate): a moving average of 2-second samples.
type Rates struct {
	CPS    uint64 `json:"cps"`     // connections
	InPPS  uint64 `json:"in_pps"`  // packets from clients
	OutPPS uint64 `json:"out_pps"` // packets to clients
	InBPS  uint64 `json:"in_bps"`  // bytes from clients
	OutBPS uint64 `json:"out_bps"` // bytes to clients
}

// ListingSource is a daemon whose listing differs from what the metrics
// read: counters since the last zero, with rates.
type ListingSource interface {
	ServicesListing() []Service
}

// ZeroSource zeroes the listing's counters of one service ("" for all;
// named as in OverrideRequest).
type ZeroSource interface {
	Zero(service string) error
}

// listing is what /v1/services answers.
func listing(src Source) []Service {
	if ls, ok := src.(ListingSource); ok {
		return ls.ServicesListing()
	}
	return src.Services()
}

// zero is POST /v1/zero[?service=SVC].
func (s *Server) zero(w http.ResponseWriter, r *http.Request) {
	zs, ok := s.src.(ZeroSource)
	if !ok {
		writeError(w, http.StatusNotImplemented, "zeroing counters is not supported by this daemon")
		return
	}
	if err := zs.Zero(r.URL.Query().Get("service")); err != nil {
		writeOverrideError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// ZeroRaw zeroes the listing's counters of service ("" for all).
func (c *Client) ZeroRaw(service string) ([]byte, error) {
	path := "/v1/zero"
	if service != "" {
		path += "?" + url.Values{"service": {service}}.Encode()
	}
	return c.Do(http.MethodPost, path)
}
