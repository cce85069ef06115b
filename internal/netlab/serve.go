package netlab

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// ServeHTTP serves HTTP inside ns on addr (e.g. ":8080"): every response
// has body ident and header X-Server: ident. The returned func stops it.
// (HTTPServer is the same server under the test's control.)
func ServeHTTP(ns *NS, addr, ident string) (stop func(), err error) {
	s, err := StartHTTPServer(ns, addr, ident)
	if err != nil {
		return nil, err
	}
	return s.Stop, nil
}

// ServeTCPEchoIdent serves a line protocol inside ns on addr: each line
// received is answered with ident + ":" + line.
func ServeTCPEchoIdent(ns *NS, addr, ident string) (stop func(), err error) {
	return serveTCP(ns, addr, func(c net.Conn) {
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			if _, err := c.Write([]byte(ident + ":" + sc.Text() + "\n")); err != nil {
				return
			}
		}
	})
}

// ServeTCPSink serves uploads inside ns on addr: it reads each connection
// until the client shuts down its sending side, then answers one line,
// ident + " " + the number of bytes received, and closes.
func ServeTCPSink(ns *NS, addr, ident string) (stop func(), err error) {
	return serveTCP(ns, addr, func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(5 * time.Minute))
		n, err := io.Copy(io.Discard, c)
		if err != nil {
			fmt.Fprintf(c, "%s error after %d bytes: %v\n", ident, n, err)
			return
		}
		fmt.Fprintf(c, "%s %d\n", ident, n)
	})
}

// serveTCP accepts connections inside ns on addr and runs handle on each,
// closing the connection when handle returns. stop closes the listener and
// every open connection.
func serveTCP(ns *NS, addr string, handle func(net.Conn)) (stop func(), err error) {
	ln, err := ns.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			go func() {
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					c.Close()
				}()
				handle(c)
			}()
		}
	}()
	return func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}, nil
}

// ServeUDPEcho answers every datagram received inside ns on addr with
// ident + ":" + payload, sent back to its source.
func ServeUDPEcho(ns *NS, addr, ident string) (stop func(), err error) {
	pc, err := ns.ListenPacket("udp4", addr)
	if err != nil {
		return nil, err
	}
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFrom(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				continue
			}
			pc.WriteTo(append([]byte(ident+":"), buf[:n]...), from)
		}
	}()
	return func() { pc.Close() }, nil
}
