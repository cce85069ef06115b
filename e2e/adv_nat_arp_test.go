package e2e

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// The slow path's ARP rules under attack (dataplane/slowpath/accept.go,
// hygiene.go): what may bind a MAC to an address, what is answered, and
// that a storm of ARP costs nothing but counters.

// arpSeen is one ARP frame an arpWatch saw.
type arpSeen struct {
	ethSrc, ethDst net.HardwareAddr
	op             uint16
	sha, tha       net.HardwareAddr
	spa, tpa       netip.Addr
}

func (f arpSeen) String() string {
	return fmt.Sprintf("%v > %v op %d %v is-at %v, to %v (%v)", f.ethSrc, f.ethDst, f.op, f.spa, f.sha, f.tpa, f.tha)
}

// arpWatch queues the ARP frames an interface receives, not those its
// namespace sends: on one of the director's taps, what the director sent
// on that port (a bridge port's own frames included, which a socket bound
// to ETH_P_ARP would not see: the bridge takes them first).
type arpWatch struct {
	fd    int
	where string
}

// startARPWatch watches ifname in ns; where names it in messages.
func startARPWatch(t *testing.T, ns *netlab.NS, ifname, where string) *arpWatch {
	t.Helper()
	w := &arpWatch{fd: -1, where: where}
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			return err
		}
		w.fd = fd
		// ARP, and not sent by this host (a storm's own frames never queue)
		const skfAdOff, skfAdPkttype = -0x1000, 4 // linux/filter.h: the packet's type, an ancillary load
		pkttype := int32(skfAdOff + skfAdPkttype)
		prog := []unix.SockFilter{
			{Code: unix.BPF_LD | unix.BPF_H | unix.BPF_ABS, K: 12},
			{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 3, K: unix.ETH_P_ARP},
			{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: uint32(pkttype)},
			{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 1, Jf: 0, K: unix.PACKET_OUTGOING},
			{Code: unix.BPF_RET | unix.BPF_K, K: 0x40000},
			{Code: unix.BPF_RET | unix.BPF_K, K: 0},
		}
		if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
			&unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}); err != nil {
			return fmt.Errorf("attaching the ARP filter: %w", err)
		}
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20)
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: hton16(unix.ETH_P_ALL), Ifindex: ifi.Index})
	})
	if err != nil {
		if w.fd >= 0 {
			unix.Close(w.fd)
		}
		t.Fatalf("ARP watch on %s in netns %s: %v", ifname, ns.Name, err)
	}
	t.Cleanup(func() { w.close() })
	return w
}

func hton16(v uint16) uint16 { return v<<8 | v>>8 }

func (w *arpWatch) close() {
	if w.fd >= 0 {
		unix.Close(w.fd)
		w.fd = -1
	}
}

// drain returns the frames queued so far and closes the watch; an error
// says the kernel dropped some.
func (w *arpWatch) drain() ([]arpSeen, error) {
	var out []arpSeen
	buf := make([]byte, 2048)
	for w.fd >= 0 {
		n, _, err := unix.Recvfrom(w.fd, buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			break // EAGAIN: empty
		}
		p := gopacket.NewPacket(buf[:n], layers.LayerTypeEthernet, gopacket.Default)
		e, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		a, _ := p.Layer(layers.LayerTypeARP).(*layers.ARP)
		if e == nil || a == nil || len(a.SourceProtAddress) != 4 || len(a.DstProtAddress) != 4 {
			continue
		}
		out = append(out, arpSeen{
			ethSrc: e.SrcMAC, ethDst: e.DstMAC, op: a.Operation,
			sha: net.HardwareAddr(a.SourceHwAddress), tha: net.HardwareAddr(a.DstHwAddress),
			spa: netip.AddrFrom4([4]byte(a.SourceProtAddress)), tpa: netip.AddrFrom4([4]byte(a.DstProtAddress)),
		})
	}
	var err error
	if w.fd >= 0 {
		if st, e := unix.GetsockoptTpacketStats(w.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); e == nil && st.Drops > 0 {
			err = fmt.Errorf("ARP watch on %s: the kernel dropped %d frames", w.where, st.Drops)
		}
	}
	w.close()
	return out, err
}

// arpAttack is an attack whose ARP the director's answers are watched on
// both of its taps ("wan", "lan") until the captures stop.
type arpAttack struct {
	*attack
	env  *natEnv
	arps map[string][]arpSeen // by tap: "wan", "lan"
}

