// Package e2e holds the end-to-end tests of govsd: they build the real
// daemon and govsctl, start govsd as a subprocess on DPDK net_tap ports
// inside the lab's director namespace (never the root namespace: what
// govsd does to kernel interfaces and routes stays in the lab), and send
// real HTTP, TCP and UDP traffic through it between network namespaces
// built with internal/netlab. They need root and hugepages (scripts/deps.sh
// sets both up); off CI they skip without them, on CI (CI=true) they fail.
//
// Each forwarding method has one shared setup (a lab and one govsd), built
// by the first test that needs it and torn down when a test of another
// method needs its own, or at the end (lab_test.go):
//
//   - NAT (nat_*_test.go): client -> WAN port, LAN port -> real servers.
//   - DR and TUN (dr_test.go, tun_test.go, bodies in dsr_test.go): one
//     segment; real servers set up by "govsctl realserver setup".
//   - Health (health_*_test.go, kernel_*_test.go): a NAT lab of its own
//     with http checks, a sorry server and the kernel-side interfaces
//     (health_lab_test.go).
//   - VRRP (vrrp_*_test.go): a NAT lab whose govsd runs a VRRP instance
//     for the VIP, with keepalived as the other router on the WAN link.
//
// Test files sort so that each method's tests run together (dr, nat, tun).
package e2e
