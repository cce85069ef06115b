package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// The classic libpcap file format (what net_pcap's libpcap reads): a 24-byte
// file header, then per frame a 16-byte record header and the bytes.
// Written here rather than with gopacket/pcapgo, whose package pulls in
// golang.org/x/net, which go.mod does not carry.
const (
	pcapMagic      = 0xa1b2c3d4 // microsecond timestamps
	pcapFileHeader = 24
	pcapRecHeader  = 16
	linkEthernet   = 1
)

type pcapWriter struct {
	w   io.Writer
	hdr [pcapRecHeader]byte
}

func newPcapWriter(w io.Writer) *pcapWriter { return &pcapWriter{w: w} }

func (p *pcapWriter) fileHeader(snaplen uint32) error {
	var h [pcapFileHeader]byte
	binary.LittleEndian.PutUint32(h[0:], pcapMagic)
	binary.LittleEndian.PutUint16(h[4:], 2) // version 2.4
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], snaplen)
	binary.LittleEndian.PutUint32(h[20:], linkEthernet)
	_, err := p.w.Write(h[:])
	return err
}

// packet writes one frame captured whole at ts (ns since 1970).
func (p *pcapWriter) packet(ts int64, frame []byte) error {
	h := p.hdr[:]
	binary.LittleEndian.PutUint32(h[0:], uint32(ts/int64(time.Second)))
	binary.LittleEndian.PutUint32(h[4:], uint32(ts%int64(time.Second)/int64(time.Microsecond)))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(frame)))
	binary.LittleEndian.PutUint32(h[12:], uint32(len(frame)))
	if _, err := p.w.Write(h); err != nil {
		return err
	}
	_, err := p.w.Write(frame)
	return err
}

// pcapReader reads files written by pcapWriter (little-endian, µs).
type pcapReader struct {
	r       io.Reader
	Snaplen uint32
	hdr     [pcapRecHeader]byte
}

func newPcapReader(r io.Reader) (*pcapReader, error) {
	var h [pcapFileHeader]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("pcap file header: %w", err)
	}
	if m := binary.LittleEndian.Uint32(h[0:]); m != pcapMagic {
		return nil, fmt.Errorf("pcap: magic %#x, want %#x", m, pcapMagic)
	}
	if lt := binary.LittleEndian.Uint32(h[20:]); lt != linkEthernet {
		return nil, fmt.Errorf("pcap: link type %d, want Ethernet", lt)
	}
	return &pcapReader{r: r, Snaplen: binary.LittleEndian.Uint32(h[16:])}, nil
}

// next returns the next frame and its original length; io.EOF at the end.
func (p *pcapReader) next() (frame []byte, wireLen int, err error) {
	if _, err := io.ReadFull(p.r, p.hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, 0, fmt.Errorf("pcap: truncated record header")
		}
		return nil, 0, err
	}
	n := binary.LittleEndian.Uint32(p.hdr[8:])
	if n > p.Snaplen {
		return nil, 0, fmt.Errorf("pcap: record of %d bytes, snaplen %d", n, p.Snaplen)
	}
	frame = make([]byte, n)
	if _, err := io.ReadFull(p.r, frame); err != nil {
		return nil, 0, fmt.Errorf("pcap: truncated record: %w", err)
	}
	return frame, int(binary.LittleEndian.Uint32(p.hdr[12:])), nil
}
