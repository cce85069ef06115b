package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// ClientTimeout bounds every request so govsctl never hangs on a stuck daemon.
const ClientTimeout = 5 * time.Second

// Client calls the admin API over a unix socket.
type Client struct {
	socket string
	http   *http.Client
}

// Dial returns a client for the daemon at socketPath. It connects lazily,
// per request, so it never fails itself.
func Dial(socketPath string) *Client {
	var d net.Dialer
	return &Client{
		socket: socketPath,
		http: &http.Client{
			Timeout: ClientTimeout,
			Transport: &http.Transport{
				DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
					return d.DialContext(ctx, "unix", socketPath)
				},
			},
		},
	}
}

// Socket is the path the client talks to.
func (c *Client) Socket() string { return c.socket }

// Status returns the daemon's state, ports and neighbours.
func (c *Client) Status() (Status, error) {
	var st Status
	return st, c.getJSON("/v1/status", &st)
}

// Services returns the services with their real servers and counters.
func (c *Client) Services() ([]Service, error) {
	var svcs []Service
	return svcs, c.getJSON("/v1/services", &svcs)
}

// Stats returns the per-lcore counters and drop reasons.
func (c *Client) Stats() (Stats, error) {
	var st Stats
	return st, c.getJSON("/v1/stats", &st)
}

// Reload asks the daemon to re-read and apply its configuration file.
func (c *Client) Reload() error {
	_, err := c.Do(http.MethodPost, "/v1/reload")
	return err
}

func (c *Client) getJSON(path string, v any) error {
	body, err := c.Do(http.MethodGet, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("govsd at %s: bad reply to %s: %w", c.socket, path, err)
	}
	return nil
}

// Do performs a request and returns the body of a successful reply; a
// failed one becomes an error carrying the daemon's message. govsctl -json
// prints the body as is.
func (c *Client) Do(method, path string) ([]byte, error) {
	req, err := http.NewRequest(method, "http://govsd"+path, nil)
	if err != nil {
		return nil, err
	}
	return c.roundTrip(req)
}

// roundTrip sends req and returns the body of a successful reply, as Do.
func (c *Client) roundTrip(req *http.Request) ([]byte, error) {
	method, path := req.Method, req.URL.Path
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, c.transportError(err)
	}
	if resp.StatusCode/100 != 2 {
		var e errorBody
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("govsd: %s", e.Error)
		}
		return nil, fmt.Errorf("govsd: %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// transportError names the socket and, when nothing answers there, suggests
// the usual cause.
func (c *Client) transportError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return fmt.Errorf("cannot reach govsd at %s: %v (is govsd running?)", c.socket, op.Err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("govsd at %s did not answer within %v", c.socket, ClientTimeout)
	}
	return fmt.Errorf("govsd at %s: %w", c.socket, err)
}