func arpAttackOn(t *testing.T, env *natEnv, s *advSite, name string) *arpAttack {
	t.Helper()
	watches := map[string]*arpWatch{
		"wan": startARPWatch(t, s.client, s.clientIf, "the wan tap"),
		"lan": startARPWatch(t, env.lab.Switch.NS, env.base.Ports[1].Iface, "the lan tap"),
	}
	a := &arpAttack{attack: s.attack(t, name), env: env, arps: map[string][]arpSeen{}}
	a.onStop = append(a.onStop, func() {
		for where, w := range watches {
			frames, err := w.drain()
			if err != nil {
				t.Log(err)
			}
			a.arps[where] = frames
		}
	})
	return a
}

// replies are the ARP replies the director sent on tap where ("wan",
// "lan") that match.
func (a *arpAttack) replies(where string, match func(arpSeen) bool) []arpSeen {
	return slices.DeleteFunc(slices.Clone(a.arps[where]), func(f arpSeen) bool { return f.op != 2 || !match(f) })
}

// wantAnswered checks requests_answered against the replies the director
// was seen to send on both taps (the lab's hosts ask it too), and that
// exactly n of them went to mac, each giving the director's MAC.
func (a *arpAttack) wantAnswered(mac net.HardwareAddr, n int) {
	a.t.Helper()
	all := append(a.replies("wan", func(arpSeen) bool { return true }), a.replies("lan", func(arpSeen) bool { return true })...)
	if d := a.delta("stats.slow_path.requests_answered"); d != float64(len(all)) {
		a.t.Errorf("attack %q: requests_answered moved by %+.0f, but the director was seen sending %d ARP replies:\n%s", a.name, d, len(all), formatARP(all))
	}
	var to []arpSeen
	for _, f := range all {
		if sameMAC(f.ethDst, mac) || sameMAC(f.tha, mac) {
			to = append(to, f)
		}
	}
	if len(to) != n {
		a.t.Errorf("attack %q: the director sent %d ARP replies to %v, want %d:\n%s", a.name, len(to), mac, n, formatARP(to))
	}
	for _, f := range to {
		if !sameMAC(f.sha, a.site.wanMAC) && !sameMAC(f.sha, a.site.lanMAC) {
			a.t.Errorf("attack %q: the director's reply %v gives a MAC not its own", a.name, f)
		}
	}
}

func formatARP(fs []arpSeen) string {
	var b strings.Builder
	for i, f := range fs {
		if i == 20 {
			fmt.Fprintf(&b, "  ... and %d more\n", len(fs)-i)
			break
		}
		fmt.Fprintf(&b, "  %v\n", f)
	}
	return b.String()
}

// neighbours is the director's neighbour table by address.
func neighbours(t *testing.T, d *govsd) map[string]admin.Neighbor {
	t.Helper()
	st, err := d.admin.Status()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]admin.Neighbor{}
	for _, n := range st.Neighbors {
		out[n.IP] = n
	}
	return out
}

// wantNeighbour checks the director binds ip to mac on port.
func wantNeighbour(t *testing.T, d *govsd, ip string, mac net.HardwareAddr, port string) {
	t.Helper()
	n, ok := neighbours(t, d)[ip]
	if !ok || n.MAC != mac.String() || n.Port != port {
		t.Errorf("the director's neighbour %s is %+v (found %v), want %v on %s", ip, n, ok, mac, port)
	}
}

// noNeighbours checks the director has no entry for any of ips.
func noNeighbours(t *testing.T, d *govsd, ips ...string) {
	t.Helper()
	ns := neighbours(t, d)
	for _, ip := range ips {
		if n, ok := ns[ip]; ok {
			t.Errorf("the director has a neighbour entry for %s: %+v", ip, n)
		}
	}
}

// Counters of the slow path's ARP handling.
const (
	spLearned     = "stats.slow_path.learned"
	spUpdated     = "stats.slow_path.updated"
	spNotForUs    = "stats.slow_path.not_for_us"
	spOwnAddress  = "stats.slow_path.refused.own_address"
	spBadMAC      = "stats.slow_path.refused.bad_mac"
	spNotInSubnet = "stats.slow_path.refused.not_in_subnet"
	spUnsolicited = "stats.slow_path.refused.unsolicited"
)

// garp is a gratuitous ARP for ip at mac: a request (op 1) broadcast or a
// reply (op 2) to dst.
func garp(t *testing.T, op uint16, mac net.HardwareAddr, ip string, dst net.HardwareAddr) []byte {
	tha := zeroMAC
	if op == 2 {
		tha = dst
	}
	return arpFrame(t, mac, dst, arpMsg(op, mac, ip, tha, ip))
}

