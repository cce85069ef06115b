package e2e

import (
	"testing"

	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/internal/netlab"
)

// TestAdvNATPortZero: TCP and UDP from or to port 0 (reserved) are
// dropped as port_zero from either side; none opens a connection.
func TestAdvNATPortZero(t *testing.T) {
	_, s := natSite(t)
	rs := s.servers[0]
	port := forgedPorts(2)
	client := [][]byte{
		synTo(t, s.fromClient(), clientIP, vip, 0, 80),
		synTo(t, s.fromClient(), clientIP, vip, port, 0),
		udpTo(t, s.fromClient(), clientIP, vip, 0, 53),
		udpTo(t, s.fromClient(), clientIP, vip, port+1, 0),
	}
	server := [][]byte{serialize(t, s.fromServer(rs), ip4(rs.IP.String(), clientIP, layers.IPProtocolTCP), tcpSeg(0, port, "SA", 1))}
	a := s.attack(t, "port 0")
	a.client(client...)
	a.server(rs, server...)
	a.settle()
	a.wantDrop("port_zero", len(client)+len(server))
	a.want("svc.web.conns", 0)
	a.want("svc.dns.conns", 0)
	portZero := func(f netlab.Frame) bool {
		return (f.Proto == netlab.ProtoTCP || f.Proto == netlab.ProtoUDP) && (f.SrcPort == 0 || f.DstPort == 0)
	}
	a.noneAtServers("a segment from or to port 0", portZero)
	a.noneAtClient("a segment from or to port 0", anyOf(portZero, portsIn(port, 2)))
}

// TestAdvNATBadTCPFlags: segments whose flags no endpoint sends (SYN+FIN,
// SYN+RST, FIN or PSH without ACK, none at all, the "Christmas tree") are
// dropped as bad_tcp_flags from either side and open nothing; ECE and CWR
// are no reason: a SYN carrying both opens a connection as any SYN does.
func TestAdvNATBadTCPFlags(t *testing.T) {
	_, s := natSite(t)
	rs := s.servers[1]
	bad := []string{"SF", "SR", "F", "P", "", "FPU", "SFRPAU", "SFA"}
	port := forgedPorts(len(bad) + 1)
	var client [][]byte
	for i, fl := range bad {
		client = append(client, serialize(t, s.fromClient(), ip4(clientIP, vip, layers.IPProtocolTCP), tcpSeg(port+uint16(i), 80, fl, 1)))
	}
	ecn := port + uint16(len(bad))
	server := serialize(t, s.fromServer(rs), ip4(rs.IP.String(), clientIP, layers.IPProtocolTCP), tcpSeg(rsHTTPPort, port, "SF", 1))

	a := s.attack(t, "bad TCP flags")
	a.client(client...)
	a.server(rs, server)
	a.client(serialize(t, s.fromClient(), ip4(clientIP, vip, layers.IPProtocolTCP), tcpSeg(ecn, 80, "SEC", 1)))
	a.settle()
	a.wantDrop("bad_tcp_flags", len(bad)+1)
	a.want("svc.web.conns", 1)
	a.noneAtServers("a segment with impossible flags", portsIn(port, len(bad)))
	a.noneAtClient("a segment with impossible flags", portsIn(port, len(bad)))
	if got := a.atServers(byDirector(s.lanMAC, allOf(portsIn(ecn, 1), func(f netlab.Frame) bool { return f.TCPFlags == "S" }))); len(got) != 1 {
		t.Errorf("the SYN with ECE and CWR from port %d reached the servers %d times, want once:\n%s", ecn, len(got), netlab.FormatFrames(got, 5))
	}
}
