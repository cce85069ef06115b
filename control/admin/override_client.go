package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// SetOverrideRaw sends an override request and returns the reply's body
// (govsctl -json prints it as is).
func (c *Client) SetOverrideRaw(req OverrideRequest) ([]byte, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	r, err := http.NewRequest(http.MethodPost, "http://govsd/v1/servers/override", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	return c.roundTrip(r)
}

// SetOverride sets one server's override and returns it as applied.
func (c *Client) SetOverride(req OverrideRequest) (Override, error) {
	var o Override
	body, err := c.SetOverrideRaw(req)
	if err == nil {
		err = json.Unmarshal(body, &o)
	}
	return o, err
}

// ClearOverrideRaw drops one server's override.
func (c *Client) ClearOverrideRaw(service, server string) ([]byte, error) {
	q := url.Values{"service": {service}, "server": {server}}
	return c.Do(http.MethodDelete, "/v1/servers/override?"+q.Encode())
}

// ClearOverridesRaw drops every override; the reply counts them.
func (c *Client) ClearOverridesRaw() ([]byte, error) {
	return c.Do(http.MethodDelete, "/v1/overrides")
}

// Overrides lists every runtime override.
func (c *Client) Overrides() ([]Override, error) {
	var list []Override
	return list, c.getJSON("/v1/overrides", &list)
}

// Cleared reads the count in a clear's reply.
func Cleared(body []byte) (int, error) {
	var r struct {
		Cleared int `json:"cleared"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return 0, fmt.Errorf("bad reply to a clear: %w", err)
	}
	return r.Cleared, nil
}
