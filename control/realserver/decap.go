package realserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// DecapConfig configures the userspace decapsulator.
type DecapConfig struct {
	VIPs      []netip.Addr
	Tun       string   // TUN device to create; "" is DefaultTun
	StatsFile string   // counters as JSON, rewritten every second; "" for none
	Ready     *os.File // gets readyLine (or the error) once running; may be nil
}

// Counters of the decapsulator.
type Counters struct {
	Decapsulated atomic.Uint64
	Bytes        atomic.Uint64 // of the inner packets
	Drops        [numDropReasons]atomic.Uint64
}

// DecapStats is a snapshot of Counters, as written to the stats file.
type DecapStats struct {
	Decapsulated uint64            `json:"decapsulated"`
	Bytes        uint64            `json:"bytes"`
	Drops        map[string]uint64 `json:"drops"` // non-zero reasons only
}

// Snapshot reads the counters.
func (c *Counters) Snapshot() DecapStats {
	s := DecapStats{Decapsulated: c.Decapsulated.Load(), Bytes: c.Bytes.Load(), Drops: map[string]uint64{}}
	for r := range numDropReasons {
		if n := c.Drops[r].Load(); n > 0 {
			s.Drops[r.String()] = n
		}
	}
	return s
}

func (s DecapStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "decapsulated %d packets (%d bytes)", s.Decapsulated, s.Bytes)
	if len(s.Drops) == 0 {
		b.WriteString(", dropped none")
	}
	for r := range numDropReasons {
		if n, ok := s.Drops[r.String()]; ok {
			fmt.Fprintf(&b, ", %s %d", r, n)
		}
	}
	return b.String()
}

// RunDecap runs the userspace decapsulator until SIGTERM or SIGINT:
// creates the TUN device holding the VIPs, reads IPIP packets from a raw
// socket and writes their inner packets to the device, so the kernel
// delivers them locally and replies leave by the normal route with the
// VIP as source. SIGUSR1 logs the counters; they are also logged on exit.
func RunDecap(cfg DecapConfig, logw io.Writer) error {
	lg := log.New(logw, fmt.Sprintf("govs-decap[%d]: ", os.Getpid()), log.LstdFlags)
	fail := func(err error) error {
		if cfg.Ready != nil {
			fmt.Fprintf(cfg.Ready, "%v\n", err)
			cfg.Ready.Close()
		}
		return err
	}
	if len(cfg.VIPs) == 0 {
		return fail(errors.New("no VIP given"))
	}
	if cfg.Tun == "" {
		cfg.Tun = DefaultTun
	}
	raw, err := openIPIPSocket()
	if err != nil {
		return fail(err)
	}
	defer raw.Close()
	tun, err := openTun(cfg.Tun)
	if err != nil {
		return fail(err)
	}
	defer tun.Close()
	if err := configureTun(cfg); err != nil {
		return fail(err)
	}
	var c Counters
	vips := newVIPSet(cfg.VIPs)

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGHUP)
	defer signal.Stop(sigs)
	stop := make(chan struct{})
	go func() {
		for s := range sigs {
			switch s {
			case syscall.SIGUSR1:
				lg.Printf("%v", c.Snapshot())
			case syscall.SIGHUP:
			default:
				lg.Printf("%v: stopping", s)
				close(stop)
				raw.Close() // unblocks the read loop
				return
			}
		}
	}()
	if cfg.StatsFile != "" {
		saveStats(cfg.StatsFile, c.Snapshot())
		go writeStats(cfg.StatsFile, &c, stop)
	}

	lg.Printf("running: IPIP -> %s for %s", cfg.Tun, vipList(cfg.VIPs))
	if cfg.Ready != nil {
		fmt.Fprintln(cfg.Ready, readyLine)
		cfg.Ready.Close()
	}
	err = decapLoop(raw, tun, vips, &c, lg)
	st := c.Snapshot()
	if cfg.StatsFile != "" {
		saveStats(cfg.StatsFile, st)
	}
	lg.Printf("stopped: %v", st)
	return err
}

// decapLoop reads packets until raw is closed. One reused buffer, no
// allocation per packet.
func decapLoop(raw io.Reader, tun io.Writer, vips vipSet, c *Counters, lg *log.Logger) error {
	buf := make([]byte, 65535)
	var writeErrs uint64
	for {
		n, err := raw.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return nil
			}
			return fmt.Errorf("read raw IPIP socket: %w", err)
		}
		inner, reason, ok := decapFrame(buf[:n], vips)
		if !ok {
			c.Drops[reason].Add(1)
			continue
		}
		if _, err := tun.Write(inner); err != nil {
			c.Drops[DropWriteError].Add(1)
			if writeErrs++; writeErrs&(writeErrs-1) == 0 { // log the 1st, 2nd, 4th, 8th...
				lg.Printf("write to TUN device: %v (%d write errors)", err, writeErrs)
			}
			continue
		}
		c.Decapsulated.Add(1)
		c.Bytes.Add(uint64(len(inner)))
	}
}

// configureTun sets the device's MTU and sysctls, adds the VIPs and
// brings it up. Its sysctls and addresses vanish with the device, so they
// are not recorded in the state.
func configureTun(cfg DecapConfig) error {
	nl, err := openRTNL()
	if err != nil {
		return err
	}
	defer nl.Close()
	if err := nl.SetLinkMTU(cfg.Tun, TunMTU); err != nil {
		return err
	}
	// Inner sources are clients, not routed via this device: no strict
	// reverse-path filter on it.
	if err := writeSysctl(ipv4Conf(cfg.Tun, "rp_filter"), "0"); err != nil {
		return err
	}
	// No IPv6 link-local address or router solicitations on it.
	if err := writeSysctl("net.ipv6.conf."+cfg.Tun+".disable_ipv6", "1"); err != nil && !sysctlMissing(err) {
		return err
	}
	for _, v := range cfg.VIPs {
		if err := nl.AddAddr(cfg.Tun, netip.PrefixFrom(v, 32)); err != nil {
			return err
		}
	}
	return nl.SetLinkUp(cfg.Tun, true)
}

func writeStats(path string, c *Counters, stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var last DecapStats
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		st := c.Snapshot()
		if st.Decapsulated != last.Decapsulated || !maps.Equal(st.Drops, last.Drops) {
			saveStats(path, st)
			last = st
		}
	}
}

func saveStats(path string, st DecapStats) {
	b, _ := json.Marshal(st)
	f, err := os.CreateTemp(filepath.Dir(path), ".stats-*")
	if err != nil {
		return
	}
	_, err = f.Write(append(b, '\n'))
	if f.Close() == nil && err == nil && os.Rename(f.Name(), path) == nil {
		return
	}
	os.Remove(f.Name())
}

// LoadDecapStats reads the decapsulator's stats file.
func LoadDecapStats(path string) (DecapStats, error) {
	var st DecapStats
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(b, &st)
}
