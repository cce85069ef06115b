package packet

// BuildUnicastARPRequest writes "who-has targetIP tell srcIP" addressed at
// L2 to dst only (target MAC zero), the probe Linux sends to confirm a
// cached neighbour without bothering the whole segment. Returns the frame
// length (60), or 0 if buf is too small.
func BuildUnicastARPRequest(buf []byte, dst, srcMAC MAC, srcIP, targetIP uint32) int {
	n := BuildARPRequest(buf, srcMAC, srcIP, targetIP)
	if n != 0 {
		copy(buf[0:6], dst[:])
	}
	return n
}
