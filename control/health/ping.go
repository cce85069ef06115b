package health

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"

	"golang.org/x/sys/unix"
)

// pingProber sends one ICMP echo through the manager's shared socket
// (keepalived's PING_CHECK).
type pingProber struct {
	ping     *pingHolder
	dst, src netip.Addr
}

func (p *pingProber) Probe(ctx context.Context) Result {
	pg, err := p.ping.get()
	if err != nil {
		return failure("ping: %v", err)
	}
	if err := pg.ping(ctx, p.dst, p.src); err != nil {
		return describe(ctx, err)
	}
	return success()
}

// pingHolder opens the manager's one ICMP socket when a ping check first
// needs it (a manager without ping checks needs no raw socket).
type pingHolder struct {
	mu     sync.Mutex
	p      *pinger
	closed bool
}

func (h *pingHolder) get() (*pinger, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errors.New("stopped")
	}
	if h.p == nil {
		p, err := newPinger()
		if err != nil {
			return nil, err
		}
		h.p = p
	}
	return h.p, nil
}

func (h *pingHolder) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.p != nil {
		h.p.close()
		h.p = nil
	}
}

// pinger shares one raw ICMP socket among all ping checks: requests carry
// the pinger's id and a sequence number of their own, and one reader hands
// each echo reply to the check waiting for that sequence number and peer.
type pinger struct {
	conn *net.IPConn
	id   uint16
	wg   sync.WaitGroup

	mu      sync.Mutex
	seq     uint16
	waiters map[uint16]*pingWaiter
}

type pingWaiter struct {
	peer netip.Addr
	done chan struct{} // closed on the reply
}

// pingPayload is what each echo request carries after id and seq: fixed,
// a reply must bring it back.
var pingPayload = []byte("govs-health-ping")

func newPinger() (*pinger, error) {
	c, err := net.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		return nil, fmt.Errorf("raw ICMP socket: %w", err)
	}
	p := &pinger{conn: c.(*net.IPConn), id: uint16(rand.Uint32()), waiters: map[uint16]*pingWaiter{}}
	p.wg.Add(1)
	go p.read()
	return p, nil
}

func (p *pinger) close() {
	p.conn.Close()
	p.wg.Wait()
}

// ping sends one echo request to dst (from src when valid) and waits for
// its reply until ctx ends.
func (p *pinger) ping(ctx context.Context, dst, src netip.Addr) error {
	w := &pingWaiter{peer: dst, done: make(chan struct{})}
	seq, err := p.register(w)
	if err != nil {
		return err
	}
	defer p.unregister(seq, w)

	pkt := make([]byte, 8+len(pingPayload))
	pkt[0] = 8 // echo request
	binary.BigEndian.PutUint16(pkt[4:], p.id)
	binary.BigEndian.PutUint16(pkt[6:], seq)
	copy(pkt[8:], pingPayload)
	binary.BigEndian.PutUint16(pkt[2:], icmpChecksum(pkt))
	var oob []byte
	if src.IsValid() {
		// IP_PKTINFO's spec_dst is the source address of what we send.
		oob = unix.PktInfo4(&unix.Inet4Pktinfo{Spec_dst: src.As4()})
	}
	if _, _, err := p.conn.WriteMsgIP(pkt, oob, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		return err
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("no echo reply: %w", ctx.Err())
	}
}

func (p *pinger) register(w *pingWaiter) (uint16, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range 1 << 16 {
		p.seq++
		if _, busy := p.waiters[p.seq]; !busy {
			p.waiters[p.seq] = w
			return p.seq, nil
		}
	}
	return 0, errors.New("65536 echo requests outstanding")
}

func (p *pinger) unregister(seq uint16, w *pingWaiter) {
	p.mu.Lock()
	if p.waiters[seq] == w {
		delete(p.waiters, seq)
	}
	p.mu.Unlock()
}

// read hands echo replies to their waiters until the socket is closed.
// A raw socket sees every ICMP message of the host: what is not an echo
// reply with our id, a waited-for sequence number, the waiter's peer and
// our payload is ignored.
func (p *pinger) read() {
	defer p.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, from, err := p.conn.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil || n < 8+len(pingPayload) {
			continue
		}
		b := buf[:n]
		if b[0] != 0 || b[1] != 0 || binary.BigEndian.Uint16(b[4:]) != p.id || string(b[8:8+len(pingPayload)]) != string(pingPayload) {
			continue
		}
		peer, _ := netip.AddrFromSlice(from.(*net.IPAddr).IP)
		seq := binary.BigEndian.Uint16(b[6:])
		p.mu.Lock()
		if w := p.waiters[seq]; w != nil && w.peer == peer.Unmap() {
			delete(p.waiters, seq)
			close(w.done)
		}
		p.mu.Unlock()
	}
}

// icmpChecksum is the Internet checksum of b (its checksum field zero).
func icmpChecksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
