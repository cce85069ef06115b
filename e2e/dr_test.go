package e2e

import "testing"

// LVS/DR end to end (see dsr_lab_test.go for the topology and dsr_test.go
// for the test bodies shared with TUN). The director rewrites only the
// Ethernet addresses; the real servers hold the VIP on lo.

// TestDRHTTPWeightedShares: 1000 GETs on new connections, all answered, in
// shares within 10 % of 1/6, 2/6, 3/6 (wrr 1:2:3).
func TestDRHTTPWeightedShares(t *testing.T) { testDSRHTTPWeightedShares(t, drLab(t)) }

// TestDRUDP: the UDP service answers from VIP:53 and rr spreads flows.
func TestDRUDP(t *testing.T) { testDSRUDP(t, drLab(t)) }

// TestDRLongLivedStaysOnServer: a long-lived connection stays on its
// server, across a reload that changes weights and quiesces that server.
func TestDRLongLivedStaysOnServer(t *testing.T) { testDSRLongLivedStaysOnServer(t, drLab(t)) }

// TestDRRepliesBypassDirector: the director forwards requests only; the
// servers answer the client directly, as a capture on them shows.
func TestDRRepliesBypassDirector(t *testing.T) { testRepliesBypassDirector(t, drLab(t)) }
