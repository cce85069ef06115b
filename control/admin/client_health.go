package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
)

// Health returns every checker's state and every service's quorum.
func (c *Client) Health() (Health, error) {
	var h Health
	return h, c.getJSON("/v1/health", &h)
}

// Events calls fn for each state change the daemon streams until ctx is
// done, the daemon stops (nil) or fn returns an error (that error). Unlike
// the other calls it has no overall timeout: a stream lasts.
func (c *Client) Events(ctx context.Context, fn func(Event) error) error {
	var d net.Dialer
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", c.socket)
		},
		ResponseHeaderTimeout: ClientTimeout,
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://govsd/v1/events", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return c.transportError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("govsd: GET /v1/events: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var ev Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return fmt.Errorf("govsd at %s: bad event %q: %w", c.socket, sc.Text(), err)
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}
