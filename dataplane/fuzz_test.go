package dataplane

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
)

// FuzzProcess feeds one arbitrary frame to the C fast path on each port of
// a fresh director. The harness itself fails if an mbuf does not end in
// exactly one queue and the rig checks every packet is counted once; the
// oracle checks what comes out: a valid input leaves as a valid frame
// (checksums included), to the addresses its connection or service says,
// and only the wan port's clients are load-balanced (rp_filter strict).
func FuzzProcess(f *testing.F) {
	f.Add(tcpFrame(f, macClient, macWAN, client, 1, vip, 80, true, false, ""))
	f.Add(udpFrame(f, macClient, macWAN, client, 1, vip, 53, "x"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		if len(frame) > 9000 {
			return
		}
		for port := 0; port < 2; port++ {
			for _, kernel := range []bool{false, true} {
				spec := testSpec()
				if kernel {
					spec = kernelSpec()
				}
				r := newRig(t, 64, spec)
				o := r.run(slices.Clone(frame), port)
				checkOutput(t, frame, port, kernel, o)
			}
		}
	})
}

// checkOutput checks what became of frame received on inPort, with or
// without kernel interfaces on the ports.
func checkOutput(t *testing.T, in []byte, inPort int, kernel bool, o fastpath.Output) {
	switch o.Verdict {
	case fastpath.VerdictDropped:
		if o.Drop == fastpath.DropNone {
			t.Fatal("dropped without a reason")
		}
		return
	case fastpath.VerdictPunted:
		if kernel && o.Punt == fastpath.PuntKernel {
			checkForKernel(t, in)
			return
		}
		if o.Punt != fastpath.PuntARP || len(in) < 14 || in[12] != 0x08 || in[13] != 0x06 {
			t.Fatalf("punted %v a frame of ethertype %x", o.Punt, in[12:14])
		}
		return
	case fastpath.VerdictRedirected:
		t.Fatal("redirected with one worker")
	}
	d, bad := decodeChecked(o.Frame)
	if _, inBad := decodeChecked(in); inBad == "" && bad != "" {
		t.Fatalf("valid input left invalid: %s", bad)
	}
	if d.ip == nil {
		t.Fatal("sent a frame that is not IPv4")
	}
	var p packet.Parsed
	if e := packet.Parse(o.Frame, &p); e != packet.OK {
		t.Fatalf("sent a frame that does not parse: %v", e)
	}
	src, dst := addrOf(d.ip.SrcIP), addrOf(d.ip.DstIP)
	inSrc, inDst := netip.AddrFrom4([4]byte(in[26:30])), netip.AddrFrom4([4]byte(in[30:34]))
	if kernel && (inDst == wanAddr || inDst == lanAddr) {
		t.Fatalf("answered %v -> %v in the fast path: the kernel interface serves the port address", inSrc, inDst)
	}
	switch {
	case o.Port == inPort && p.Proto == packet.ProtoICMP && p.ICMPType == packet.ICMPEchoReply:
		if src != inDst || dst != inSrc || !bytes.Equal(o.Frame[0:6], in[6:12]) {
			t.Fatalf("echo reply %v -> %v for a request %v -> %v", src, dst, inSrc, inDst)
		}
	case o.Port == inPort && p.Proto == packet.ProtoICMP && (p.ICMPType == 3 || p.ICMPType == 11):
		// an error we originated: to the sender, from us, quoting what came
		if dst != inSrc || (src != vip && src != netip.MustParseAddr("10.0.0.1") && src != netip.MustParseAddr("10.1.0.1")) {
			t.Fatalf("ICMP error %v -> %v about a datagram %v -> %v", src, dst, inSrc, inDst)
		}
		if q := o.Frame[42:]; len(in) < 14+len(q) || !bytes.Equal(q, in[14:14+len(q)]) {
			t.Fatal("ICMP error does not quote the datagram as it came")
		}
	case o.Port == 1 && inPort == 0: // load-balanced
		if src != inSrc || !slices.Contains(rsAddrs, dst) {
			t.Fatalf("forwarded %v -> %v, want the client to a real server", src, dst)
		}
		if d.tcp != nil && d.tcp.DstPort != 8080 || d.udp != nil && d.udp.DstPort != 5353 {
			t.Fatalf("forwarded to port %v/%v", d.tcp, d.udp)
		}
	default:
		t.Fatalf("a frame from port %d left on port %d: %v -> %v", inPort, o.Port, src, dst)
	}
}

// checkForKernel: what goes to a kernel interface is an unchanged valid
// IPv4 frame to a port address, or multicast to its group's MAC.
func checkForKernel(t *testing.T, in []byte) {
	var p packet.Parsed
	if e := packet.Parse(in, &p); e != packet.OK || len(in) < 34 {
		t.Fatalf("punted for the kernel a frame that does not parse: %v", e)
	}
	dst := netip.AddrFrom4([4]byte(in[30:34]))
	switch {
	case dst == wanAddr || dst == lanAddr:
	case dst.IsMulticast() && packet.MAC(in[0:6]) == groupMAC(dst):
	default:
		t.Fatalf("punted for the kernel a packet to %v (MAC %x)", dst, in[0:6])
	}
}