// TestAdvNATARPClaimsOwnAddress: gratuitous ARP from the client's side
// claiming the VIP or the director's WAN address for an attacker's MAC,
// as request and as reply, binds nothing (refused own_address); the two
// requests are answered, to the claimant, with the director's own MAC
// (it defends its addresses), and the VIP serves as before.
func TestAdvNATARPClaimsOwnAddress(t *testing.T) {
	env, s := natSite(t)
	a := arpAttackOn(t, env, s, "gratuitous ARP for our own addresses")
	for _, ip := range []string{vip, wanAddr} {
		a.client(garp(t, 1, attackerMAC, ip, broadcastMAC), garp(t, 2, attackerMAC, ip, broadcastMAC))
	}
	a.settle()
	a.want(spOwnAddress, 4)
	a.want(spLearned, 0)
	a.want(spUpdated, 0)
	a.want(spNotForUs, 0)
	a.wantAnswered(attackerMAC, 2)
	for _, f := range a.replies("wan", func(f arpSeen) bool { return sameMAC(f.ethDst, attackerMAC) }) {
		if !sameMAC(f.sha, s.wanMAC) || (f.spa.String() != vip && f.spa.String() != wanAddr) {
			t.Errorf("the director answered the claim with %v: want %s or %s at %v", f, vip, wanAddr, s.wanMAC)
		}
	}
	noNeighbours(t, env.d, vip, wanAddr)
	wantNeighbour(t, env.d, clientIP, s.clientMAC, "wan")
}

// TestAdvNATARPGroupSender: an ARP request aimed at the director from a
// broadcast Ethernet source is dropped in the fast path (bad_src_mac);
// one from the client's own MAC whose ARP sender MAC is broadcast or
// multicast reaches the slow path, binds nothing (refused bad_mac) and is
// not answered, for a reply would go to everyone. The client's entry
// keeps its MAC.
func TestAdvNATARPGroupSender(t *testing.T) {
	env, s := natSite(t)
	req := func(src, sha net.HardwareAddr, target string) []byte {
		return arpFrame(t, src, broadcastMAC, arpMsg(1, sha, clientIP, zeroMAC, target))
	}
	a := arpAttackOn(t, env, s, "ARP from a broadcast sender")
	a.client(req(broadcastMAC, broadcastMAC, wanAddr), req(broadcastMAC, broadcastMAC, vip))
	a.client(req(s.clientMAC, broadcastMAC, wanAddr), req(s.clientMAC, multicastMAC, vip))
	a.settle()
	a.wantDrop("bad_src_mac", 2)
	a.want(spBadMAC, 2)
	a.want(spLearned, 0)
	a.want(spUpdated, 0)
	a.wantAnswered(broadcastMAC, 0)
	if got := a.replies("wan", func(f arpSeen) bool { return f.ethDst[0]&1 == 1 || f.tha[0]&1 == 1 }); len(got) > 0 {
		t.Errorf("the director sent ARP replies to a group MAC:\n%s", formatARP(got))
	}
	wantNeighbour(t, env.d, clientIP, s.clientMAC, "wan")
}

// checkServerMAC shows that the director still reaches every real
// server at its own MAC: six new requests (one wrr 1:2:3 cycle) are
// answered by every server, and what the director sent the servers went
// to each one's true MAC, none to mac (the attacker's).
func checkServerMAC(t *testing.T, s *advSite, mac net.HardwareAddr) {
	t.Helper()
	a := s.attack(t, "requests after the forged ARP")
	res := getMany(s.client, "http://"+vip+"/", 6, 1, 30*time.Second)
	a.settle()
	if len(res.errs) > 0 {
		t.Errorf("%d of 6 requests failed:%s", len(res.errs), res.firstErrors())
	}
	for _, rs := range s.servers {
		if res.perServer[rs.Ident] == 0 {
			t.Errorf("%s answered none of 6 requests (answers %v)", rs.Ident, res.perServer)
		}
		got := a.at(rs.Ident, byDirector(s.lanMAC, func(netlab.Frame) bool { return true }))
		if len(got) == 0 {
			t.Errorf("the director sent %s nothing", rs.Ident)
		}
		for _, f := range got {
			if !sameMAC(f.EthDst, s.serverMAC[rs.Ident]) {
				t.Errorf("the director sent %v at %s, not to its MAC %v", f, rs.Ident, s.serverMAC[rs.Ident])
				break
			}
		}
	}
	if got := a.atServers(byDirector(s.lanMAC, func(f netlab.Frame) bool { return sameMAC(f.EthDst, mac) })); len(got) > 0 {
		t.Errorf("the director sent frames to the attacker's MAC %v:\n%s", mac, netlab.FormatFrames(got, 10))
	}
}

