package packet

import (
	"bytes"
	"testing"
)

func TestBuildUnicastARPRequest(t *testing.T) {
	buf := bytes.Repeat([]byte{0xee}, 64)
	n := BuildUnicastARPRequest(buf, macB, macA, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2))
	want := unhex(t, `
		02000000000b 02000000000a 0806
		0001 0800 06 04 0001
		02000000000a 0a000001
		000000000000 0a000002
		000000000000000000000000000000000000`)
	if n != MinFrameLen || !bytes.Equal(buf[:n], want) || buf[n] != 0xee {
		t.Fatalf("n=%d\n got %x\nwant %x", n, buf[:n], want)
	}
	if BuildUnicastARPRequest(buf[:MinFrameLen-1], macB, macA, 1, 2) != 0 {
		t.Fatal("small buffer accepted")
	}
}
