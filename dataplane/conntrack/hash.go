package conntrack

import "math/bits"

// Odd 64-bit constants with well-spread bits (from the wyhash family).
const (
	hashK1 = 0xa0761d6478bd642f
	hashK2 = 0xe7037ed1a0b428db
	hashK3 = 0x8ebc6af09c88c6e3
)

// Hash mixes a key with a seed. One 64×64->128 multiply folds the two words
// of the key together; a multiply-xorshift finaliser then spreads every
// input bit over the whole result, so both the high bits (used for the index
// tag) and the low bits (handy for picking an lcore) are usable. Seed it
// randomly per table: the keys are chosen by remote clients.
func Hash(k Key, seed uint64) uint64 {
	a := uint64(k.SrcIP)<<32 | uint64(k.DstIP)
	b := uint64(k.SrcPort)<<48 | uint64(k.DstPort)<<32 | uint64(k.Proto)
	hi, lo := bits.Mul64(a^seed^hashK1, b^seed^hashK2)
	x := hi ^ lo
	x ^= x >> 32
	x *= hashK3
	x ^= x >> 29
	return x
}
