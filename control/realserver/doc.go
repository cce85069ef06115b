// Package realserver prepares this host (or the network namespace it runs
// in) as a real server behind a govs director, for the two methods where
// replies bypass the director:
//
//   - DR (direct routing): the VIP as a /32 on lo, and ARP sysctls so the
//     host never answers ARP for the VIP nor uses it as an ARP source.
//   - TUN (IP tunnelling): the same ARP sysctls and an IPIP decapsulator
//     holding the VIP: the kernel's ipip tunl0 when the kernel has it,
//     otherwise a userspace decapsulator (raw IPv4 socket for protocol 4
//     -> TUN device govs-tun0 holding the VIP), run as a background process.
//
// Setup records every change it makes in a JSON state file per mode;
// Teardown undoes exactly those changes. Both work inside a network
// namespace (ip netns exec): sysctls, links and the decapsulator are all
// per namespace, and so is the default state directory.
package realserver
