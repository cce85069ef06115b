package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// genVersion is part of the cached file names: bump it when frames change.
const genVersion = 1

// pcapEpoch is the timestamp of the first frame (ns since 1970).
const pcapEpoch = 1700000000 * int64(time.Second)

// trafficKind is what a pcap replays.
type trafficKind string

const (
	// kindNATIn: one SYN per flow (client -> VIP:80), then Rounds rounds of
	// one ACK per flow in the same direction. Used by nat-in, tun and dr.
	kindNATIn trafficKind = "natin"
	// kindNATOut: one SYN per flow, then Rounds rounds of one reply per flow
	// from the real server the flow was scheduled to (rr over numRS servers
	// in SYN order: flow i -> server i mod numRS) to the client.
	kindNATOut trafficKind = "natout"
	// kindSYN: one SYN per flow, nothing else: every packet of the first pass
	// opens a new connection.
	kindSYN trafficKind = "syn"
)

// pcapSpec names one generated file.
type pcapSpec struct {
	Kind   trafficKind
	Flows  int
	Rounds int // packets per flow after its SYN (0 for kindSYN)
}

// Packets is the number of frames in the file.
func (s pcapSpec) Packets() int { return s.Flows * (1 + s.Rounds) }

// SYNShare is the fraction of the file's frames that are SYNs.
func (s pcapSpec) SYNShare() float64 { return 1 / float64(1+s.Rounds) }

func (s pcapSpec) String() string { return fmt.Sprintf("%s-%d-r%d", s.Kind, s.Flows, s.Rounds) }

func (s pcapSpec) fileName() string {
	return fmt.Sprintf("govs-bench-v%d-%s.pcap", genVersion, s)
}

// isn is the initial sequence number of flow i's client.
func isn(i int) uint32 { return uint32(i)*2654435761 + 1 }

// each calls fn for every frame of the file, in order. f is reused.
func (s pcapSpec) each(fn func(f *tcpFrame)) {
	var f tcpFrame
	vip := u32(vipIP)
	for i := 0; i < s.Flows; i++ {
		cip, cport := client(i)
		f = tcpFrame{srcMAC: gatewayMAC, dstMAC: portMAC, src: cip, dst: vip,
			srcPort: cport, dstPort: vipPort, flags: tcpSYN, seq: isn(i)}
		fn(&f)
	}
	if s.Kind == kindSYN {
		return
	}
	for r := 0; r < s.Rounds; r++ {
		for i := 0; i < s.Flows; i++ {
			cip, cport := client(i)
			cseq := isn(i) + 1 + uint32(r*payloadLen)
			sseq := uint32(i)*40503 + 1 + uint32(r*payloadLen)
			switch s.Kind {
			case kindNATIn:
				f = tcpFrame{srcMAC: gatewayMAC, dstMAC: portMAC, src: cip, dst: vip,
					srcPort: cport, dstPort: vipPort, flags: tcpACK | tcpPSH, seq: cseq, ack: sseq}
			case kindNATOut:
				rs := i % numRS
				f = tcpFrame{srcMAC: rsMAC(rs), dstMAC: portMAC, src: rsIP(rs), dst: cip,
					srcPort: natRSPort, dstPort: cport, flags: tcpACK | tcpPSH, seq: sseq, ack: cseq}
			}
			fn(&f)
		}
	}
}

// writePcap writes the file for s at path (through a temporary file, so a
// crash never leaves a truncated file under the final name).
func writePcap(path string, s pcapSpec) (err error) {
	tmp := path + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(out, 1<<20)
	w := newPcapWriter(bw)
	if err = w.fileHeader(frameLen); err != nil {
		return err
	}
	buf := make([]byte, frameLen)
	n := 0
	s.each(func(f *tcpFrame) {
		if err != nil {
			return
		}
		f.encode(buf)
		// 1 µs apart, from a fixed epoch: the file is reproducible.
		err = w.packet(pcapEpoch+int64(n)*1000, buf)
		n++
	})
	if err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ensurePcap returns the path of s's file in dir, generating it unless a
// file of the right size is already there.
func ensurePcap(dir string, s pcapSpec, logf func(string, ...any)) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, s.fileName())
	want := int64(24 + s.Packets()*(16+frameLen))
	if st, err := os.Stat(path); err == nil && st.Size() == want {
		return path, nil
	}
	t0 := time.Now()
	if err := writePcap(path, s); err != nil {
		return "", fmt.Errorf("generate %s: %w", path, err)
	}
	logf("generated %s (%d packets, %d MiB) in %.1fs", path, s.Packets(), want>>20, time.Since(t0).Seconds())
	return path, nil
}

// pruneCache removes generated pcaps in dir that are not in keep (older
// generator versions, other round counts), so the cache stays bounded.
func pruneCache(dir string, keep []pcapSpec, logf func(string, ...any)) {
	want := map[string]bool{}
	for _, s := range keep {
		want[s.fileName()] = true
	}
	files, _ := filepath.Glob(filepath.Join(dir, "govs-bench-v*.pcap*"))
	for _, f := range files {
		if !want[filepath.Base(f)] {
			if os.Remove(f) == nil {
				logf("removed stale %s", f)
			}
		}
	}
}
