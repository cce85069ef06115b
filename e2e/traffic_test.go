package e2e

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// httpResult is what n GETs saw: answers per server ident, and failures.
type httpResult struct {
	perServer map[string]int
	errs      []error
}

func (r httpResult) ok() int {
	n := 0
	for _, c := range r.perServer {
		n += c
	}
	return n
}

// firstErrors formats up to 5 failures.
func (r httpResult) firstErrors() string {
	s := ""
	for i, err := range r.errs {
		if i == 5 {
			s += fmt.Sprintf("... and %d more", len(r.errs)-5)
			break
		}
		s += "\n  " + err.Error()
	}
	return s
}

// getMany sends n GETs to url from ns, each on a new TCP connection, with
// the given number of concurrent workers. It stops early at the overall
// deadline; requests not sent then count as failures.
func getMany(ns *netlab.NS, url string, n, workers int, overall time.Duration) httpResult {
	res := httpResult{perServer: map[string]int{}}
	var mu sync.Mutex
	jobs := make(chan int, n)
	for i := range n {
		jobs <- i
	}
	close(jobs)
	deadline := time.Now().Add(overall)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				var body string
				err := fmt.Errorf("request %d not sent: overall deadline %v passed", i, overall)
				if time.Now().Before(deadline) {
					body, err = netlab.HTTPGetNewConn(ns, url, 5*time.Second)
				}
				mu.Lock()
				if err != nil {
					res.errs = append(res.errs, fmt.Errorf("request %d: %w", i, err))
				} else {
					res.perServer[body]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return res
}

// checkWeightedShares sends n GETs on new connections to url from ns and
// checks that all are answered and each server's share is within 10 % of
// want (ident -> share); no other server may answer.
func checkWeightedShares(t *testing.T, ns *netlab.NS, url string, n int, want map[string]float64) {
	t.Helper()
	start := time.Now()
	res := getMany(ns, url, n, 4, 90*time.Second)
	t.Logf("%d GETs in %v: %v", n, time.Since(start).Round(time.Millisecond), res.perServer)
	if len(res.errs) > 0 {
		t.Fatalf("%d of %d requests failed:%s", len(res.errs), n, res.firstErrors())
	}
	for ident, share := range want {
		got := float64(res.perServer[ident]) / float64(n)
		if math.Abs(got-share) > 0.10*share {
			t.Errorf("%s answered %.3f of requests, want %.3f ±10%%", ident, got, share)
		}
	}
	for ident := range res.perServer {
		if _, ok := want[ident]; !ok {
			t.Errorf("unexpected answer %q", ident)
		}
	}
}

// shares1to3 is what weights 1:2:3 over rs1..rs3 should give.
var shares1to3 = map[string]float64{"rs1": 1.0 / 6, "rs2": 2.0 / 6, "rs3": 3.0 / 6}

// checkUDPService sends 12 datagrams to addr from ns, each from a new
// socket (a new flow), and checks each is answered once with the payload,
// from addr itself, and that round-robin spread them over every server.
func checkUDPService(t *testing.T, ns *netlab.NS, addr string, servers []*netlab.Server) {
	t.Helper()
	const n = 12
	per := map[string]int{}
	retries := 0
	for i := range n {
		payload := fmt.Sprintf("q%d", i)
		var reply string
		var peer netip.AddrPort
		var err error
		// A lost datagram is not retransmitted by UDP: allow one retry
		// (from a new socket, i.e. a new flow) and report it.
		for try := range 2 {
			reply, peer, err = netlab.UDPRequest(ns, addr, payload, 2*time.Second)
			if err == nil {
				break
			}
			if try == 0 {
				retries++
			}
		}
		if err != nil {
			t.Fatalf("request %d to %s: %v", i, addr, err)
		}
		if peer.String() != addr {
			t.Errorf("request %d: reply came from %s, want %s", i, peer, addr)
		}
		ident, got, ok := strings.Cut(reply, ":")
		if !ok || got != payload {
			t.Errorf("request %d: reply %q, want <rs>:%s", i, reply, payload)
		}
		per[ident]++
	}
	t.Logf("answers per server %v, retries %d", per, retries)
	if retries > 1 {
		t.Errorf("%d of %d UDP requests needed a retry", retries, n)
	}
	for _, s := range servers {
		if per[s.Ident] == 0 {
			t.Errorf("%s never answered: rr should spread %d flows over all servers (got %v)", s.Ident, n, per)
		}
	}
}

// lineSession is one long-lived connection to a line echo service
// (netlab.ServeTCPEchoIdent) that must always be answered by the server
// that answered its first line.
type lineSession struct {
	t      *testing.T
	lc     *netlab.LineConn
	server string // ident of the server that answers
}

// openLineSession connects from ns to addr and sends a first line.
func openLineSession(t *testing.T, ns *netlab.NS, addr string) *lineSession {
	t.Helper()
	lc, err := netlab.DialLine(ns, addr, 5*time.Second)
	if err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	t.Cleanup(func() { lc.Close() })
	s := &lineSession{t: t, lc: lc}
	first := exchange(t, lc, "hello")
	server, _, ok := strings.Cut(first, ":")
	if !ok {
		t.Fatalf("first line answered %q, want <rs>:hello", first)
	}
	s.server = server
	return s
}

// say sends line and fails the test unless the same server answers it.
func (s *lineSession) say(line string) {
	s.t.Helper()
	if got := exchange(s.t, s.lc, line); got != s.server+":"+line {
		s.t.Fatalf("line %q on the long-lived connection answered %q, want %s:%s", line, got, s.server, line)
	}
}

// exchange sends one line and fails t unless a reply comes in time.
func exchange(t *testing.T, lc *netlab.LineConn, line string) string {
	t.Helper()
	got, err := lc.Exchange(line, 5*time.Second)
	if err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	return got
}

// httpGetServerCloses sends one GET (Connection: close) on c, reads the
// answer, waits for the server to close its side, then closes c. The
// server closes first, so the TIME_WAIT is the server's and the client may
// connect again from the same port at once. It returns the body (the
// answering server's ident).
func httpGetServerCloses(c net.Conn, timeout time.Duration) (string, error) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: "+vip+"\r\nConnection: close\r\n\r\n"); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return "", err
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return string(body), err
	}
	if resp.StatusCode != http.StatusOK {
		return string(body), fmt.Errorf("GET: %s", resp.Status)
	}
	if n, err := io.Copy(io.Discard, r); err != nil || n != 0 {
		return string(body), fmt.Errorf("waiting for the server to close after its answer: %d more bytes, %v", n, err)
	}
	return string(body), nil
}
