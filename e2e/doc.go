// Package e2e holds the end-to-end tests of govsd: they build the real
// daemon and govsctl, start govsd as a subprocess on DPDK net_tap ports, and
// send real HTTP, TCP and UDP traffic through it between network namespaces
// built with internal/netlab. They need root and hugepages (scripts/deps.sh
// sets both up); off CI they skip without them, on CI (CI=true) they fail.
package e2e
