package packet

import "encoding/binary"

// Sum adds b to the running ones' complement sum initial and returns the
// unfolded 32-bit result. It lets callers chain a pseudo-header sum with the
// segment sum before folding once in Checksum. An odd trailing byte is padded
// with a zero byte, as RFC 1071 requires; so only the last chunk of a chain
// may have odd length.
func Sum(b []byte, initial uint32) uint32 {
	s := uint64(initial)
	// Adding 32-bit words is equivalent to adding 16-bit words modulo
	// 0xffff (2^16 ≡ 1), and halves the loop count.
	for len(b) >= 8 {
		s += uint64(binary.BigEndian.Uint32(b)) + uint64(binary.BigEndian.Uint32(b[4:]))
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return fold64(s)
}

// fold64 reduces s to at most 17 bits worth of 16-bit carries while keeping
// its value modulo 0xffff, so the result still fits a uint32 for chaining.
func fold64(s uint64) uint32 {
	s = (s & 0xffffffff) + (s >> 32)
	s = (s & 0xffffffff) + (s >> 32)
	return uint32(s)
}

// fold32 completes the end-around carry down to 16 bits.
func fold32(s uint32) uint16 {
	s = (s & 0xffff) + (s >> 16)
	s = (s & 0xffff) + (s >> 16)
	return uint16(s)
}

// Checksum returns the Internet checksum of b: the ones' complement of the
// ones' complement sum of its 16-bit words, starting from the partial sum
// initial (for example a pseudo-header sum). Verifying data that already
// contains its checksum yields 0.
func Checksum(b []byte, initial uint32) uint16 {
	return ^fold32(Sum(b, initial))
}

// PseudoHeaderSum is the partial sum of the IPv4 pseudo-header used by the TCP
// and UDP checksums; l4Len is the TCP/UDP segment length in bytes.
func PseudoHeaderSum(src, dst uint32, proto uint8, l4Len uint16) uint32 {
	return src>>16 + src&0xffff + dst>>16 + dst&0xffff + uint32(proto) + uint32(l4Len)
}

// CsumUpdate16 returns checksum csum after a 16-bit word of the covered data
// changed from old to new, using RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').
// Unlike eqn. 2 it does not produce 0xffff where a full recomputation gives
// 0x0000 (the two differ only if all covered data is zero, which no real
// header is).
func CsumUpdate16(csum, old, new uint16) uint16 {
	s := uint32(^csum) + uint32(^old) + uint32(new)
	return ^fold32(s)
}

// CsumUpdate32 is CsumUpdate16 for a 32-bit field (an IPv4 address), treated
// as its two 16-bit halves.
func CsumUpdate32(csum uint16, old, new uint32) uint16 {
	s := uint32(^csum) +
		uint32(^uint16(old>>16)) + uint32(^uint16(old)) +
		new>>16 + new&0xffff
	return ^fold32(s)
}
