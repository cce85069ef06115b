package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The health case's real servers: this binary run again as
// `bench health-server -ports A-B` inside the server namespace, a process
// of its own so that its CPU is measured apart from govsd's and the
// harness's. It answers every request on every port with 200 and closes
// the connection (the server closes first: TIME_WAIT stays on its side,
// as with a web server answering `Connection: close`).

const (
	healthServerCmd   = "health-server"
	healthServerReady = "health-server ready"
	// healthServerTotals starts the line the server prints when it stops.
	healthServerTotals = "health-server totals:"
)

var healthReply = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

// healthServerStats are the server's counts.
type healthServerStats struct {
	served, bad atomic.Uint64 // answered; closed without a complete request
}

// runHealthServer is the subcommand: it serves until SIGTERM or SIGINT,
// then prints its totals.
func runHealthServer(args []string) int {
	fs := flag.NewFlagSet(healthServerCmd, flag.ContinueOnError)
	ports := fs.String("ports", "", "port range to listen on, on every address: A-B")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	lo, hi, err := parsePortRange(*ports)
	if err != nil {
		fmt.Fprintln(os.Stderr, healthServerCmd+":", err)
		return 2
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	var st healthServerStats
	var lns []net.Listener
	var wg sync.WaitGroup
	for port := lo; port <= hi; port++ {
		ln, err := net.Listen("tcp4", ":"+strconv.Itoa(port))
		if err != nil {
			fmt.Fprintln(os.Stderr, healthServerCmd+":", err)
			return 1
		}
		lns = append(lns, ln)
		wg.Add(1)
		go func() {
			defer wg.Done()
			acceptLoop(ln, &st)
		}()
	}
	fmt.Printf("%s: %d ports %d-%d\n", healthServerReady, len(lns), lo, hi)
	<-sigs
	for _, ln := range lns {
		ln.Close()
	}
	wg.Wait()
	fmt.Printf("%s served=%d bad=%d\n", healthServerTotals, st.served.Load(), st.bad.Load())
	return 0
}

func parsePortRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || lo < 1 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("-ports %q: want A-B with 1 <= A <= B <= 65535", s)
	}
	return lo, hi, nil
}

func acceptLoop(ln net.Listener, st *healthServerStats) {
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			time.Sleep(10 * time.Millisecond) // e.g. out of descriptors: try again
			continue
		}
		go answerOnce(c, st)
	}
}

// answerOnce reads one request's header and answers it.
func answerOnce(c net.Conn, st *healthServerStats) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var buf [4096]byte
	n := 0
	for {
		k, err := c.Read(buf[n:])
		n += k
		if bytes.Contains(buf[:n], []byte("\r\n\r\n")) {
			break
		}
		if err != nil || n == len(buf) {
			st.bad.Add(1)
			return
		}
	}
	if _, err := c.Write(healthReply); err != nil {
		st.bad.Add(1)
		return
	}
	st.served.Add(1)
}

// parseHealthServerTotals finds the totals line in the server's log.
func parseHealthServerTotals(log string) (served, bad uint64, ok bool) {
	i := strings.LastIndex(log, healthServerTotals)
	if i < 0 {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(log[i+len(healthServerTotals):], "\n")
	n, err := fmt.Sscanf(strings.TrimSpace(line), "served=%d bad=%d", &served, &bad)
	return served, bad, err == nil && n == 2
}
