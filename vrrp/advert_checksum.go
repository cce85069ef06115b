package vrrp

import (
	"encoding/binary"
	"net/netip"
)

// sum16 adds b as big-endian 16-bit words (odd tail padded with zero) to acc,
// without folding: the caller folds once at the end.
func sum16(acc uint32, b []byte) uint32 {
	for len(b) >= 2 {
		acc += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint32(b[0]) << 8
	}
	return acc
}

// pseudoHeaderSum is the unfolded sum of the IPv4 pseudo-header VRRPv3's
// checksum covers: source, destination, zero, protocol 112, VRRP length.
func pseudoHeaderSum(src, dst netip.Addr, length int) uint32 {
	s, d := src.As4(), dst.As4()
	acc := sum16(0, s[:])
	acc = sum16(acc, d[:])
	return acc + IPProtocol + uint32(length)
}

// checksum is the Internet checksum (RFC 1071) of msg with its checksum
// field (bytes 6..7) taken as zero, starting from the unfolded sum acc.
func checksum(msg []byte, acc uint32) uint16 {
	acc = sum16(acc, msg[:6])
	acc = sum16(acc, msg[8:])
	for acc > 0xffff {
		acc = acc&0xffff + acc>>16
	}
	return ^uint16(acc)
}
