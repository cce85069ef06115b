package e2e

import "testing"

// TestNATUDP: the UDP service answers from VIP:53 (the reply is un-NATed)
// and round-robin spreads new flows (new client ports) over all servers.
func TestNATUDP(t *testing.T) {
	env := natLab(t)
	checkUDPService(t, env.lab.Client, vip+":53", env.lab.Servers)
}
