package netlab

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// HTTPGetNewConn GETs url from inside ns over a new TCP connection
// (Connection: close) and returns the body. Non-200 answers are errors.
func HTTPGetNewConn(ns *NS, url string, timeout time.Duration) (body string, err error) {
	tr := &http.Transport{
		DialContext:       ns.DialContext,
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: timeout}
	resp, err := cl.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), nil
}

// LineConn is a long-lived TCP connection speaking the line protocol of
// ServeTCPEchoIdent.
type LineConn struct {
	net.Conn
	r *bufio.Reader
}

// DialLine opens a LineConn from inside ns.
func DialLine(ns *NS, addr string, timeout time.Duration) (*LineConn, error) {
	c, err := ns.Dial("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return &LineConn{Conn: c, r: bufio.NewReader(c)}, nil
}

// Exchange sends one line and returns the reply line without its newline.
func (l *LineConn) Exchange(line string, timeout time.Duration) (string, error) {
	l.SetDeadline(time.Now().Add(timeout))
	defer l.SetDeadline(time.Time{})
	if _, err := io.WriteString(l, line+"\n"); err != nil {
		return "", err
	}
	reply, err := l.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(reply, "\n"), nil
}

// UDPRequest sends payload to addr from a new socket inside ns and returns
// the first reply and the address it came from.
func UDPRequest(ns *NS, addr, payload string, timeout time.Duration) (reply string, peer netip.AddrPort, err error) {
	dst, err := netip.ParseAddrPort(addr)
	if err != nil {
		return "", peer, err
	}
	pc, err := ns.ListenPacket("udp4", "0.0.0.0:0")
	if err != nil {
		return "", peer, err
	}
	defer pc.Close()
	uc := pc.(*net.UDPConn)
	uc.SetDeadline(time.Now().Add(timeout))
	if _, err := uc.WriteToUDPAddrPort([]byte(payload), dst); err != nil {
		return "", peer, err
	}
	buf := make([]byte, 64<<10)
	n, peer, err := uc.ReadFromUDPAddrPort(buf)
	if err != nil {
		return "", peer, err
	}
	return string(buf[:n]), netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port()), nil
}

// UploadTCP sends n bytes to addr over a new TCP connection from inside ns,
// shuts down its sending side and returns the reply line (see
// ServeTCPSink) without its newline. timeout bounds the whole exchange.
func UploadTCP(ns *NS, addr string, n int64, timeout time.Duration) (reply string, err error) {
	deadline := time.Now().Add(timeout)
	c, err := ns.Dial("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(deadline)
	chunk := make([]byte, 64<<10)
	for i := range chunk {
		chunk[i] = byte(i)
	}
	var sent int64
	for sent < n {
		k := min(int64(len(chunk)), n-sent)
		w, err := c.Write(chunk[:k])
		sent += int64(w)
		if err != nil {
			return "", fmt.Errorf("upload to %s: %d of %d bytes sent: %w", addr, sent, n, err)
		}
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return line, fmt.Errorf("upload to %s: all %d bytes sent, reading the reply: %w", addr, n, err)
	}
	return strings.TrimSuffix(line, "\n"), nil
}