// TestAdvNATARPUnsolicitedReply: an ARP reply nobody asked for, sent from
// rs2's port and claiming rs1's address for an attacker's MAC, binds
// nothing (refused unsolicited): the entry of rs1 keeps its MAC, and
// connections still reach rs1 there.
func TestAdvNATARPUnsolicitedReply(t *testing.T) {
	env, s := natSite(t)
	victim, from := s.servers[0], s.servers[1]
	a := arpAttackOn(t, env, s, "unsolicited ARP reply for a real server")
	a.server(from, arpFrame(t, attackerMAC, s.lanMAC, arpMsg(2, attackerMAC, victim.IP.String(), s.lanMAC, lanAddr)))
	a.settle()
	a.want(spUnsolicited, 1)
	a.want(spLearned, 0)
	a.want(spUpdated, 0)
	a.wantAnswered(attackerMAC, 0)
	wantNeighbour(t, env.d, victim.IP.String(), s.serverMAC[victim.Ident], "lan")
	checkServerMAC(t, s, attackerMAC)
}

// TestAdvNATARPGratuitousForServer: gratuitous ARP (request and reply)
// from rs2's port claiming rs1's address for an attacker's MAC binds
// nothing without security.arp_accept (refused unsolicited), is not
// answered, nor counted not_for_us; rs1 is still reached at its MAC.
func TestAdvNATARPGratuitousForServer(t *testing.T) {
	env, s := natSite(t)
	victim, from := s.servers[0], s.servers[1]
	a := arpAttackOn(t, env, s, "gratuitous ARP for a real server")
	a.server(from, garp(t, 1, attackerMAC, victim.IP.String(), s.lanMAC), garp(t, 2, attackerMAC, victim.IP.String(), s.lanMAC))
	a.settle()
	a.want(spUnsolicited, 2)
	a.want(spLearned, 0)
	a.want(spUpdated, 0)
	a.want(spNotForUs, 0)
	a.wantAnswered(attackerMAC, 0)
	wantNeighbour(t, env.d, victim.IP.String(), s.serverMAC[victim.Ident], "lan")
	checkServerMAC(t, s, attackerMAC)
}

// TestAdvNATARPWrongPort: ARP requests for the director's LAN address
// from the servers' segment whose sender is an address of the client's
// subnet (the client's own, and one nobody has) bind nothing (refused
// not_in_subnet): the client's entry stays on the WAN port with its MAC
// and no entry is made for the other. The requests are answered (they
// ask for the port's address; the answer only goes back to the asker).
func TestAdvNATARPWrongPort(t *testing.T) {
	env, s := natSite(t)
	from := s.servers[1]
	req := func(sender string) []byte {
		return arpFrame(t, attackerMAC, broadcastMAC, arpMsg(1, attackerMAC, sender, zeroMAC, lanAddr))
	}
	a := arpAttackOn(t, env, s, "ARP from the wrong port")
	a.server(from, req(clientIP), req(strangerClient))
	a.settle()
	a.want(spNotInSubnet, 2)
	a.want(spLearned, 0)
	a.want(spUpdated, 0)
	a.wantAnswered(attackerMAC, 2)
	for _, f := range a.replies("lan", func(f arpSeen) bool { return sameMAC(f.ethDst, attackerMAC) }) {
		if !sameMAC(f.sha, s.lanMAC) || f.spa.String() != lanAddr {
			t.Errorf("the director answered %v: want %s at %v", f, lanAddr, s.lanMAC)
		}
	}
	if got := a.replies("wan", func(f arpSeen) bool { return sameMAC(f.ethDst, attackerMAC) }); len(got) > 0 {
		t.Errorf("replies to the LAN's asker went out of the WAN port:\n%s", formatARP(got))
	}
	wantNeighbour(t, env.d, clientIP, s.clientMAC, "wan")
	noNeighbours(t, env.d, strangerClient)
}

