package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// pprofResult is Go's CPU profile of govsd (-pprof): the Go side only; a
// worker loop in C that never enters the Go runtime is not in it.
type pprofResult struct {
	Path, Top string
	Err       string
}

// pprofGovsd takes a Go CPU profile of govsd through the admin socket.
func (h *harness) pprofGovsd(g *govsd, c benchCase) *pprofResult {
	r := &pprofResult{Path: filepath.Join(h.cacheDir, fmt.Sprintf("govsd-%s-%d.pprof", c.Name, c.Pcap.Flows))}
	h.logf("  Go CPU profile of govsd (%d s)", profileSeconds)
	if err := fetchProfile(g.conf.Socket, r.Path, profileSeconds); err != nil {
		r.Err = err.Error()
		return r
	}
	top, err := profileTop(h.govsd, r.Path, 24)
	r.Top = top
	if err != nil {
		r.Err = "go tool pprof: " + err.Error()
	}
	return r
}

// fetchProfile takes a CPU profile of govsd through the admin socket's
// /debug/pprof/profile and writes it to path.
func fetchProfile(socket, path string, seconds int) error {
	var d net.Dialer
	c := &http.Client{
		Timeout: time.Duration(seconds+30) * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", socket)
		}},
	}
	resp, err := c.Get(fmt.Sprintf("http://govsd/debug/pprof/profile?seconds=%d", seconds))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// profileTop is `go tool pprof -top` of a profile, its first lines.
func profileTop(bin, profile string, lines int) (string, error) {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=20", bin, profile).Output()
	if err != nil {
		return "", err
	}
	l := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	// keep from the "Showing nodes" header on
	for i, s := range l {
		if strings.HasPrefix(s, "Showing nodes") {
			l = l[i:]
			break
		}
	}
	if len(l) > lines {
		l = l[:lines]
	}
	return strings.Join(l, "\n"), nil
}