// TestAdvNATARPStorm: 10000 ARP requests for addresses that are not the
// director's, from random senders (addresses and MACs) of the client's
// subnet, make no neighbour entry and get no answer; each is counted,
// not_for_us in the slow path or punt_full where the slow path's ring
// had no room, and nothing else is refused or learned.
func TestAdvNATARPStorm(t *testing.T) {
	env, s := natSite(t)
	const n = 10000
	known := neighbours(t, env.d)
	var pool []string // client subnet hosts: not ours, no entry
	for i := 3; i < 255; i++ {
		ip := fmt.Sprintf("10.0.0.%d", i)
		if _, ok := known[ip]; !ok && ip != vip {
			pool = append(pool, ip)
		}
	}
	rng := rand.New(rand.NewPCG(10, 10000))
	storm := make([][]byte, n)
	senders := map[string]bool{}
	for i := range storm {
		spa, tpa := pool[rng.IntN(len(pool))], pool[rng.IntN(len(pool))]
		for tpa == spa {
			tpa = pool[rng.IntN(len(pool))]
		}
		mac := net.HardwareAddr{0x02, 0x5a, byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))}
		senders[mac.String()] = true
		storm[i] = arpFrame(t, mac, broadcastMAC, arpMsg(1, mac, spa, zeroMAC, tpa))
	}

	a := arpAttackOn(t, env, s, "ARP storm")
	a.clientPaced(500, storm...)
	a.settle()
	counted := a.delta(spNotForUs) + a.delta("stats.drops.punt_full")
	if counted != n {
		t.Errorf("%d requests not for us: not_for_us %+.0f + punt_full %+.0f = %.0f, want %d (every one counted once)",
			n, a.delta(spNotForUs), a.delta("stats.drops.punt_full"), counted, n)
	}
	t.Logf("not_for_us %+.0f, punt_full %+.0f", a.delta(spNotForUs), a.delta("stats.drops.punt_full"))
	for _, k := range []string{spLearned, spUpdated, spOwnAddress, spBadMAC, spNotInSubnet, spUnsolicited,
		"stats.slow_path.refused.bad_address", "stats.slow_path.refused.table_full", "stats.slow_path.arp_invalid", "stats.slow_path.entries"} {
		a.want(k, 0)
	}
	a.wantAnswered(attackerMAC, 0)
	for _, where := range []string{"wan", "lan"} {
		if got := a.replies(where, func(f arpSeen) bool { return senders[f.ethDst.String()] || senders[f.tha.String()] }); len(got) > 0 {
			t.Errorf("the director answered the storm on %s:\n%s", where, formatARP(got))
		}
	}
	after := neighbours(t, env.d)
	for ip, nb := range after {
		if _, ok := known[ip]; !ok {
			t.Errorf("a neighbour entry appeared: %+v", nb)
		}
	}
	if len(after) != len(known) {
		t.Errorf("the director has %d neighbour entries, had %d", len(after), len(known))
	}
}

// awaitNeighbourMAC waits (up to 2 s) until the director binds ip to mac;
// it returns the entry last seen.
func awaitNeighbourMAC(t *testing.T, d *govsd, ip string, mac net.HardwareAddr) (admin.Neighbor, bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		n := neighbours(t, d)[ip]
		if n.MAC == mac.String() {
			return n, true
		}
		if time.Now().After(deadline) {
			return n, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAdvNATARPAccept: with security.arp_accept on, a gratuitous ARP for
// a real server re-points its entry (updated) at the MAC it gives, as
// Linux's arp_accept does; a gratuitous ARP from the server itself puts
// the true MAC back.
func TestAdvNATARPAccept(t *testing.T) {
	env, s := natSite(t)
	victim, from := s.servers[0], s.servers[1]
	ip, trueMAC := victim.IP.String(), s.serverMAC[victim.Ident]
	restore := garp(t, 2, trueMAC, ip, s.lanMAC)
	t.Cleanup(func() { env.restoreBase(t) })
	if _, err := env.d.reload(withExtraYAML(env.base, "security: {arp_accept: true}"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// whatever happens below, the shared lab gets rs1's MAC back (before
	// the base configuration, which refuses gratuitous ARP again)
	t.Cleanup(func() {
		if err := victim.NS.SendFrames("eth0", [][]byte{restore}); err != nil {
			t.Errorf("restoring %s's MAC: %v", victim.Ident, err)
		}
		if _, ok := awaitNeighbourMAC(t, env.d, ip, trueMAC); !ok {
			t.Errorf("the director's entry for %s is not back at %v", ip, trueMAC)
		}
	})

	a := arpAttackOn(t, env, s, "gratuitous ARP with arp_accept")
	a.server(from, garp(t, 2, attackerMAC, ip, s.lanMAC))
	if n, ok := awaitNeighbourMAC(t, env.d, ip, attackerMAC); !ok {
		t.Errorf("with arp_accept, a gratuitous ARP for %s at %v left the entry %+v", ip, attackerMAC, n)
	}
	a.server(victim, restore)
	if n, ok := awaitNeighbourMAC(t, env.d, ip, trueMAC); !ok {
		t.Errorf("with arp_accept, %s's own gratuitous ARP left the entry %+v, want %v", victim.Ident, n, trueMAC)
	}
	a.settle()
	a.want(spUpdated, 2)
	a.want(spUnsolicited, 0)
	a.want(spLearned, 0)
	a.wantAnswered(attackerMAC, 0)
}
